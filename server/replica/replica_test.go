package replica_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// clock is a settable clock for the replicas.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a log output the test reads while the set writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newSet(t *testing.T) (*replica.Set, *clock, *syncBuffer) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	return replica.New(replica.Options{Now: c.Now}, slog.New(slog.NewTextHandler(logs, nil))), c, logs
}

func envelope(t *testing.T, seq uint64, kind string, body any) wire.Envelope {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Envelope{Room: "room-one", Seq: seq, From: "m1", Kind: kind, Body: b}
}

// reference runs a scene with actions the way a browser that got every
// action in time does.
func reference(t *testing.T, scene string, tick int64, acts ...sim.Action) *sim.World {
	t.Helper()
	sc, err := scenes.Builtin(scene)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		tl.AdvanceTo(a.At - 20)
		tl.Add(a)
	}
	tl.AdvanceTo(tick)
	return tl.World()
}

// The replica reaches the state a browser of the room reaches, whether
// it is read often or once at the end, and steps nothing until read.
func TestReplicaFollowsTheRoom(t *testing.T) {
	acts := []sim.Action{
		{At: 300, Kind: sim.ActCut, Link: sim.Internet},
		{At: 900, Kind: sim.ActCommand, Device: "fan", On: true},
		{At: 1500, Kind: sim.ActRestore, Link: sim.Internet},
		{At: 2200, Kind: sim.ActSet, Device: "meter", Key: "period_ms", Value: 250},
	}
	for _, readOften := range []bool{false, true} {
		set, clk, _ := newSet(t)
		set.Created("room-one", "open-api", clk.Now())
		r := set.Get("room-one")
		for i, a := range acts {
			clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(a.At-20) * wire.MsPerTick * time.Millisecond))
			set.Envelope("room-one", envelope(t, uint64(i+1), wire.KindAction, a))
			if readOften {
				r.Read(func(*sim.World, uint64) {})
			}
		}
		if !readOften && set.Stats().Ticks != 0 {
			t.Errorf("the replica stepped %d device-ticks before anyone read it", set.Stats().Ticks)
		}
		clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(3000 * wire.MsPerTick * time.Millisecond))
		want := reference(t, "open-api", 3000, acts...)
		var got uint64
		var seq uint64
		var tick int64
		if err := r.Read(func(w *sim.World, s uint64) { got, seq, tick = w.Hash(), s, w.Tick() }); err != nil {
			t.Fatal(err)
		}
		if got != want.Hash() || tick != 3000 || seq != uint64(len(acts)) {
			t.Errorf("read often %v: hash %x at tick %d seq %d, want %x at 3000 seq %d", readOften, got, tick, seq, want.Hash(), len(acts))
		}
	}
}

// A browser's hash report is compared with the replica's mark of the same
// tick; one that differs is counted and logged with the room and seq.
func TestHashReportsAreChecked(t *testing.T) {
	set, clk, logs := newSet(t)
	set.Created("room-one", "open-api", clk.Now())
	want := reference(t, "open-api", 2000)
	mark, _ := want.HashAt(2000)
	clk.Add(2600 * wire.MsPerTick * time.Millisecond)
	at := int64(2600 * wire.MsPerTick)
	tests := []struct {
		tick                        int64
		hash                        string
		checks, divergences, unchek int64
	}{
		{2000, sim.HashString(mark), 1, 0, 0},
		{2000, "0123456789abcdef", 2, 1, 0},
		{1500, sim.HashString(mark), 2, 1, 1},    // no mark at that tick
		{900_000, sim.HashString(mark), 2, 1, 2}, // from the future
	}
	r := set.Get("room-one")
	for i, tt := range tests {
		e := envelope(t, 7, wire.KindHash, wire.Hash{Tick: tt.tick, Hash: tt.hash})
		e.At = at
		set.Envelope("room-one", e)
		r.Read(func(*sim.World, uint64) {})
		st := set.Stats()
		if st.Checks != tt.checks || st.Divergences != tt.divergences || st.Unchecked != tt.unchek {
			t.Errorf("report %d (tick %d): checks %d, divergences %d, unchecked %d; want %d, %d, %d",
				i, tt.tick, st.Checks, st.Divergences, st.Unchecked, tt.checks, tt.divergences, tt.unchek)
		}
	}
	if l := logs.String(); !strings.Contains(l, "diverged") || !strings.Contains(l, "room=room-one") || !strings.Contains(l, "seq=7") {
		t.Errorf("the divergence was not logged with its room and seq:\n%s", l)
	}
	var tick int64
	r.Read(func(w *sim.World, _ uint64) { tick = w.Tick() })
	if tick != 2600 {
		t.Errorf("a report from the future moved the replica to tick %d", tick)
	}
	set.Removed("room-one")
	if set.Get("room-one") != nil || set.Len() != 0 {
		t.Error("the replica outlived its room")
	}
}

