// Package hello greets.
package hello

import "errors"

// ANCHOR: greet
// Greet returns a greeting for name.
func Greet(name string) (string, error) {
	// TODO: return "hello, " + name.
	return "", errors.New("TODO: Greet")
}

// ANCHOR_END: greet
