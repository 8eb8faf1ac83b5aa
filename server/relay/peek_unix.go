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

// writeNoWait writes p to socket raw as far as it takes it now, and
// returns how much it took; a full socket takes nothing, without error.
func writeNoWait(raw syscall.RawConn, p []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for n < len(p) {
			k, err := syscall.Write(int(fd), p[n:])
			if k > 0 {
				n += k
			}
			switch {
			case err == syscall.EINTR:
				continue
			case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
				return true
			case err != nil:
				werr = err
				return true
			case k == 0:
				return true
			}
		}
		return true // never wait for the socket
	})
	if err != nil {
		return n, err
	}
	return n, werr
}