// browser is a room member as the page runs it: a timeline fed by the
// envelopes it has got, in order, and the seq of the last.
type browser struct {
	tl  *sim.Timeline
	seq uint64
}

func newBrowser(t *testing.T, scene string) *browser {
	t.Helper()
	sc, err := scenes.Builtin(scene)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{tl: tl}
}

// receive applies an envelope at the browser's tick now.
func (b *browser) receive(t *testing.T, tick int64, e wire.Envelope) {
	t.Helper()
	b.tl.AdvanceTo(tick)
	var a sim.Action
	if err := json.Unmarshal(e.Body, &a); err != nil {
		t.Fatal(err)
	}
	b.tl.Add(a)
	b.seq = e.Seq
}

// report is the hash report the browser sends at tick, as the page makes
// it.
func (b *browser) report(t *testing.T, tick int64) wire.Hash {
	t.Helper()
	b.tl.AdvanceTo(tick)
	mark := wire.ReportTick(tick)
	h, ok := b.tl.World().HashAt(mark)
	if !ok {
		t.Fatalf("the browser has no mark at %d", mark)
	}
	return wire.Hash{Tick: mark, Seq: b.seq, Hash: sim.HashString(h)}
}

// A browser that gets an action more than HashDelay after its tick has
// already reported a mark without it; the replica, which had the action in
// time, must not count that report as a divergence, and must still count a
// browser that is really wrong, late action or not.
func TestLateActionIsNotADivergence(t *testing.T) {
	set, clk, logs := newSet(t)
	start := clk.Now()
	set.Created("room-one", "open-api", start)
	r := set.Get("room-one")
	at := func(tick int64) { clk.Set(start.Add(time.Duration(tick*wire.MsPerTick) * time.Millisecond)) }

	// prompt gets everything in time; late gets the second action only at
	// tick 2600, 1,100 ticks after its tick; wrong claims the second
	// action (its seq) but lost it, as a browser that drops an envelope.
	prompt, late, wrong := newBrowser(t, "open-api"), newBrowser(t, "open-api"), newBrowser(t, "open-api")
	var seq uint64
	var held []wire.Envelope
	logAction := func(tick int64, a sim.Action, holdLate bool) {
		at(tick)
		seq++
		e := envelope(t, seq, wire.KindAction, a)
		e.At = tick * wire.MsPerTick
		set.Envelope("room-one", e)
		prompt.receive(t, tick, e)
		if holdLate {
			held = append(held, e)
			wrong.tl.AdvanceTo(tick)
			wrong.seq = e.Seq
		} else {
			late.receive(t, tick, e)
			wrong.receive(t, tick, e)
		}
	}
	// send reports what b sends at tick and says what the replica made of
	// it.
	send := func(b *browser, tick int64) string {
		at(tick)
		e := envelope(t, seq, wire.KindHash, b.report(t, tick))
		e.At = tick * wire.MsPerTick
		before := set.Stats()
		set.Envelope("room-one", e)
		if err := r.Read(func(*sim.World, uint64) {}); err != nil {
			t.Fatal(err)
		}
		d := set.Stats()
		switch {
		case d.Divergences > before.Divergences:
			return "diverged"
		case d.Checks > before.Checks:
			return "agreed"
		case d.Stale > before.Stale:
			return "stale"
		}
		return "unchecked"
	}

	logAction(280, sim.Action{At: 300, Kind: sim.ActCut, Link: sim.Internet}, false)
	logAction(1480, sim.Action{At: 1500, Kind: sim.ActPower, Device: "air", On: false}, true)
	steps := []struct {
		tick    int64
		deliver bool // the late browser gets what it missed first
		name    string
		b       *browser
		want    string
	}{
		// Mark 1000 is before the second action's tick: all agree.
		{1500, false, "prompt", prompt, "agreed"},
		{1500, false, "late", late, "agreed"},
		{1500, false, "wrong", wrong, "agreed"},
		// Mark 2000 holds the second action.
		{2500, false, "prompt", prompt, "agreed"},
		{2500, false, "late", late, "stale"},
		{2500, false, "wrong", wrong, "diverged"},
		// The late browser got it at 2600 and replayed it into its marks.
		{3500, true, "late", late, "agreed"},
		{3500, false, "prompt", prompt, "agreed"},
		{3500, false, "wrong", wrong, "diverged"},
	}
	for _, st := range steps {
		if st.deliver {
			for _, e := range held {
				late.receive(t, 2600, e)
			}
			held = nil
		}
		if st.tick == 2500 && st.name == "late" {
			// The premise: the late browser's mark really lacks the action.
			if p, l := prompt.report(t, 2500), late.report(t, 2500); p.Hash == l.Hash {
				t.Fatalf("the late browser's mark 2000 equals the prompt one's (%s): the action changed nothing", p.Hash)
			}
		}
		if got := send(st.b, st.tick); got != st.want {
			t.Errorf("tick %d, %s browser: the replica says %s, want %s", st.tick, st.name, got, st.want)
		}
	}
	if st := set.Stats(); st.Checks != 8 || st.Divergences != 2 || st.Stale != 1 {
		t.Errorf("stats %+v, want 8 checks (2 of them divergences), 1 stale", st)
	}
	if l := logs.String(); !strings.Contains(l, "late action") || !strings.Contains(l, "browser_seq=1") || !strings.Contains(l, "action_seq=2") {
		t.Errorf("the stale report was not logged with the seqs:\n%s", l)
	}
}

