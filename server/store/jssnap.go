package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A room's snapshot is one value of the snapshots bucket, keyed by the
// room id, when it fits in one NATS message (j.part bytes): a JSON line
// {"gen":…,"seq":…}, then the scene as it is (JSON would escape every line
// break). A larger one (a world state of 20,000 devices is about 1.3 MB,
// and a NATS server's max_payload is 1 MiB by default) is cut into parts
// of j.part bytes, each a value of its own under the key ID.GEN.SEQ.NONCE.N,
// and the room's value is the line alone, saying how many parts and bytes
// there are and under which nonce. The parts are written first and the
// line last (an update that expects the revision read), so a reader never
// meets a line whose parts are not all there; the parts of the line it
// replaced are purged after it. A reader that finds a part gone read a
// line that was just replaced, and reads the room's line again. The nonce
// keeps two instances writing a snapshot of the same seq from writing
// over each other's parts.
type snapHead struct {
	Gen   uint64 `json:"gen"`
	Seq   uint64 `json:"seq"`
	World uint64 `json:"world,omitempty"` // Snapshot.World
	Parts int    `json:"parts,omitempty"` // 0: the scene follows the line
	Bytes int    `json:"bytes,omitempty"` // the scene's, in parts
	Nonce string `json:"nonce,omitempty"`
}

// partPurgeTTL is how long the marker of a purged part stays in the
// snapshots bucket (a minute): nobody reads a part by its marker.
const partPurgeTTL = time.Minute

// partSize is the largest value the snapshots bucket takes on a NATS
// server whose messages take at most maxPayload bytes: what is left of a
// message for the value when its headers and framing have payloadSlack
// (or a quarter of a small message).
func partSize(maxPayload int64) int {
	return int(maxPayload - min(payloadSlack, maxPayload/4))
}

func (h snapHead) partKey(id string, n int) string {
	return id + "." + strconv.FormatUint(h.Gen, 10) + "." + strconv.FormatUint(h.Seq, 10) + "." + h.Nonce + "." + strconv.Itoa(n)
}

func encodeHead(h snapHead) []byte {
	b, _ := json.Marshal(h)
	return append(b, '\n')
}

// decodeSnapshot reads a room's value in the snapshots bucket: its line,
// and the scene that follows it when it is not in parts.
func decodeSnapshot(v []byte) (snapHead, string, error) {
	line, scene, found := bytes.Cut(v, []byte{'\n'})
	var h snapHead
	if !found {
		return h, "", errors.New("no header line")
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, "", err
	}
	if h.Parts < 0 || h.Parts > 0 && (h.Nonce == "" || h.Bytes < 0) {
		return h, "", fmt.Errorf("a header line with %d parts of %d bytes under nonce %q", h.Parts, h.Bytes, h.Nonce)
	}
	return h, string(scene), nil
}

// Snapshot implements Store.
func (j *JetStream) Snapshot(ctx context.Context, id string) (Snapshot, error) {
	rm, err := j.room(ctx, id)
	if err != nil {
		return Snapshot{}, err
	}
	for try := 0; try < maxTries; try++ {
		entry, err := j.snaps.Get(ctx, id)
		if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return Snapshot{}, unavailable("read room "+id+"'s snapshot", err)
		}
		if err != nil {
			break
		}
		h, scene, err := decodeSnapshot(entry.Value())
		if err != nil {
			return Snapshot{}, fmt.Errorf("store: room %s's snapshot in bucket %s: %w", id, snapsBucket, err)
		}
		if h.Gen != rm.gen {
			break
		}
		if h.Parts > 0 {
			var again bool
			scene, again, err = j.readParts(ctx, id, h)
			if again {
				continue // replaced while read: read the new one
			}
			if err != nil {
				return Snapshot{}, err
			}
		}
		return Snapshot{Seq: h.Seq, Scene: scene, World: h.World}, nil
	}
	// None, or one left by an earlier room of the same id: this room may
	// be gone too.
	if err := j.exists(ctx, rm); err != nil {
		return Snapshot{}, err
	}
	return Snapshot{}, fmt.Errorf("%w: room %s", ErrNoSnapshot, id)
}

// readParts reads the scene of a snapshot in parts; again when a part is
// gone, as the snapshot was replaced since its line was read.
func (j *JetStream) readParts(ctx context.Context, id string, h snapHead) (string, bool, error) {
	var b strings.Builder
	b.Grow(h.Bytes)
	for n := range h.Parts {
		entry, err := j.snaps.Get(ctx, h.partKey(id, n))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return "", true, nil
		}
		if err != nil {
			return "", false, unavailable(fmt.Sprintf("read part %d of %d of room %s's snapshot", n+1, h.Parts, id), err)
		}
		b.Write(entry.Value())
	}
	if b.Len() != h.Bytes {
		return "", false, fmt.Errorf("store: room %s's snapshot at seq %d in bucket %s: its %d parts hold %d bytes, its line says %d",
			id, h.Seq, snapsBucket, h.Parts, b.Len(), h.Bytes)
	}
	return b.String(), false, nil
}

