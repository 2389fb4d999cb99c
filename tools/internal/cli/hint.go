package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"netlings/tools/internal/catalog"
	"netlings/tools/load"
)

func hint(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flag.NewFlagSet("hint", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	l, ok, err := e.currentLesson(pos) // no N: the lesson you are on, as for check
	if err != nil {
		return err
	}
	if !ok {
		return next(ctx, e, nil)
	}
	text, err := catalog.Hints(filepath.Join(e.root, l.Chapter))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lesson %02d has no chapter yet (%s), so no hints either", l.Number, l.Chapter)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Hints for lesson %02d · %s (from %s)\n\n%s\n", l.Number, l.Title, l.Chapter, strings.TrimSpace(text))
	return nil
}

// loadCmd hands its arguments to the load generator, which owns its flags.
func loadCmd(ctx context.Context, e *env, args []string) error {
	if code := load.Main(args, e.stdout); code != 0 {
		return exitStatus(code)
	}
	return nil
}

// count writes "1 problem", "2 problems".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