// An action the room admits while its replica syncs, scheduled as the
// relay schedules it (wire.Lead ticks after the room's now), is never in
// the replica's past: the replica steps only to the tick of the clock it
// read before taking the room's log. Otherwise a sync that took longer
// than the lead (a busy machine) made the next one replay the whole room,
// which took longer still, and a big room never caught up.
func TestActionsAdmittedDuringASyncAreNotLate(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now, seq := start, uint64(0)
	var set *replica.Set
	// Each reading of the clock is a moment of the sync at which the relay
	// admits an action (the room's clock then, plus the lead) and after
	// which 300 ms pass, longer than the lead's 200 ms.
	admitting := false
	clockNow := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if admitting {
			seq++
			tick := now.Sub(start).Milliseconds() / wire.MsPerTick
			set.Envelope("room-one", envelope(t, seq, wire.KindAction, sim.Action{At: tick + wire.Lead, Kind: sim.ActPower, Device: "fan", On: seq%2 == 0}))
			now = now.Add(300 * time.Millisecond)
		}
		return now
	}
	set = replica.New(replica.Options{Now: clockNow}, nil)
	set.Created("room-one", "open-api", start)
	r := set.Get("room-one")
	mu.Lock()
	admitting = true
	mu.Unlock()
	for range 5 {
		if err := r.Read(func(*sim.World, uint64) {}); err != nil {
			t.Fatal(err)
		}
	}
	if n := set.Stats().Rebuilds; n != 0 {
		t.Errorf("%d rebuilds for actions the relay scheduled ahead of the room's clock", n)
	}
}

