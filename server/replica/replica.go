// Package replica is the server's copy of every live room's world: the same
// deterministic simulation the browsers run, fed by the room's ordered log,
// so the server can answer the open API (REST, MQTT) and check the state
// hashes browsers report against its own.
//
// A replica is stepped lazily: only when something asks for it (an API
// call, a hash report, the MQTT publisher), and then straight to the room's
// current tick. A room nobody asks about costs a queued envelope per
// message and no simulation at all.
package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/thingyard/thingyard/internal/defaults"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Options configure a Set. Zero fields take defaults.
type Options struct {
	// Now is the clock; tests replace it (default time.Now).
	Now func() time.Time
	// Scene builds a room's scene by name (default scenes.Builtin).
	Scene func(name string) (*scenes.Scene, error)
	// Changed, when set, is called after a replica synced and its world
	// moved on; the MQTT publisher uses it. It runs with the replica's
	// lock held and must not call back into it.
	Changed func(r *Replica, w *sim.World)
	// Horizon, when set, is the earliest tick of an action the room's log
	// may still get (the relay's Horizon): a replica steps no further, so
	// an append slower than an action's lead costs no replay.
	Horizon func(room string) (tick int64, ok bool)
	// Late is how many ticks behind a replica's world an action may reach
	// it and still be applied in its place (default DefaultLate). A
	// replica keeps a copy of its world every Late/2 ticks and forgets the
	// actions no later action can reach back to, so its memory does not
	// grow with the room's age; an action later still is left out, and
	// logged.
	Late int64
}

// DefaultLate is Options.Late's default: 6,000 ticks (60 s of a room's
// clock), the gate's window (an action may name a tick up to
// gate.DefaultLate before the room's now) and as much again for the
// store to deliver it (a room's follower waits up to 30 s before it
// subscribes again).
const DefaultLate = 2 * gate.DefaultLate

// syncQueue is how many envelopes wait for a replica nobody reads before
// it syncs anyway, so a room nobody watches holds at most that many
// (default 4,096).
const syncQueue = 4096

// checkQueue is how many replicas with unchecked hash reports may wait for
// the checker; past it a report waits for the replica's next sync.
const checkQueue = 1024

// futureSlack is how far past the room's clock a reported tick may be,
// a browser's clock running a little ahead; a report further ahead is
// ignored rather than stepped to.
const futureSlack = sim.HashEvery

// Set holds the replicas of the live rooms. It is the relay's Observer.
type Set struct {
	opt Options
	log *slog.Logger

	mu    sync.Mutex
	rooms map[string]*Replica
	check chan *Replica

	checks, divergences, unchecked, stale, stepped, rebuilds atomic.Int64
}

// New makes an empty set.
func New(opt Options, log *slog.Logger) *Set {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Scene == nil {
		opt.Scene = scenes.Builtin
	}
	defaults.Positive(&opt.Late, DefaultLate)
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Set{opt: opt, log: log, rooms: map[string]*Replica{}, check: make(chan *Replica, checkQueue)}
}

// Replica is one room's world on the server.
type Replica struct {
	ID, Scene string
	created   time.Time
	set       *Set

	// qmu guards queue and queued only, so the relay never waits for a
	// replica that is stepping.
	qmu    sync.Mutex
	queue  []wire.Envelope // logged but not yet applied
	queued bool            // waiting in set.check

	mu   sync.Mutex // guards what follows; held while stepping
	tl   *sim.Timeline
	err  error    // the scene could not be built
	seq  uint64   // last envelope applied
	acts []logged // the actions applied, in the room's order, from the timeline's horizon on
	// forgot is the seq of the last action dropped from acts and
	// forgotAt the latest tick of those dropped: a hash report of a
	// browser that had not had them is judged by these.
	forgot   uint64
	forgotAt int64
}

// logged is an action of the room's log: its seq and its tick.
type logged struct {
	seq uint64
	at  int64
}

// Created starts a replica for a new room; its world is built on first use.
func (s *Set) Created(room, scene string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rooms[room] = &Replica{ID: room, Scene: scene, created: at, set: s}
}

// Envelope queues a logged envelope or a hash report for the room's
// replica. A hash report wakes the checker, and so does a queue of
// syncQueue envelopes.
func (s *Set) Envelope(room string, e wire.Envelope) {
	r := s.Get(room)
	if r == nil {
		return
	}
	r.qmu.Lock()
	r.queue = append(r.queue, e)
	wake := (e.Kind == wire.KindHash || len(r.queue) >= syncQueue) && !r.queued
	if wake {
		r.queued = true
	}
	r.qmu.Unlock()
	if wake {
		select {
		case s.check <- r:
		default:
			r.qmu.Lock()
			r.queued = false
			r.qmu.Unlock()
		}
	}
}

// Removed drops a room's replica.
func (s *Set) Removed(room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rooms, room)
}

