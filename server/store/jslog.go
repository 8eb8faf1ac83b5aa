package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/thingyard/thingyard/wire"
)

// maxProbes bounds the direct gets of one locate: a bisection over 64-bit
// stream sequences takes at most 64 (80, with the first guesses).
const maxProbes = 80

// subHeartbeat is how often the server tells a subscription's consumer
// that it is there when the room is quiet; two missed, and the consumer is
// made again on a server that answers (1 s). A consumer dies with the NATS
// node that held it, often the stream's leader, and until this notices,
// the room stands still for its followers while appends go on.
const subHeartbeat = 1 * time.Second

// subResets is how many times nats.go makes a subscription's ordered
// consumer again (after 1 s, then 2 s; each try may wait 10 s for an
// answer) before the subscription ends and its reader subscribes anew
// (2). More tries only make a room that lost its consumer wait longer:
// on a three-node cluster whose stream leader was shut down, 2 tries and
// a 1 s heartbeat had rooms moving again at once in 6 runs of 8 and
// within 11 s in the others, where 5 tries and 2 s took 4 s at best and
// up to 28 s.
const subResets = 2

// Append implements Store. See the package doc for how instances agree.
func (j *JetStream) Append(ctx context.Context, id string, e wire.Envelope) (wire.Envelope, error) {
	rm, err := j.room(ctx, id)
	if err != nil {
		return wire.Envelope{}, err
	}
	rm.app.Lock()
	defer rm.app.Unlock()
	first, last, err := j.positions(ctx, rm)
	if err != nil {
		return wire.Envelope{}, err
	}
	nonce := nuid.Next()
	fresh := false // first was read again after a refusal for fullness
	for try := 0; try < maxTries; try++ {
		e.Seq = last.seq + 1
		data, err := json.Marshal(e)
		if err != nil {
			return wire.Envelope{}, fmt.Errorf("store: append to room %s: %w", id, err)
		}
		if first.seq == 0 {
			first = pos{seq: e.Seq, cum: last.cum + uint64(len(data)), size: len(data)}
		}
		n, b := kept(first, last)
		if err := checkAppend(j.lim, id, n, b, len(data)); err != nil {
			if !errors.Is(err, ErrFull) || fresh {
				return wire.Envelope{}, err
			}
			// Another instance may have trimmed the room since.
			fresh = true
			if first, err = j.loadFirst(ctx, rm); err != nil {
				return wire.Envelope{}, err
			}
			try--
			continue
		}
		if err := j.space(len(data)); err != nil {
			return wire.Envelope{}, err
		}
		cum := last.cum + uint64(len(data))
		msg := &nats.Msg{Subject: rm.subj, Data: data, Header: nats.Header{}}
		msg.Header.Set(hdrSeq, strconv.FormatUint(e.Seq, 10))
		msg.Header.Set(hdrBytes, strconv.FormatUint(cum, 10))
		msg.Header.Set(hdrAppend, nonce)
		pctx, cancel := j.timeout(ctx)
		ack, perr := j.js.PublishMsg(pctx, msg, jetstream.WithExpectLastSequencePerSubject(last.stream))
		cancel()
		if perr == nil {
			j.appended(rm, first, pos{seq: e.Seq, stream: ack.Sequence, cum: cum, size: len(data), at: e.At})
			return appendedAs(data, e.Seq)
		}
		stored, again, err := j.afterRefusal(ctx, rm, id, last, nonce, perr)
		if err != nil {
			return wire.Envelope{}, err
		}
		if stored.seq != 0 {
			j.appended(rm, first, stored)
			return appendedAs(data, stored.seq)
		}
		last = again
	}
	return wire.Envelope{}, unavailable("append to room "+id, fmt.Errorf("gave up after %d tries", maxTries))
}

// positions is room rm's first and last envelopes, read from the stream
// when not known yet; it refuses at once while the stream is stuck.
func (j *JetStream) positions(ctx context.Context, rm *jsRoom) (first, last pos, err error) {
	first, last, loaded := rm.ends()
	if !loaded {
		if last, err = j.loadLast(ctx, rm); err != nil {
			return first, last, err
		}
	}
	if last.seq != 0 && first.seq == 0 {
		if first, err = j.loadFirst(ctx, rm); err != nil {
			return first, last, err
		}
	}
	if j.stuckSeen.Load() { // no need to wait for a publish to go unanswered
		if err := j.stuck(streamName); err != nil {
			return first, last, err
		}
		j.stuckSeen.Store(false)
	}
	return first, last, nil
}

