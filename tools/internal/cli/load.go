//go:build !checker

package cli

import (
	"context"

	"netlings/tools/load"
)

// loadCmd hands its arguments to the load generator, which owns its flags.
func loadCmd(ctx context.Context, e *env, args []string) error {
	if code := load.Main(args, e.stdout); code != 0 {
		return exitStatus(code)
	}
	return nil
}
