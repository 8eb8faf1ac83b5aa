package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jsRoom is what one instance knows of a room: its generation and where
// its log stood when it last looked.
type jsRoom struct {
	id   string
	gen  uint64 // the revision of its entry in the rooms bucket
	subj string // thingyard.room.ID.GEN

	app sync.Mutex // one Append of this instance at a time

	mu     sync.Mutex // guards what follows
	loaded bool       // last was read from the stream or kept since
	last   pos        // the last envelope as last seen; seq 0: none
	first  pos        // the first kept envelope as last seen; seq 0: unknown
	subs   map[*Subscription]bool
}

// pos is one envelope of a room in the stream.
type pos struct {
	seq    uint64 // the room's seq; 0 for none
	stream uint64 // the stream's sequence
	cum    uint64 // the room's bytes up to and including it (Thingyard-Bytes)
	size   int    // its encoded bytes
	at     int64  // its At
}

// base is the room's bytes before envelope p.
func (p pos) base() uint64 { return p.cum - uint64(p.size) }

// kept is how many envelopes and bytes a room keeps from first to last.
func kept(first, last pos) (int, int64) {
	if last.seq == 0 {
		return 0, 0
	}
	return int(last.seq - first.seq + 1), int64(last.cum - first.base())
}

// posOf reads an envelope message's place, and the id of the Append that
// stored it.
func posOf(hdr nats.Header, data []byte, stream uint64) (pos, string, error) {
	seq, err1 := strconv.ParseUint(hdr.Get(hdrSeq), 10, 64)
	cum, err2 := strconv.ParseUint(hdr.Get(hdrBytes), 10, 64)
	var at struct {
		At int64 `json:"at"`
	}
	err3 := json.Unmarshal(data, &at)
	if err := errors.Join(err1, err2, err3); err != nil || seq == 0 {
		return pos{}, "", fmt.Errorf("store: stream message %d is not a room's envelope: %v", stream, err)
	}
	return pos{seq: seq, stream: stream, cum: cum, size: len(data), at: at.At}, hdr.Get(hdrAppend), nil
}

func rawPos(m *jetstream.RawStreamMsg) (pos, string, error) {
	return posOf(m.Header, m.Data, m.Sequence)
}

// room returns what this instance knows of room id, asking the rooms
// bucket when it knows nothing.
func (j *JetStream) room(ctx context.Context, id string) (*jsRoom, error) {
	if err := j.check(); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	j.mu.Lock()
	rm := j.cache[id]
	j.mu.Unlock()
	if rm != nil {
		return rm, nil
	}
	_, rm, err := j.lookup(ctx, id)
	return rm, err
}

// lookup reads room id from the rooms bucket. A room another instance
// made a moment ago may not have reached the replica that answers a get,
// so "no such room" is asked again of the bucket's leader.
func (j *JetStream) lookup(ctx context.Context, id string) (Room, *jsRoom, error) {
	var value []byte
	var rev uint64
	entry, err := j.rooms.Get(ctx, id)
	switch {
	case err == nil:
		value, rev = entry.Value(), entry.Revision()
	case errors.Is(err, jetstream.ErrKeyNotFound):
		m, err := j.leaderLast(ctx, "KV_"+roomsBucket, "$KV."+roomsBucket+"."+id)
		if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return Room{}, nil, unavailable("find room "+id, err)
		}
		if err != nil {
			return Room{}, nil, fmt.Errorf("%w %q", ErrNoRoom, id)
		}
		if op := m.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
			return Room{}, nil, fmt.Errorf("%w %q", ErrNoRoom, id)
		}
		value, rev = m.Data, m.Sequence
	default:
		return Room{}, nil, unavailable("find room "+id, err)
	}
	var r Room
	if err := json.Unmarshal(value, &r); err != nil {
		return Room{}, nil, fmt.Errorf("store: room %s in bucket %s: %w", id, roomsBucket, err)
	}
	return r, j.remember(id, rev, false), nil
}

// leaderLast asks the leader of stream for its last message on subj;
// direct gets, which any replica answers, may come from one a moment
// behind. ErrMsgNotFound when there is none.
func (j *JetStream) leaderLast(ctx context.Context, stream, subj string) (*jetstream.RawStreamMsg, error) {
	ctx, cancel := j.timeout(ctx)
	defer cancel()
	req, _ := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{subj})
	reply, err := j.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Subject  string `json:"subject"`
			Sequence uint64 `json:"seq"`
			Header   []byte `json:"hdrs"`
			Data     []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return nil, fmt.Errorf("stream %s: get %s: %w", stream, subj, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, jetstream.ErrMsgNotFound
		}
		return nil, resp.Error
	}
	if resp.Message == nil {
		return nil, fmt.Errorf("stream %s: get %s: an empty answer", stream, subj)
	}
	m := &jetstream.RawStreamMsg{Subject: resp.Message.Subject, Sequence: resp.Message.Sequence, Data: resp.Message.Data, Header: nats.Header{}}
	if len(resp.Message.Header) > 0 {
		if m.Header, err = nats.DecodeHeadersMsg(resp.Message.Header); err != nil {
			return nil, fmt.Errorf("stream %s: get %s: %w", stream, subj, err)
		}
	}
	return m, nil
}