// afterRefusal finds what became of a publish after last that was refused
// (perr) or went unanswered: stored after all (stored, when the envelope
// after last carries our nonce), or not, with the last to try again from
// (again), or an error that ends the append.
func (j *JetStream) afterRefusal(ctx context.Context, rm *jsRoom, id string, last pos, nonce string, perr error) (stored, again pos, err error) {
	if err := refusal(id, perr); err != nil {
		return pos{}, last, err
	}
	// A write the disk refused goes unanswered, and the stream takes
	// no other: not worth asking what follows.
	if err := j.stuck(streamName); err != nil {
		j.stuckSeen.Store(true)
		return pos{}, last, err
	}
	// Refused for a stale last, or the outcome is unknown: what
	// follows the last we knew tells which.
	pctx, cancel := j.timeout(ctx)
	after, by, err := j.next(pctx, rm, last.stream+1)
	cancel()
	if err != nil {
		return pos{}, last, fmt.Errorf("%w (the envelope may or may not be kept; publish: %v)", err, perr)
	}
	switch {
	case after.seq != 0 && by == nonce: // ours, stored after all
		return after, last, nil
	case after.seq != 0: // another instance's: start from the new last
		last, err = j.loadLast(ctx, rm)
		return pos{}, last, err
	case isConflict(perr): // nothing follows a last that is gone: removed
		if err := j.exists(ctx, rm); err != nil {
			return pos{}, last, err
		}
		last, err = j.loadLast(ctx, rm)
		return pos{}, last, err
	}
	// Otherwise nothing was stored: try again as before.
	return pos{}, last, nil
}

// appended notes envelope p, just appended to room rm, as its last, and
// as its first too when the room was empty (first stands for p then).
func (j *JetStream) appended(rm *jsRoom, first, p pos) {
	rm.saw(p)
	if first.seq == p.seq {
		rm.sawFirst(p)
	}
}

