package proto

import (
	"errors"
	"fmt"
)

// Sentinel errors. Decoders wrap them in a *FrameError that carries the byte
// offset, so test them with errors.Is, not ==.
var (
	// ErrShortFrame means the frame ends before a field it must hold.
	ErrShortFrame = errors.New("proto: short frame")
	// ErrCRC means a checksum in the frame does not match its contents.
	ErrCRC = errors.New("proto: crc mismatch")
	// ErrMalformed means a field holds a value the protocol does not allow.
	ErrMalformed = errors.New("proto: malformed frame")
	// ErrUnsupported means the frame is well formed but uses a feature this
	// package does not decode (an unknown function code, chunked HTTP).
	ErrUnsupported = errors.New("proto: unsupported")
	// ErrUnknownProtocol is returned by Dissect for a protocol name it lacks.
	ErrUnknownProtocol = errors.New("proto: unknown protocol")
)

// FrameError says what is wrong with a frame and at which byte offset, so
// the inspector can point at the byte and a person can see why.
type FrameError struct {
	Offset int    // byte offset of the offending field within the frame
	Msg    string // what was wrong, e.g. "byte count 7, want 6"
	Err    error  // one of the sentinels above
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", e.Err, e.Offset, e.Msg)
}

func (e *FrameError) Unwrap() error { return e.Err }

func frameErr(sentinel error, off int, format string, args ...any) error {
	return &FrameError{Offset: off, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}
