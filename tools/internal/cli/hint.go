package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

func hint(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flag.NewFlagSet("hint", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	l, err := e.oneLesson(pos)
	if err != nil {
		return err
	}
	text, err := hintsOf(filepath.Join(e.root, l.Chapter))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Hints for lesson %02d · %s (from %s)\n\n%s\n", l.Number, l.Title, l.Chapter, strings.TrimSpace(text))
	return nil
}
