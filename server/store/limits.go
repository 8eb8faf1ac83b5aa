package store

import (
	"encoding/json"
	"fmt"
)

// checkRoom vets a room's description before it is made.
func checkRoom(lim Limits, r Room) error {
	if !ValidID(r.ID) {
		return fmt.Errorf("%w: %q", ErrBadID, r.ID)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: room %s: %w", r.ID, err)
	}
	if len(b) > lim.MaxRoom {
		return fmt.Errorf("%w: room %s's description (scene and meta) is %d bytes, at most %d", ErrTooLarge, r.ID, len(b), lim.MaxRoom)
	}
	return nil
}

// checkAppend vets an envelope of size bytes for room id, which keeps n
// envelopes of bytes bytes in all.
func checkAppend(lim Limits, id string, n int, bytes int64, size int) error {
	if size > lim.MaxEnvelope {
		return fmt.Errorf("%w: an envelope of %d bytes for room %s, at most %d", ErrTooLarge, size, id, lim.MaxEnvelope)
	}
	if n >= lim.MaxEnvelopes {
		return fmt.Errorf("%w: room %s keeps %d envelopes, at most %d; a snapshot lets it drop older ones", ErrFull, id, n, lim.MaxEnvelopes)
	}
	if bytes+int64(size) > lim.MaxBytes {
		return fmt.Errorf("%w: room %s keeps %d bytes of envelopes and this one has %d, at most %d in all; a snapshot lets it drop older ones", ErrFull, id, bytes, size, lim.MaxBytes)
	}
	return nil
}

// checkSnapshot vets snapshot s of room id, whose last seq is last.
func checkSnapshot(lim Limits, id string, s Snapshot, last uint64) error {
	if len(s.Scene) > lim.MaxSnapshot {
		return fmt.Errorf("%w: a snapshot of %d bytes for room %s, at most %d", ErrTooLarge, len(s.Scene), id, lim.MaxSnapshot)
	}
	if s.Seq == 0 || s.Seq > last {
		return fmt.Errorf("%w: a snapshot at seq %d for room %s, which is at seq %d", ErrAhead, s.Seq, id, last)
	}
	return nil
}

// trimmed is the error for a read after since in room id, which keeps its
// envelopes from seq first on.
func trimmed(id string, since, first uint64) error {
	return fmt.Errorf("%w: room %s keeps its envelopes from seq %d on, asked for what comes after %d: read its snapshot first", ErrTrimmed, id, first, since)
}

// pageMax is how many envelopes a Read of max may return.
func pageMax(max int) int {
	if max <= 0 || max > ReadMax {
		return ReadMax
	}
	return max
}
