package cli

import "errors"

func hintsOf(string) (string, error) { return "", errors.New("TODO: book.Hints") }
