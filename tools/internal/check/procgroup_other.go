//go:build !unix

package check

import (
	"os/exec"
	"time"
)

// ownProcessGroup bounds the wait for a cancelled cmd; only the go command
// itself is killed here.
func ownProcessGroup(cmd *exec.Cmd) { cmd.WaitDelay = 5 * time.Second }
