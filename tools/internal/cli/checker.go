//go:build checker

package cli

import (
	"context"
	"os"
	"os/exec"
)

// The checker that make builds (-tags checker) has the learner's verbs
// only: the book's renderer (Markdown, syntax highlighting: two thirds of
// the build), the load generator and mutate stay out, so a learner's first
// check does not wait for them. Their verbs hand over to the full command,
// which go builds on first use.

func bookCmd(ctx context.Context, e *env, args []string) error { return full(ctx, e, "book", args) }

func serve(ctx context.Context, e *env, args []string) error { return full(ctx, e, "serve", args) }

func loadCmd(ctx context.Context, e *env, args []string) error { return full(ctx, e, "load", args) }

func mutateCmd(ctx context.Context, e *env, args []string) error { return full(ctx, e, "mutate", args) }

func full(ctx context.Context, e *env, verb string, args []string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", "./tools/netlings", verb}, args...)...)
	cmd.Dir = e.root
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return exitStatus(ee.ExitCode())
		}
		return err
	}
	return nil
}