// Get is the replica of a live room, or nil.
func (s *Set) Get(room string) *Replica {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[room]
}

// Each calls fn with every live room's replica, in no order.
func (s *Set) Each(fn func(*Replica)) {
	s.mu.Lock()
	rs := make([]*Replica, 0, len(s.rooms))
	for _, r := range s.rooms {
		rs = append(rs, r)
	}
	s.mu.Unlock()
	for _, r := range rs {
		fn(r)
	}
}

// Len is the number of replicas.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rooms)
}

// Run checks hash reports as they come, until ctx ends.
func (s *Set) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.check:
			r.qmu.Lock()
			r.queued = false
			r.qmu.Unlock()
			r.Read(func(*sim.World, uint64) {})
		}
	}
}

// Stats are the set's counters.
type Stats struct {
	Replicas    int
	Checks      int64 // browser hash reports compared
	Divergences int64 // reports that differed from the replica
	Unchecked   int64 // reports of a tick the replica has no mark for
	Stale       int64 // reports taken before the browser had an action that changes the mark
	Ticks       int64 // device-ticks stepped, over all replicas
	Rebuilds    int64 // late actions that made a replica replay its log
}

// Stats reads the counters.
func (s *Set) Stats() Stats {
	return Stats{Replicas: s.Len(), Checks: s.checks.Load(), Divergences: s.divergences.Load(),
		Unchecked: s.unchecked.Load(), Stale: s.stale.Load(), Ticks: s.stepped.Load(), Rebuilds: s.rebuilds.Load()}
}

// WriteMetrics writes the counters in Prometheus' text format.
func (s *Set) WriteMetrics(w io.Writer) {
	st := s.Stats()
	metrics.WriteGaugeUint64(w, "thingyard_replicas", uint64(st.Replicas))                       // Room worlds the server runs.
	metrics.WriteCounterUint64(w, "thingyard_replica_hash_checks_total", uint64(st.Checks))      // Browser state hashes compared with the server's replica.
	metrics.WriteCounterUint64(w, "thingyard_replica_divergences_total", uint64(st.Divergences)) // Browser state hashes that differed from the server's replica.
	metrics.WriteCounterUint64(w, "thingyard_replica_unchecked_total", uint64(st.Unchecked))     // Browser hash reports of a tick the replica kept no mark for.
	metrics.WriteCounterUint64(w, "thingyard_replica_hash_stale_total", uint64(st.Stale))        // Browser hash reports of a mark taken before the browser had a late action of an earlier tick; its later marks are checked.
	metrics.WriteCounterUint64(w, "thingyard_replica_device_ticks_total", uint64(st.Ticks))      // Device-ticks the replicas simulated.
	metrics.WriteCounterUint64(w, "thingyard_replica_rebuilds_total", uint64(st.Rebuilds))       // Late actions that made a replica replay its log.
}

// Tick is the room's tick now by its clock: what every member runs.
func (r *Replica) Tick() int64 {
	return r.set.opt.Now().Sub(r.created).Milliseconds() / wire.MsPerTick
}

// Read brings the replica up to the room's log and clock and calls fn with
// its world and the seq of the last envelope applied. fn must not keep w.
// It returns the error the room's scene failed to build with, if any.
func (r *Replica) Read(fn func(w *sim.World, seq uint64)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.sync(); err != nil {
		return err
	}
	fn(r.tl.World(), r.seq)
	return nil
}

// sync applies the queued envelopes and steps to now. Call with r.mu held.
func (r *Replica) sync() error {
	if r.tl == nil && r.err == nil {
		sc, err := r.set.opt.Scene(r.Scene)
		if err == nil {
			r.tl, err = sim.NewTimeline(sc.Spec, sc.Seed)
		}
		if err == nil {
			late := r.set.opt.Late
			r.tl.CheckpointStates(max(1, late/2), late)
		}
		if err != nil {
			r.err = fmt.Errorf("replica of room %s: scene %q: %w", r.ID, r.Scene, err)
			r.set.log.Error("cannot build a room's replica", "room", r.ID, "scene", r.Scene, "err", err)
		}
	}
	if r.err != nil {
		return r.err
	}
	// The clock is read before the log is taken: what the relay admits
	// from now on is scheduled at or after this tick, so stepping to it
	// never puts an action still to come in the world's past, however
	// long this sync takes. What it admitted before and is still
	// appending holds the world back to its tick (Options.Horizon).
	now := r.Tick()
	if h := r.set.opt.Horizon; h != nil {
		if first, ok := h(r.ID); ok && first < now {
			now = first
		}
	}
	r.qmu.Lock()
	q := r.queue
	r.queue = nil
	r.qmu.Unlock()
	before, rebuilds := r.tl.World().Tick(), r.tl.Rebuilds()
	// Actions go to the timeline in batches, one between two hash
	// reports, so late ones cost one replay per batch.
	var batch []sim.Action
	flush := func() {
		r.tl.AddAll(batch)
		batch = batch[:0]
	}
	for _, e := range q {
		switch e.Kind {
		case wire.KindHash:
			flush()
			r.compare(e)
			continue
		case wire.KindAction, wire.KindReading:
			var a sim.Action
			if err := json.Unmarshal(e.Body, &a); err == nil {
				if h := r.tl.Horizon(); a.At < h {
					r.set.log.Warn("an action reached the replica later than it keeps its room's past; its world leaves it out and may differ from the browsers'",
						"room", r.ID, "seq", e.Seq, "tick", a.At, "horizon", h, "replica_tick", r.tl.World().Tick())
				}
				// A refused action is refused by every member alike.
				batch = append(batch, a)
				r.acts = append(r.acts, logged{e.Seq, a.At})
			}
		}
		r.seq = e.Seq
	}
	flush()
	r.tl.AdvanceTo(now)
	r.forget()
	w := r.tl.World()
	if n := r.tl.Rebuilds() - rebuilds; n > 0 {
		r.set.rebuilds.Add(int64(n))
	}
	if d := w.Tick() - before; d > 0 {
		r.set.stepped.Add(d * int64(len(w.DeviceIDs())))
		if r.set.opt.Changed != nil {
			r.set.opt.Changed(r, w)
		}
	}
	return nil
}