// refusal turns JetStream's refusal to store an envelope for lack of
// room into ErrFull, ErrNoSpace or ErrTooLarge; nil for any other error.
func refusal(id string, err error) error {
	if errors.Is(err, nats.ErrMaxPayload) {
		return fmt.Errorf("%w: an envelope for room %s is larger than NATS takes: %v", ErrTooLarge, id, err)
	}
	if err := noSpace("keep an envelope for room "+id, err); err != nil {
		return err
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	switch apiErr.ErrorCode {
	case 10077: // store failed: the stream's maximum bytes or messages
		return fmt.Errorf("%w: the store refused an envelope for room %s: %s", ErrFull, id, apiErr.Description)
	case jetstream.JSErrCodeStreamMessageExceedsMaximum:
		return fmt.Errorf("%w: an envelope for room %s: %s", ErrTooLarge, id, apiErr.Description)
	}
	return nil
}

// noSpace turns NATS servers' refusal of a write for want of storage
// into ErrNoSpace, saying what was being done; nil for any other error.
func noSpace(what string, err error) error {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	switch apiErr.ErrorCode {
	case 10023, 10047: // insufficient resources; insufficient storage resources available
		return fmt.Errorf("%w: the NATS servers refused to %s: %s (free space on their disks, or raise their JetStream max_file_store)", ErrNoSpace, what, apiErr.Description)
	}
	return nil
}

// seek finds where room rm's envelopes after since start: the stream
// sequence of seq since+1, or, when since is the room's last seq, the
// stream sequence after the last envelope (atEnd). last is the room's
// last envelope when fresh, else one as last seen (read again when it is
// not past since).
func (j *JetStream) seek(ctx context.Context, rm *jsRoom, since uint64, last pos, fresh bool) (start uint64, atEnd bool, err error) {
	if !fresh && last.seq <= since {
		if last, err = j.loadLast(ctx, rm); err != nil {
			return 0, false, err
		}
	}
	if since > last.seq { // a replica a moment behind may have answered
		m, err := j.leaderLast(ctx, streamName, rm.subj)
		switch {
		case err == nil:
			if last, _, err = rawPos(m); err != nil {
				return 0, false, err
			}
			rm.saw(last)
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			return 0, false, unavailable("read room "+rm.id, err)
		}
	}
	if last.seq == 0 {
		if err := j.exists(ctx, rm); err != nil {
			return 0, false, err
		}
	}
	switch {
	case since > last.seq:
		return 0, false, fmt.Errorf("%w: room %s is at seq %d, asked for what comes after %d", ErrAhead, rm.id, last.seq, since)
	case since == last.seq:
		return last.stream + 1, true, nil
	}
	first, _, _ := rm.ends()
	if first.seq == 0 || first.seq > since+1 {
		if first, err = j.loadFirst(ctx, rm); err != nil {
			return 0, false, err
		}
		if first.seq == 0 { // emptied: removed
			return 0, false, j.exists(ctx, rm)
		}
		if first.seq > since+1 {
			return 0, false, trimmed(rm.id, since, first.seq)
		}
	}
	at, err := j.locate(ctx, rm, since+1, first, last)
	return at.stream, false, err
}

// locate finds envelope seq of room rm, where first and last are kept
// envelopes of the room at or before seq and at or after it. Each of the
// room's envelopes has a stream sequence of its own, so envelope seq is at
// least seq-first.seq after first and at least last.seq-seq before last;
// each probe (the room's first envelope at a stream sequence or later)
// narrows that range, and when no other room appended in between, the
// first probe is it.
func (j *JetStream) locate(ctx context.Context, rm *jsRoom, seq uint64, first, last pos) (pos, error) {
	if first.seq == seq {
		return first, nil
	}
	if last.seq == seq {
		return last, nil
	}
	lo := first.stream + (seq - first.seq)
	hi := last.stream - (last.seq - seq)
	p := lo
	if last.seq-seq < seq-first.seq {
		p = hi
	}
	for i := 0; lo <= hi && i < maxProbes; i++ {
		at, _, err := j.next(ctx, rm, p)
		if err != nil {
			return pos{}, err
		}
		switch {
		case at.seq == 0:
			hi = p - 1
		case at.seq == seq:
			return at, nil
		case at.seq < seq:
			lo = max(lo, at.stream+(seq-at.seq))
		default:
			hi = min(hi, p-1, at.stream-(at.seq-seq))
		}
		p = lo + (hi-lo)/2
	}
	// Not there: trimmed or removed while we looked.
	first, err := j.loadFirst(ctx, rm)
	switch {
	case err != nil:
		return pos{}, err
	case first.seq == 0:
		if err := j.exists(ctx, rm); err != nil {
			return pos{}, err
		}
	case first.seq > seq:
		return pos{}, trimmed(rm.id, seq-1, first.seq)
	}
	return pos{}, fmt.Errorf("store: room %s: seq %d is not in stream %s between sequences %d and %d", rm.id, seq, streamName, first.stream, last.stream)
}

// Read implements Store.
func (j *JetStream) Read(ctx context.Context, id string, since uint64, max int) ([]wire.Envelope, error) {
	rm, err := j.room(ctx, id)
	if err != nil {
		return nil, err
	}
	_, last, _ := rm.ends()
	start, atEnd, err := j.seek(ctx, rm, since, last, false)
	if err != nil || atEnd {
		return nil, err
	}
	msgs, err := j.batch(ctx, rm, start, pageMax(max))
	if err != nil {
		return nil, err
	}
	page := make([]wire.Envelope, 0, len(msgs))
	for _, m := range msgs {
		e, err := decode(m.Header, m.Data)
		if err != nil {
			return nil, err
		}
		if want := since + 1 + uint64(len(page)); e.Seq != want {
			if len(page) == 0 && e.Seq > want { // trimmed between seek and batch
				return nil, trimmed(id, since, e.Seq)
			}
			return nil, fmt.Errorf("store: room %s: read seq %d where %d was due", id, e.Seq, want)
		}
		page = append(page, e)
	}
	return page, nil
}

// appendedAs is the envelope appended as data, with seq, as readers decode it:
// its Body in the compact form its encoding gave it.
func appendedAs(data []byte, seq uint64) (wire.Envelope, error) {
	var e wire.Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("store: an envelope appended to stream %s: %w", streamName, err)
	}
	e.Seq = seq
	return e, nil
}

// decode reads an envelope message.
func decode(hdr nats.Header, data []byte) (wire.Envelope, error) {
	var e wire.Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("store: an envelope in stream %s: %w", streamName, err)
	}
	if h := hdr.Get(hdrSeq); h != strconv.FormatUint(e.Seq, 10) {
		return e, fmt.Errorf("store: an envelope in stream %s has seq %d and header %s %q", streamName, e.Seq, hdrSeq, h)
	}
	return e, nil
}

