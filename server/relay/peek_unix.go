//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package relay

import "syscall"

// peekable reports whether socket fd has something to say: bytes, their
// end, or an error. It is false only while reading would wait.
func peekable(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
	return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
}