// remember notes generation gen of room id; fresh says it was just made,
// so its log is known to be empty.
func (j *JetStream) remember(id string, gen uint64, fresh bool) *jsRoom {
	j.mu.Lock()
	rm := j.cache[id]
	if rm != nil && rm.gen >= gen {
		j.mu.Unlock()
		return rm
	}
	n := &jsRoom{id: id, gen: gen, subj: subjPrefix + id + "." + strconv.FormatUint(gen, 10), loaded: fresh, subs: map[*Subscription]bool{}}
	j.cache[id] = n
	j.mu.Unlock()
	if rm != nil { // an older generation, removed
		rm.end(fmt.Errorf("%w %q: it was removed", ErrNoRoom, id))
	}
	return n
}

// forget drops room id's generations before rev, which removed it.
func (j *JetStream) forget(id string, rev uint64) {
	j.mu.Lock()
	rm := j.cache[id]
	if rm == nil || rm.gen >= rev {
		j.mu.Unlock()
		return
	}
	delete(j.cache, id)
	j.mu.Unlock()
	rm.end(fmt.Errorf("%w %q: it was removed", ErrNoRoom, id))
}

// end ends the room's subscriptions with err.
func (rm *jsRoom) end(err error) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	for s := range rm.subs {
		s.stop(err)
	}
}

// ends returns the room's first and last envelopes as last seen.
func (rm *jsRoom) ends() (first, last pos, loaded bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.first, rm.last, rm.loaded
}

// saw notes envelope p of the room as its last when it is newer.
func (rm *jsRoom) saw(p pos) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if !rm.loaded || p.seq > rm.last.seq {
		rm.last, rm.loaded = p, true
	}
}

// sawFirst notes envelope p as the room's first kept when it is newer.
func (rm *jsRoom) sawFirst(p pos) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if p.seq > rm.first.seq {
		rm.first = p
	}
}

// loadLast reads the room's last envelope from the stream.
func (j *JetStream) loadLast(ctx context.Context, rm *jsRoom) (pos, error) {
	m, err := j.stream.GetLastMsgForSubject(ctx, rm.subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		rm.mu.Lock()
		if !rm.loaded {
			rm.last, rm.loaded = pos{}, true
		}
		rm.mu.Unlock()
		return pos{}, nil
	}
	if err != nil {
		return pos{}, unavailable("read room "+rm.id, err)
	}
	p, _, err := rawPos(m)
	if err != nil {
		return pos{}, err
	}
	rm.saw(p)
	return p, nil
}

// loadFirst reads the room's first kept envelope from the stream.
func (j *JetStream) loadFirst(ctx context.Context, rm *jsRoom) (pos, error) {
	p, _, err := j.next(ctx, rm, 1)
	if err == nil && p.seq != 0 {
		rm.sawFirst(p)
	}
	return p, err
}

// next reads the room's first envelope at stream sequence from or later,
// with the id of the Append that stored it; pos{} when there is none.
func (j *JetStream) next(ctx context.Context, rm *jsRoom, from uint64) (pos, string, error) {
	m, err := j.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(rm.subj))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return pos{}, "", nil
	}
	if err != nil {
		return pos{}, "", unavailable("read room "+rm.id, err)
	}
	return rawPos(m)
}

// Create implements Store.
func (j *JetStream) Create(ctx context.Context, r Room) error {
	if err := j.check(); err != nil {
		return err
	}
	if err := checkRoom(j.lim, r); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: room %s: %w", r.ID, err)
	}
	if err := j.space(len(b)); err != nil {
		return err
	}
	rev, err := j.rooms.Create(ctx, r.ID, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%w: %q", ErrExists, r.ID)
	}
	if err != nil {
		return j.writeErr(roomsBucket, "make room "+r.ID, err)
	}
	j.remember(r.ID, rev, true)
	return nil
}

