package boardtest

import (
	"os/exec"
	"syscall"
)

// dieWithTest makes the kernel kill cmd when the test process that
// started it dies, even killed part-way (a -timeout, ^C, SIGKILL), when no
// cleanup runs. The signal follows the OS thread that started cmd; the Go
// runtime ends a thread only when a goroutine locked to it exits, which a
// test starting a board does not do.
func dieWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