// PutSnapshot implements Store: the snapshot is kept first, then the
// envelopes before it are purged, so that what it covers is never in
// neither place.
func (j *JetStream) PutSnapshot(ctx context.Context, id string, s Snapshot) error {
	rm, err := j.room(ctx, id)
	if err != nil {
		return err
	}
	_, last, loaded := rm.ends()
	if !loaded || s.Seq > last.seq {
		if last, err = j.loadLast(ctx, rm); err != nil {
			return err
		}
	}
	if err := checkSnapshot(j.lim, id, s, last.seq); err != nil {
		return err
	}
	h := snapHead{Gen: rm.gen, Seq: s.Seq, World: s.World}
	value := append(encodeHead(h), s.Scene...)
	if err := j.space(len(value)); err != nil {
		return err
	}
	if len(value) > j.part {
		if h, err = j.putParts(ctx, id, h, s.Scene); err != nil {
			return err
		}
		value = encodeHead(h)
	}
	for try := 0; ; try++ {
		if try == maxTries {
			j.purgeParts(ctx, id, h)
			return unavailable("keep room "+id+"'s snapshot", fmt.Errorf("gave up after %d tries", maxTries))
		}
		entry, err := j.snaps.Get(ctx, id)
		var old snapHead
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			_, err = j.snaps.Create(ctx, id, value)
		case err != nil:
			j.purgeParts(ctx, id, h)
			return unavailable("read room "+id+"'s snapshot", err)
		default:
			cur, _, derr := decodeSnapshot(entry.Value())
			if derr == nil && cur.Gen == rm.gen && !s.newer(Snapshot{Seq: cur.Seq, World: cur.World}) {
				j.purgeParts(ctx, id, h) // a newer one is kept
				return nil
			}
			if derr == nil {
				old = cur
			}
			_, err = j.snaps.Update(ctx, id, value, entry.Revision())
		}
		if err == nil {
			j.purgeParts(ctx, id, old)
			break
		}
		if !isConflict(err) {
			j.purgeParts(ctx, id, h)
			return j.writeErr(snapsBucket, "keep room "+id+"'s snapshot", err)
		}
	}
	return j.trim(ctx, rm, s.Seq, last)
}

// putParts writes scene in parts of j.part bytes under a new nonce and
// returns the line that names them.
func (j *JetStream) putParts(ctx context.Context, id string, h snapHead, scene string) (snapHead, error) {
	var nonce [8]byte
	rand.Read(nonce[:])
	h.Nonce, h.Bytes = hex.EncodeToString(nonce[:]), len(scene)
	h.Parts = (len(scene) + j.part - 1) / j.part
	for n := range h.Parts {
		part := scene[n*j.part : min((n+1)*j.part, len(scene))]
		if _, err := j.snaps.PutString(ctx, h.partKey(id, n), part); err != nil {
			h.Parts = n // purge what was written
			j.purgeParts(ctx, id, h)
			return h, j.writeErr(snapsBucket, fmt.Sprintf("keep part %d of room %s's snapshot", n+1, id), err)
		}
	}
	return h, nil
}

// purgeParts purges the parts of a snapshot (none when it is not in
// parts). A part left behind by a failure costs space, never a wrong read:
// no line names it.
func (j *JetStream) purgeParts(ctx context.Context, id string, h snapHead) {
	for n := range h.Parts {
		if err := j.snaps.Purge(ctx, h.partKey(id, n), jetstream.PurgeTTL(partPurgeTTL)); err != nil {
			j.log.Warn("cannot purge a part of a room's old snapshot", "room", id, "seq", h.Seq, "part", n+1, "err", err)
		}
	}
}

// removeSnapshot purges room id's snapshot of generation gen, with its
// parts.
func (j *JetStream) removeSnapshot(ctx context.Context, id string, gen uint64) error {
	snap, err := j.snaps.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return unavailable("remove room "+id+"'s snapshot", err)
	}
	h, _, derr := decodeSnapshot(snap.Value())
	if derr != nil || h.Gen != gen {
		return nil
	}
	err = j.snaps.Purge(ctx, id, jetstream.LastRevision(snap.Revision()), jetstream.PurgeTTL(removedMarker))
	if err != nil && !isConflict(err) {
		return unavailable("remove room "+id+"'s snapshot", err)
	}
	if err == nil {
		j.purgeParts(ctx, id, h)
	}
	return nil
}