// Find implements Store.
func (j *JetStream) Find(ctx context.Context, id string) (Room, error) {
	if err := j.check(); err != nil {
		return Room{}, err
	}
	if !ValidID(id) {
		return Room{}, fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	r, _, err := j.lookup(ctx, id)
	return r, err
}

// List implements Store.
func (j *JetStream) List(ctx context.Context) ([]Room, error) {
	if err := j.check(); err != nil {
		return nil, err
	}
	ctx, cancel := j.timeout(ctx)
	defer cancel()
	w, err := j.rooms.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, unavailable("list rooms", err)
	}
	defer w.Stop()
	var rooms []Room
	for {
		select {
		case <-ctx.Done():
			return nil, unavailable("list rooms", ctx.Err())
		case entry, ok := <-w.Updates():
			if !ok {
				return nil, unavailable("list rooms", errors.New("the watcher stopped"))
			}
			if entry == nil {
				slices.SortFunc(rooms, func(a, b Room) int { return strings.Compare(a.ID, b.ID) })
				return rooms, nil
			}
			var r Room
			if err := json.Unmarshal(entry.Value(), &r); err != nil {
				return nil, fmt.Errorf("store: room %s in bucket %s: %w", entry.Key(), roomsBucket, err)
			}
			rooms = append(rooms, r)
		}
	}
}

// Remove implements Store: the room's entry goes first (so no instance
// finds it any more), then its log, then its snapshot. Should NATS fail
// in between, the rest stays behind under a generation nobody reads.
func (j *JetStream) Remove(ctx context.Context, id string) error {
	if err := j.check(); err != nil {
		return err
	}
	if !ValidID(id) {
		return fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	_, rm, err := j.lookup(ctx, id)
	if err != nil {
		return err
	}
	gen := rm.gen
	err = j.rooms.Purge(ctx, id, jetstream.LastRevision(gen), jetstream.PurgeTTL(removedMarker))
	if isConflict(err) {
		return fmt.Errorf("%w %q: another instance removed it first", ErrNoRoom, id)
	}
	if err != nil {
		return unavailable("remove room "+id, err)
	}
	j.forget(id, gen+1)
	subj := subjPrefix + id + "." + strconv.FormatUint(gen, 10)
	if err := j.stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
		return unavailable("remove room "+id+"'s log", err)
	}
	return j.removeSnapshot(ctx, id, gen)
}

// Head implements Store.
func (j *JetStream) Head(ctx context.Context, id string) (Head, error) {
	rm, err := j.room(ctx, id)
	if err != nil {
		return Head{}, err
	}
	// The first before the last, so that a snapshot in between cannot put
	// the first after the last.
	first, err := j.loadFirst(ctx, rm)
	if err != nil {
		return Head{}, err
	}
	last, err := j.loadLast(ctx, rm)
	if err != nil {
		return Head{}, err
	}
	if last.seq == 0 {
		if err := j.exists(ctx, rm); err != nil {
			return Head{}, err
		}
		return Head{First: 1}, nil
	}
	if first.seq == 0 { // the first came between the two reads
		first = last
	}
	n, b := kept(first, last)
	return Head{Seq: last.seq, First: first.seq, Envelopes: n, Bytes: b, At: last.at}, nil
}

// exists checks that room rm (this generation of it) is still there: an
// empty log is also what a removed room's looks like.
func (j *JetStream) exists(ctx context.Context, rm *jsRoom) error {
	_, now, err := j.lookup(ctx, rm.id)
	if err != nil {
		if errors.Is(err, ErrNoRoom) {
			j.forget(rm.id, rm.gen+1)
		}
		return err
	}
	if now.gen != rm.gen {
		return fmt.Errorf("%w %q: it was removed (and made again)", ErrNoRoom, rm.id)
	}
	return nil
}

// trim purges the room's envelopes before seq, where last is an envelope
// at seq or later.
func (j *JetStream) trim(ctx context.Context, rm *jsRoom, seq uint64, last pos) error {
	first, err := j.loadFirst(ctx, rm)
	if err != nil {
		return err
	}
	if first.seq == 0 || first.seq >= seq {
		return nil
	}
	at, err := j.locate(ctx, rm, seq, first, last)
	if errors.Is(err, ErrTrimmed) { // another instance trimmed further
		return nil
	}
	if err != nil {
		return err
	}
	if err := j.stream.Purge(ctx, jetstream.WithPurgeSubject(rm.subj), jetstream.WithPurgeSequence(at.stream)); err != nil {
		return unavailable("trim room "+rm.id, err)
	}
	rm.sawFirst(at)
	return nil
}

// writeErr is the error of a write to key-value bucket that failed with
// err: ErrNoSpace when the storage had no space left, else ErrUnavailable.
func (j *JetStream) writeErr(bucket, what string, err error) error {
	if e := noSpace(what, err); e != nil {
		return e
	}
	if e := j.stuck("KV_" + bucket); e != nil {
		return e
	}
	return unavailable(what, err)
}

// isConflict reports whether err is JetStream refusing a write because
// what it expected was no longer the last (a lost race).
func isConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
