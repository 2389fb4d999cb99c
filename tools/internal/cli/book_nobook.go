//go:build nobook

package cli

import (
	"context"
	"os"
	"os/exec"
)

// The checker that make builds (-tags nobook) leaves the book renderer
// out: syntax highlighting and Markdown are two thirds of its build, and a
// learner's first check should not wait for them. The book verbs hand over
// to the full command, which go builds on first use.

func bookCmd(ctx context.Context, e *env, args []string) error { return full(ctx, e, "book", args) }

func serve(ctx context.Context, e *env, args []string) error { return full(ctx, e, "serve", args) }

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
