package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// A room is open in a process while it has members or event streams
// there. Its log lives in the store; the process follows it with one
// subscription, and every envelope of the room, whichever process appended
// it, reaches this process's members through deliver, in the room's order.
// So members on several servers sharing a store see one room.
//
// resubscribeAfter is how long a room whose subscription failed (the store
// could not be reached) waits before following again (1 s, doubling to
// 30 s).
const (
	resubscribeAfter    = time.Second
	maxResubscribeAfter = 30 * time.Second
)

// room is one live room open in this process. Its mutex guards everything
// below it; delivering never blocks: a member whose queue is full is dropped.
type room struct {
	id, scene string
	relay     *Relay
	created   time.Time
	ready     chan struct{} // closed once the log kept before opening is delivered
	stop      context.CancelFunc
	done      chan struct{} // closed when the follower ended

	mu        sync.Mutex
	delivered chan struct{} // closed and replaced at each delivery
	log       *history
	door      *gate.Room         // nil without a gate
	members   map[string]*member // this process's members
	present   map[string]bool    // every member of the room, by presence
	subs      map[*Subscription]bool
	gone      bool              // closed here
	boards    map[string]string // device id -> member holding it
	nextID    int
	idle      time.Time // when the last member here left
	// inflight counts, by tick, the actions this process admitted whose
	// append has not come back: the room's log may still get them, so
	// a replica must not step to their tick yet (see Horizon).
	inflight map[int64]int
	// owed are the members whose queues deliveries claimed (sendInPassing)
	// since the lock was last taken: unlockAndWrite writes to them.
	owed []*member
}

// member is one connection in a room. had is the seq up to which it has
// the room's envelopes, when that is further than this server's copy of the
// room (it comes from another server sharing the room): it is not sent
// them again.
type member struct {
	id   string
	out  *queue
	had  uint64
	kill func(websocket.StatusCode, string)
	// inPassing writes what waits for the member from the goroutine that
	// claimed its queue (sendInPassing), as far as its socket takes it at
	// once; set with its queue's claim, for a connection.
	inPassing func()
	// held is true while the member's reader waits for room in its
	// inbox: its socket is not read then, so its pongs are not either;
	// holds counts those waits.
	held  atomic.Bool
	holds atomic.Int64
}

func (r *Relay) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), r.opt.StoreTimeout)
}

// storeErr turns a store's refusal into the relay's.
func storeErr(id string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoRoom):
		return fmt.Errorf("%w %q", ErrNoRoom, id)
	case errors.Is(err, store.ErrFull), errors.Is(err, store.ErrTooLarge):
		return fmt.Errorf("%w: %v; start a new room (the Share panel's link carries this scene)", ErrLogFull, err)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}

// find returns room id, opening it here when it is in the store.
func (r *Relay) find(id string) (*room, error) {
	for {
		r.mu.Lock()
		if rm := r.rooms[id]; rm != nil {
			r.mu.Unlock()
			return rm, rm.wait(r.opt.StoreTimeout)
		}
		if wait, ok := r.opening[id]; ok {
			r.mu.Unlock()
			<-wait
			continue
		}
		wait := make(chan struct{})
		r.opening[id] = wait
		r.mu.Unlock()

		rm, err := r.open(id)
		r.mu.Lock()
		delete(r.opening, id)
		if err == nil {
			r.rooms[id] = rm
		}
		r.mu.Unlock()
		close(wait)
		if err != nil {
			return nil, err
		}
		return rm, rm.wait(r.opt.StoreTimeout)
	}
}

// wait waits for the room to have delivered the log kept when it opened.
func (rm *room) wait(d time.Duration) error {
	select {
	case <-rm.ready:
		return nil
	case <-time.After(d):
		return fmt.Errorf("%w: room %s did not catch up with its log in %v", ErrUnavailable, rm.id, d)
	}
}

