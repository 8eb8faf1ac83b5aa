package testkit

import (
	"os/exec"
	"syscall"
)

// DieWithTest makes the kernel kill cmd, before it starts, when the test
// process that starts it dies, even killed part-way (a -timeout, a panic,
// ^C, SIGKILL), when no cleanup runs. The signal follows the OS thread
// that started cmd; the Go runtime ends a thread only when a goroutine
// locked to it exits, which Thingyard's tests do not do.
func DieWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
