//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package relay

// peekable is true where a socket cannot be peeked at: the read that
// follows waits, holding its buffer.
func peekable(uintptr) bool { return true }