// open reads room id's description, snapshot and the log after it from the
// store, and starts following the room.
func (r *Relay) open(id string) (*room, error) {
	ctx, cancel := r.ctx()
	defer cancel()
	sr, err := r.opt.Store.Find(ctx, id)
	if err != nil {
		return nil, storeErr(id, err)
	}
	rm := &room{id: id, scene: sr.Scene, relay: r, created: sr.Created, ready: make(chan struct{}), done: make(chan struct{}), delivered: make(chan struct{}),
		log: newHistory(r.opt.FoldEvery, r.opt.MaxLogBytes, r.opt.Folder != nil, r.opt.World), members: map[string]*member{}, present: map[string]bool{},
		subs: map[*Subscription]bool{}, boards: map[string]string{}, idle: r.opt.Now(), inflight: map[int64]int{}}
	if r.opt.Gate != nil {
		if rm.door, err = r.opt.Gate.Open(sr.Scene); err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrBadScene, sr.Scene, err)
		}
	}
	if o := r.opt.Observer; o != nil {
		o.Created(id, sr.Scene, sr.Created)
	}
	var since uint64
	snap, err := r.opt.Store.Snapshot(ctx, id)
	switch {
	case err == nil:
		var st stored
		var acts []json.RawMessage
		if err := json.Unmarshal([]byte(snap.Scene), &st); err == nil {
			err = json.Unmarshal(st.Actions, &acts)
		}
		if err != nil {
			return nil, fmt.Errorf("relay: room %s: its snapshot at seq %d cannot be read: %w", id, snap.Seq, err)
		}
		if err := rm.restore(snap.Seq, st, acts); err != nil {
			return nil, fmt.Errorf("relay: room %s: its snapshot at seq %d: %w", id, snap.Seq, err)
		}
		for _, m := range st.Present {
			rm.present[m] = true
		}
		since = snap.Seq
	case !errors.Is(err, store.ErrNoSnapshot):
		return nil, storeErr(id, err)
	}
	head, err := r.opt.Store.Head(ctx, id)
	if err != nil {
		return nil, storeErr(id, err)
	}
	if head.Seq <= since {
		rm.caughtUp()
	}
	fctx, stop := context.WithCancel(context.Background())
	rm.stop = stop
	go rm.follow(fctx, since, head.Seq)
	return rm, nil
}

// caughtUp marks the room ready, once it has delivered the log kept when
// it opened, and says that the members this server had in it before it
// restarted are gone: their connections died with it.
func (rm *room) caughtUp() {
	r := rm.relay
	rm.mu.Lock()
	var stale []string
	for id := range rm.present {
		if r.ownedBefore(id) {
			stale = append(stale, id)
		}
	}
	for _, id := range stale {
		delete(rm.present, id)
		body, _ := json.Marshal(wire.Presence{Member: id, Joined: false, Members: rm.everyone()})
		go rm.append(wire.Envelope{Kind: wire.KindPresence, From: id, Body: body})
	}
	rm.mu.Unlock()
	close(rm.ready)
}

// restore starts the room from a snapshot: its world state, when it has
// one, and its actions after it up to seq.
func (rm *room) restore(seq uint64, st stored, acts []json.RawMessage) error {
	o := rm.relay.opt.Observer
	if st.World != nil {
		if _, err := wire.UnpackWorld(st.World); err != nil {
			return fmt.Errorf("its world state at seq %d: %w", st.WorldSeq, err)
		}
		if rm.door != nil {
			rm.door.Restore(st.Gate, st.WorldTick)
		}
		if wo, ok := o.(WorldObserver); ok {
			wo.Restored(rm.id, st.World)
		}
	}
	rm.log.restore(seq, st, acts)
	for _, a := range acts {
		if rm.door != nil {
			rm.door.Replay(a)
		}
		if o != nil {
			kind := wire.KindAction
			var probe struct{ Kind sim.ActionKind }
			if json.Unmarshal(a, &probe) == nil && probe.Kind == sim.ActReading {
				kind = wire.KindReading
			}
			o.Envelope(rm.id, wire.Envelope{Room: rm.id, Seq: seq, Kind: kind, Body: a})
		}
	}
	return nil
}

