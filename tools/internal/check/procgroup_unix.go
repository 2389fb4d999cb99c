//go:build unix

package check

import (
	"os/exec"
	"syscall"
	"time"
)

// ownProcessGroup makes cancelling cmd stop everything it started: go test
// runs the test binary as its own child, and killing only the go command
// would leave a hung test binary running.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}