// feed logs actions into the room of a replica as the relay does, one
// every `every` ticks from tick `from` for n actions, most for the lead
// ahead of the room's clock and every 250th as late as the gate lets
// through (a browser replays from tick 0 for it), reading the replica
// every sim.HashEvery ticks as hash reports make it; the browser, if any,
// gets each at the same moment.
func feed(t *testing.T, set *replica.Set, clk *clock, start time.Time, b *browser, seq *uint64, from, every int64, n int) int64 {
	t.Helper()
	r := set.Get("room-one")
	tick := from
	for i := range n {
		tick += every
		clk.Set(start.Add(time.Duration(tick*wire.MsPerTick) * time.Millisecond))
		a := sim.Action{At: tick + wire.Lead, Kind: sim.ActPower, Device: "fan", On: i%2 == 0}
		if i%250 == 249 {
			a = sim.Action{At: max(0, tick-gate.DefaultLate), Kind: sim.ActPower, Device: "air", On: i%500 == 249}
		}
		*seq++
		e := envelope(t, *seq, wire.KindAction, a)
		e.At = tick * wire.MsPerTick
		set.Envelope("room-one", e)
		if b != nil {
			b.receive(t, tick, e)
		}
		if tick%sim.HashEvery < every {
			if err := r.Read(func(*sim.World, uint64) {}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return tick
}

// A replica keeps what a late action can still reach and forgets the rest:
// fed tens of thousands of actions over twenty minutes of a room's clock, some of them as
// late as the gate allows, it ends in the browsers' state, and its memory
// does not grow with the actions it was given.
func TestReplicaMemoryDoesNotGrowWithTheLog(t *testing.T) {
	// An action every 5 ticks: 20 a second of the room's clock.
	const every = 5
	set, clk, logs := newSet(t)
	start := clk.Now()
	set.Created("room-one", "open-api", start)
	r := set.Get("room-one")
	b := newBrowser(t, "open-api")
	var seq uint64
	tick := feed(t, set, clk, start, b, &seq, 0, every, 10_000)
	b.tl.AdvanceTo(tick)
	var got uint64
	r.Read(func(w *sim.World, _ uint64) { got = w.Hash() })
	if want := b.tl.World().Hash(); got != want {
		t.Fatalf("at tick %d the replica's world is %x, the browser's %x", tick, got, want)
	}
	if set.Stats().Rebuilds == 0 {
		t.Error("no late action made the replica replay: the test proves nothing")
	}
	if strings.Contains(logs.String(), "later than it keeps") {
		t.Errorf("an action within the gate's window was left out:\n%s", logs.String())
	}

	// The same without the browser, whose timeline keeps every action.
	set, clk, _ = newSet(t)
	start = clk.Now()
	set.Created("room-one", "open-api", start)
	seq = 0
	tick = feed(t, set, clk, start, nil, &seq, 0, every, 2000)
	before := heapInUse()
	const more = 16_000
	feed(t, set, clk, start, nil, &seq, tick, every, more)
	grown := int64(heapInUse()) - int64(before)
	runtime.KeepAlive(set)
	t.Logf("the replica's heap grew by %d bytes over %d more actions", grown, more)
	if perAction := grown / more; perAction > 32 {
		t.Errorf("the replica's heap grew by %d bytes over %d more actions (%d B/action): it keeps what no action can reach", grown, more, perAction)
	}
}

// An action later than the replica keeps its room's past is left out and
// logged; the next late one within the window is applied in its place.
func TestReplicaLeavesOutWhatIsTooLate(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	logs := &syncBuffer{}
	set := replica.New(replica.Options{Now: c.Now, Late: 400}, slog.New(slog.NewTextHandler(logs, nil)))
	start := c.Now()
	set.Created("room-one", "open-api", start)
	r := set.Get("room-one")
	at := func(tick int64) { c.Set(start.Add(time.Duration(tick*wire.MsPerTick) * time.Millisecond)) }
	at(5000)
	r.Read(func(*sim.World, uint64) {})
	send := func(seq uint64, a sim.Action) uint64 {
		set.Envelope("room-one", envelope(t, seq, wire.KindAction, a))
		var hash uint64
		r.Read(func(w *sim.World, _ uint64) { hash = w.Hash() })
		return hash
	}
	before := send(1, sim.Action{At: 5000 - 400 - 200, Kind: sim.ActCut, Link: sim.Internet})
	if !strings.Contains(logs.String(), "later than it keeps") || !strings.Contains(logs.String(), "seq=1") {
		t.Errorf("an action 600 ticks late with a window of 400 was not logged:\n%s", logs.String())
	}
	want := reference(t, "open-api", 5000, sim.Action{At: 5000 - 300, Kind: sim.ActPower, Device: "fan"})
	if got := send(2, sim.Action{At: 5000 - 300, Kind: sim.ActPower, Device: "fan"}); got != want.Hash() || got == before {
		t.Errorf("an action 300 ticks late: %x, want %x (the too late one left out)", got, want.Hash())
	}
}

// A replica nobody reads syncs once syncQueue envelopes wait for it, so
// an unwatched room's queue stays bounded.
func TestUnreadReplicaSyncs(t *testing.T) {
	set, clk, _ := newSet(t)
	set.Created("room-one", "open-api", clk.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go set.Run(ctx)
	clk.Add(100 * wire.MsPerTick * time.Millisecond)
	for i := range 5000 {
		set.Envelope("room-one", envelope(t, uint64(i+1), wire.KindAction, sim.Action{At: 200, Kind: sim.ActPower, Device: "fan", On: i%2 == 0}))
	}
	deadline := time.Now().Add(10 * time.Second)
	for set.Stats().Ticks == 0 {
		if time.Now().After(deadline) {
			t.Fatal("5000 envelopes waited for a replica nobody reads, and it never synced")
		}
		runtime.Gosched()
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A browser's report that lacks actions the replica has forgotten (they
// lie before its horizon) is stale when they all lie before its mark, and
// never a divergence.
func TestReportWithoutForgottenActions(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	set := replica.New(replica.Options{Now: c.Now, Late: 400}, nil)
	start := c.Now()
	set.Created("room-one", "open-api", start)
	r := set.Get("room-one")
	at := func(tick int64) { c.Set(start.Add(time.Duration(tick*wire.MsPerTick) * time.Millisecond)) }
	at(1980)
	set.Envelope("room-one", envelope(t, 1, wire.KindAction, sim.Action{At: 2000, Kind: sim.ActPower, Device: "fan"}))
	r.Read(func(*sim.World, uint64) {})
	at(3500)
	r.Read(func(*sim.World, uint64) {}) // the horizon passes tick 2000
	report := func(tick int64, seq uint64) replica.Stats {
		e := envelope(t, 1, wire.KindHash, wire.Hash{Tick: tick, Seq: seq, Hash: "0123456789abcdef"})
		e.At = 3500 * wire.MsPerTick
		set.Envelope("room-one", e)
		r.Read(func(*sim.World, uint64) {})
		return set.Stats()
	}
	if st := report(3000, 0); st.Stale != 1 || st.Divergences != 0 {
		t.Errorf("a mark of tick 3000 without the action of tick 2000: %+v, want it stale", st)
	}
	if st := report(3000, 1); st.Divergences != 1 {
		t.Errorf("a wrong mark with every action: %+v, want a divergence", st)
	}
}