// follow delivers the room's envelopes after since until ctx ends or the
// room is removed, subscribing again when the store fails. The room is
// ready once the envelopes up to caughtUp are delivered.
func (rm *room) follow(ctx context.Context, since, caughtUp uint64) {
	defer close(rm.done)
	r := rm.relay
	wait := resubscribeAfter
	for {
		// What this server appended it delivered at once, so the room may
		// be past where its subscription was.
		rm.mu.Lock()
		since = max(since, rm.log.seq)
		rm.mu.Unlock()
		sub, err := r.opt.Store.Subscribe(ctx, rm.id, since)
		if err == nil {
			r.unavailable.Store(false)
			wait = resubscribeAfter
			for e := range sub.C {
				rm.mu.Lock()
				if e.Seq > rm.log.seq { // else append delivered it
					rm.deliver(e)
				}
				since = e.Seq
				rm.unlockAndWrite()
				if e.Seq == caughtUp {
					rm.caughtUp()
				}
			}
			err = sub.Err()
			sub.Close()
		}
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrNoRoom):
			r.log.Info("room removed", "room", rm.id)
			r.close(rm, ErrNoRoom)
			return
		case errors.Is(err, store.ErrCutOff):
			continue // this process fell behind; follow again from since
		case errors.Is(err, store.ErrTrimmed) && rm.past(since):
			// The room delivered its own appends past where the
			// subscription was, and folded them: it follows again
			// from what it has.
			continue
		case errors.Is(err, store.ErrTrimmed):
			// Another server folded the log and dropped it past where
			// this one is: the room opens again here from its snapshot,
			// at the next join, which its members make.
			r.log.Warn("fell behind the room's log; opening it again", "room", rm.id, "err", err)
			r.close(rm, fmt.Errorf("%w: this server fell behind the room's log", ErrUnavailable))
			return
		}
		r.unavailable.Store(true)
		r.resubscribes.Add(1)
		r.log.Warn("lost the room's log; following it again", "room", rm.id, "err", err, "in", wait)
		rm.mu.Lock()
		for _, m := range rm.members {
			rm.drop(m, websocket.StatusTryAgainLater, "storage unavailable, reconnecting")
		}
		rm.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxResubscribeAfter)
	}
}

// close takes the room out of this process: its members and event streams
// end (why says why) and its follower stops. The store keeps the room.
func (r *Relay) close(rm *room, why error) {
	r.mu.Lock()
	if r.rooms[rm.id] == rm {
		delete(r.rooms, rm.id)
	}
	r.mu.Unlock()
	rm.mu.Lock()
	if rm.gone {
		rm.mu.Unlock()
		return
	}
	rm.gone = true
	for s := range rm.subs {
		rm.unsubscribe(s, why)
	}
	for _, m := range rm.members {
		rm.drop(m, websocket.StatusGoingAway, "the room was closed: "+why.Error())
	}
	rm.mu.Unlock()
	if rm.stop != nil {
		rm.stop()
	}
	if o := r.opt.Observer; o != nil {
		o.Removed(rm.id)
	}
}

// past reports whether the room has delivered past seq.
func (rm *room) past(seq uint64) bool {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.log.seq > seq
}

func (rm *room) now() int64 { return rm.relay.opt.Now().Sub(rm.created).Milliseconds() }

// admit passes an action or reading through the room's gate and appends
// what the gate returns.
func (rm *room) admit(e wire.Envelope) (wire.Envelope, error) {
	if rm.door == nil {
		return rm.append(e)
	}
	rm.mu.Lock()
	body, err := rm.door.Admit(e.Kind, e.Body, wire.Tick(rm.now()))
	var at struct{ At int64 }
	if err == nil {
		err = json.Unmarshal(body, &at)
	}
	if err == nil {
		rm.inflight[at.At]++
	}
	rm.mu.Unlock()
	if err != nil {
		rm.relay.refused.Add(1)
		rm.relay.log.Info("refused an action", "room", rm.id, "from", e.From, "err", err)
		return e, err
	}
	e.Body = body
	defer func() {
		rm.mu.Lock()
		if rm.inflight[at.At]--; rm.inflight[at.At] <= 0 {
			delete(rm.inflight, at.At)
		}
		rm.mu.Unlock()
	}()
	return rm.append(e)
}