// batch reads up to n of room rm's envelopes from stream sequence start
// on, and about ReadBytes of them, in one batch direct get.
func (j *JetStream) batch(ctx context.Context, rm *jsRoom, start uint64, n int) ([]*nats.Msg, error) {
	ctx, cancel := j.timeout(ctx)
	defer cancel()
	inbox := j.nc.NewRespInbox()
	sub, err := j.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, unavailable("read room "+rm.id, err)
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(struct {
		Seq      uint64 `json:"seq"`
		NextFor  string `json:"next_by_subj"`
		Batch    int    `json:"batch"`
		MaxBytes int    `json:"max_bytes"`
	}{start, rm.subj, n, ReadBytes})
	if err := j.nc.PublishRequest("$JS.API.DIRECT.GET."+streamName, inbox, req); err != nil {
		return nil, unavailable("read room "+rm.id, err)
	}
	var msgs []*nats.Msg
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return nil, unavailable("read room "+rm.id, err)
		}
		if status := m.Header.Get("Status"); len(m.Data) == 0 && status != "" {
			switch status {
			case "204", "404": // the end of the batch; nothing there
				return msgs, nil
			}
			return nil, unavailable("read room "+rm.id, fmt.Errorf("direct get: %s %s", status, m.Header.Get("Description")))
		}
		msgs = append(msgs, m)
	}
}

// Subscribe implements Store.
func (j *JetStream) Subscribe(ctx context.Context, id string, since uint64) (*Subscription, error) {
	rm, err := j.room(ctx, id)
	if err != nil {
		return nil, err
	}
	// The last envelope now is where the backlog ends.
	last, err := j.loadLast(ctx, rm)
	if err != nil {
		return nil, err
	}
	start, _, err := j.seek(ctx, rm, since, last, true)
	if err != nil {
		return nil, err
	}
	cons, err := j.js.OrderedConsumer(ctx, streamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{rm.subj},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
		// A subscription ends with ErrUnavailable when NATS stays away
		// (a few seconds of backing off), not silently.
		MaxResetAttempts: subResets,
	})
	if err != nil {
		return nil, unavailable("follow room "+id, err)
	}
	it, err := cons.Messages(jetstream.PullHeartbeat(subHeartbeat))
	if err != nil {
		return nil, unavailable("follow room "+id, err)
	}
	s := newSubscription(id, j.lim.SubLag)
	rm.mu.Lock()
	rm.subs[s] = true
	rm.mu.Unlock()
	if err := j.check(); err != nil { // closed meanwhile: Close missed s
		s.stop(err)
	}
	go j.feed(rm, s, cons, it, since+1, last.seq)
	return s, nil
}

// feed sends subscriber s the envelopes the ordered consumer brings, from
// seq next on: those up to seq backlog at the reader's pace, the later
// ones as they come.
func (j *JetStream) feed(rm *jsRoom, s *Subscription, cons jetstream.Consumer, it jetstream.MessagesContext, next, backlog uint64) {
	var err error
	defer func() {
		it.Stop()
		// An ordered consumer outlives its iterator by minutes unless
		// deleted; not worth waiting for when NATS is away or the store
		// is closing.
		if info := cons.CachedInfo(); info != nil && j.check() == nil && j.nc.IsConnected() {
			ctx, cancel := context.WithTimeout(context.Background(), j.opt.Timeout)
			j.js.DeleteConsumer(ctx, streamName, info.Name)
			cancel()
		}
		rm.mu.Lock()
		delete(rm.subs, s)
		rm.mu.Unlock()
		s.finish(err)
	}()
	for {
		msg, nerr := it.Next(jetstream.NextContext(s.ctx))
		if nerr != nil {
			if s.ctx.Err() == nil {
				err = unavailable("follow room "+rm.id, nerr)
			}
			return
		}
		e, derr := decode(msg.Headers(), msg.Data())
		switch {
		case derr != nil:
			err = derr
			return
		case e.Seq < next: // already sent
			continue
		case e.Seq > next:
			err = trimmed(rm.id, next-1, e.Seq)
			return
		}
		if err = s.send(e, e.Seq <= backlog); err != nil {
			return
		}
		next++
	}
}