// forget drops the actions before the timeline's horizon from acts, which
// no late action reaches back to. Call with r.mu held.
func (r *Replica) forget() {
	h, n := r.tl.Horizon(), 0
	for n < len(r.acts) && r.acts[n].at < h {
		r.forgot = r.acts[n].seq
		r.forgotAt = max(r.forgotAt, r.acts[n].at)
		n++
	}
	if n == 0 {
		return
	}
	kept := copy(r.acts, r.acts[n:])
	r.acts = r.acts[:kept]
	if cap(r.acts) > 64 && cap(r.acts) > 4*kept {
		r.acts = append(make([]logged, 0, 2*kept), r.acts...)
	}
}

// compare checks a browser's hash report against the replica's mark of the
// same tick, stepping there first when the replica is behind. The replica
// has applied the room's log up to the report (e.Seq), the browser up to
// h.Seq: the two marks must agree exactly when no action between the two
// is of a tick before the mark. When one is, the browser got it late, after
// it took the mark; the report is stale, neither right nor wrong, and the
// browser's next marks, replayed with the action, are checked.
func (r *Replica) compare(e wire.Envelope) {
	var h wire.Hash
	if json.Unmarshal(e.Body, &h) != nil || h.Tick <= 0 || h.Seq > r.seq {
		r.set.unchecked.Add(1)
		return
	}
	for i := len(r.acts) - 1; i >= 0 && r.acts[i].seq > h.Seq; i-- {
		if r.acts[i].at < h.Tick {
			r.set.stale.Add(1)
			r.set.log.Info("a browser reported a hash mark taken before it had a late action",
				"room", r.ID, "seq", e.Seq, "member", e.From, "tick", h.Tick, "browser_seq", h.Seq, "action_seq", r.acts[i].seq, "action_tick", r.acts[i].at)
			return
		}
	}
	if h.Seq < r.forgot {
		// The browser lacked actions the replica no longer keeps. The
		// last of them is before the mark when every one was: the report
		// is stale. Otherwise which one it lacked cannot be told.
		if r.forgotAt < h.Tick {
			r.set.stale.Add(1)
			r.set.log.Info("a browser reported a hash mark taken before it had a late action",
				"room", r.ID, "seq", e.Seq, "member", e.From, "tick", h.Tick, "browser_seq", h.Seq, "action_seq", r.forgot)
		} else {
			r.set.unchecked.Add(1)
		}
		return
	}
	if h.Tick > e.At/wire.MsPerTick+futureSlack {
		r.set.unchecked.Add(1)
		r.set.log.Warn("a browser reported a hash from the future", "room", r.ID, "seq", e.Seq, "member", e.From, "tick", h.Tick)
		return
	}
	r.tl.AdvanceTo(h.Tick)
	got, ok := r.tl.World().HashAt(h.Tick)
	if !ok {
		r.set.unchecked.Add(1)
		return
	}
	r.set.checks.Add(1)
	if sim.HashString(got) != h.Hash {
		r.set.divergences.Add(1)
		r.set.log.Warn("a browser's world diverged from the server's replica",
			"room", r.ID, "seq", e.Seq, "member", e.From, "tick", h.Tick, "browser_seq", h.Seq, "browser", h.Hash, "replica", sim.HashString(got))
	}
}

// Time is the room's wall-clock time at a world tick, in RFC 3339 (UTC,
// milliseconds): when the browsers of the room showed that tick.
func (r *Replica) Time(tick int64) string {
	return r.created.Add(time.Duration(tick*wire.MsPerTick) * time.Millisecond).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