// Horizon is the earliest tick of an action this process admitted to room
// id that the room's log may not have yet, and whether there is one. A
// replica steps no further than the tick before it: an append can take
// longer than the lead an action is given, and a replica that stepped
// past it would have to replay the room to take it.
func (r *Relay) Horizon(id string) (int64, bool) {
	r.mu.Lock()
	rm := r.rooms[id]
	r.mu.Unlock()
	if rm == nil {
		return 0, false
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.horizon()
}

// horizon is the earliest tick of an action this process admitted that
// the room's log may still get, and whether there is one. Call with rm.mu
// held.
func (rm *room) horizon() (int64, bool) {
	first, ok := int64(0), false
	for at := range rm.inflight {
		if !ok || at < first {
			first, ok = at, true
		}
	}
	return first, ok
}

// append stamps an envelope with the room's clock and appends it to the
// room's log in the store, which gives it its seq; every member of the
// room, here or on another server, gets it through deliver. Call it
// without rm.mu held.
func (rm *room) append(e wire.Envelope) (wire.Envelope, error) {
	e.Room, e.At = rm.id, rm.now()
	if isAction(e.Kind) {
		rm.mu.Lock()
		err := rm.log.admit(e)
		rm.mu.Unlock()
		if err != nil {
			return e, err
		}
	}
	ctx, cancel := rm.relay.ctx()
	defer cancel()
	began := time.Now()
	e, err := rm.relay.opt.Store.Append(ctx, rm.id, e)
	rm.relay.appendNanos.Add(time.Since(began).Nanoseconds())
	rm.relay.appends.Add(1)
	if err != nil {
		rm.relay.appendErrs.Add(1)
		if errors.Is(err, store.ErrUnavailable) {
			rm.relay.unavailable.Store(true)
		}
		return e, storeErr(rm.id, err)
	}
	// What was appended is delivered before append returns, so a caller
	// reads its own writes (an event stream opened after a REST action
	// has it). When it comes right after what the room has delivered, it
	// is delivered here, without waiting for the room's subscription to
	// bring it back; the follower then passes over it. Otherwise other
	// appends, this server's or another's, come first, and the follower
	// delivers it in its turn.
	rm.mu.Lock()
	if !rm.gone && rm.log.seq+1 == e.Seq {
		rm.deliver(e)
	}
	rm.unlockAndWrite()
	for {
		rm.mu.Lock()
		done, next := rm.log.seq >= e.Seq || rm.gone, rm.delivered
		rm.mu.Unlock()
		if done {
			return e, nil
		}
		select {
		case <-next:
		case <-ctx.Done():
			return e, nil // it is in the log; it will be delivered
		}
	}
}

// deliver takes the room's next envelope: the room's state follows it and
// every member and event stream here gets it. Call with rm.mu held, and
// release it with unlockAndWrite.
func (rm *room) deliver(e wire.Envelope) {
	rm.log.add(e)
	close(rm.delivered)
	rm.delivered = make(chan struct{})
	to := ""
	switch e.Kind {
	case wire.KindAction, wire.KindReading:
		if rm.door != nil {
			rm.door.Replay(e.Body)
		}
	case wire.KindPresence:
		var p wire.Presence
		if json.Unmarshal(e.Body, &p) == nil {
			if p.Joined {
				rm.present[p.Member] = true
			} else {
				delete(rm.present, p.Member)
				for dev, holder := range rm.boards {
					if holder == p.Member {
						delete(rm.boards, dev)
					}
				}
			}
		}
	case wire.KindBoard:
		var b wire.Board
		if json.Unmarshal(e.Body, &b) == nil {
			rm.boards[b.Device] = e.From
		}
	case wire.KindCommand:
		var c wire.Command
		json.Unmarshal(e.Body, &c)
		to = rm.boards[c.Device]
	}
	rm.settle()
	if o := rm.relay.opt.Observer; o != nil {
		o.Envelope(rm.id, e)
	}
	for s := range rm.subs {
		select {
		case s.c <- e:
		default:
			rm.unsubscribe(s, ErrCutOff)
		}
	}
	data, _ := json.Marshal(e)
	for _, m := range rm.members {
		if e.Kind == wire.KindCommand && m.id != to && m.id != e.From || e.Seq <= m.had {
			continue
		}
		rm.sendInPassing(m, data)
	}
}

// unlockAndWrite releases rm.mu, then writes to the members whose queues
// the deliveries made under it claimed: from this goroutine, without
// waking a writer for each, as an event loop writes to its sockets. A
// member's socket is never waited for here (see Relay.writeInPassing),
// so a slow reader holds up no one else.
func (rm *room) unlockAndWrite() {
	owed := rm.owed
	rm.owed = nil
	rm.mu.Unlock()
	for _, m := range owed {
		m.inPassing()
	}
}

// settle stores the snapshot of a fold that happened, and starts making a
// world state from it when one is due. Call with rm.mu held.
func (rm *room) settle() {
	s := rm.log.folded()
	if s == nil {
		return
	}
	s.Present = rm.everyone()
	rm.putSnapshot(s)
	if tick, ok := rm.log.worldDue(s); ok {
		go rm.foldWorld(s, tick, rm.mark())
	}
}

// mark is what the room's gate has learnt from every action delivered.
// Call with rm.mu held.
func (rm *room) mark() gate.Mark {
	if rm.door == nil {
		return gate.Mark{}
	}
	return rm.door.Mark()
}

// send queues a frame for a member, dropping the member when it is too
// slow to keep up. Call with rm.mu held.
func (rm *room) send(m *member, data []byte) {
	if m.out.push(data) {
		rm.relay.out.Add(1)
	} else {
		rm.dropSlow(m)
	}
}

// dropSlow drops a member whose queue is full. Call with rm.mu held.
func (rm *room) dropSlow(m *member) {
	rm.relay.drops.Add(1)
	rm.relay.log.Warn("dropping a slow reader", "room", rm.id, "member", m.id)
	rm.drop(m, websocket.StatusPolicyViolation, "too slow: the room moved on without you; reconnect to catch up")
}

// sendInPassing is send for a delivery: when the member's queue was
// idle and can be claimed (a connection's), the delivery claims it, and
// writes to the member itself once rm.mu is released (unlockAndWrite).
// Call with rm.mu held.
func (rm *room) sendInPassing(m *member, data []byte) {
	ok, claimed := m.out.pushClaim(data)
	if !ok {
		rm.dropSlow(m)
		return
	}
	rm.relay.out.Add(1)
	if claimed {
		rm.owed = append(rm.owed, m)
	}
}

// drop ends a member here: it leaves the room and its connection closes.
// Call with rm.mu held.
func (rm *room) drop(m *member, code websocket.StatusCode, reason string) {
	rm.leave(m)
	m.kill(code, reason)
}

// everyone is every member of the room, on every server. Call with rm.mu
// held.
func (rm *room) everyone() []string {
	ids := make([]string, 0, len(rm.present))
	for id := range rm.present {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// leave takes a member out of the room here and tells everyone. Call with
// rm.mu held.
func (rm *room) leave(m *member) {
	if _, ok := rm.members[m.id]; !ok {
		return
	}
	delete(rm.members, m.id)
	if len(rm.members) == 0 {
		rm.idle = rm.relay.opt.Now()
	}
	others := rm.everyone()
	others = slices.DeleteFunc(others, func(id string) bool { return id == m.id })
	body, _ := json.Marshal(wire.Presence{Member: m.id, Joined: false, Members: others})
	go rm.append(wire.Envelope{Kind: wire.KindPresence, From: m.id, Body: body})
}
