//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package relay

import "syscall"

// peekable is true where a socket cannot be peeked at: the read that
// follows waits, holding its buffer.
func peekable(uintptr) bool { return true }

// writeNoWait takes nothing where a socket cannot be written without
// waiting: the member's writer sends it all.
func writeNoWait(syscall.RawConn, []byte) (int, error) { return 0, nil }
