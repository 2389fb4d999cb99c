//go:build !unix

package testkit

import (
	"os"
	"os/exec"
)

// Without process groups, stopping the browser means killing its main
// process; it takes its helpers down with it.
var (
	terminate = os.Kill
	kill      = os.Kill
)

func ownProcessGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, sig os.Signal) {
	cmd.Process.Signal(sig)
}
