package relay

import (
	"errors"
	"fmt"

	"github.com/thingyard/thingyard/wire"
)

// Store keeps one room's ordered log. The in-memory store serves one
// machine; an embedded database or a broker can implement the same calls.
type Store interface {
	// Append gives e the next seq and keeps it.
	Append(e wire.Envelope) (wire.Envelope, error)
	// Since returns the envelopes after seq, in order.
	Since(seq uint64) []wire.Envelope
	// Seq is the last seq given.
	Seq() uint64
}

// ErrLogFull is returned when a room's log reached its limit.
var ErrLogFull = errors.New("relay: room log is full")

type memStore struct {
	log []wire.Envelope
	max int
}

func newMemStore(max int) *memStore { return &memStore{max: max} }

func (s *memStore) Append(e wire.Envelope) (wire.Envelope, error) {
	if len(s.log) >= s.max {
		return e, fmt.Errorf("%w (%d envelopes): start a new room", ErrLogFull, s.max)
	}
	e.Seq = uint64(len(s.log)) + 1
	s.log = append(s.log, e)
	return e, nil
}

func (s *memStore) Since(seq uint64) []wire.Envelope {
	if seq >= uint64(len(s.log)) {
		return nil
	}
	return append([]wire.Envelope(nil), s.log[seq:]...)
}

func (s *memStore) Seq() uint64 { return uint64(len(s.log)) }
