package ui

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// frame is a test frame numbered seq, sent at ms.
func frame(seq uint64, ms int64, from, to string, p sim.Protocol, side string) *sim.Frame {
	return &sim.Frame{Seq: seq, Message: seq, At: ms * 1000, Arrive: ms*1000 + 5000, From: from, To: to,
		Protocol: p, Side: side, Medium: sim.MediumWiFi, Kind: "reading", Bytes: []byte{byte(seq), 1, 2}}
}

// The list keeps its last rows, counts what fell off, and still finds
// the row of a frame that ends when it is kept, and ignores the end of
// one that fell off.
func TestEventListRingBound(t *testing.T) {
	l := NewEventList(5)
	for i := uint64(1); i <= 12; i++ {
		l.Frame(frame(i, int64(i), "s", "gw", sim.ProtoMQTT, "iot"))
	}
	if got, want := l.Len(), 5; got != want {
		t.Fatalf("kept %d rows, want %d", got, want)
	}
	if got, want := l.FellOff(), uint64(7); got != want {
		t.Fatalf("fell off %d, want %d", got, want)
	}
	if _, ok := l.Row(7); ok {
		t.Fatal("row 7 fell off but is found")
	}
	e, ok := l.Row(8)
	if !ok || e.Frame.Seq != 8 || e.Frame.Bytes[0] != 8 {
		t.Fatalf("row 8: %+v %v", e, ok)
	}
	l.End(&sim.FrameEnd{Seq: 3, Message: 3, At: 9000, Lost: sim.LostLinkCut}) // fell off: nothing to mark
	l.End(&sim.FrameEnd{Seq: 11, Message: 11, At: 16000, Lost: sim.LostReceiverOff})
	l.SetNow(15000) // frame 10 is due then; 11 was lost, 12 is not due yet
	rows := map[uint64]string{}
	for n := uint64(8); n <= 12; n++ {
		e, _ := l.Row(n)
		rows[n] = e.Outcome() + " " + e.Frame.Lost
		if e.Frame.Seq == 3 {
			t.Fatal("the end of a fallen-off frame marked another row")
		}
	}
	want := map[uint64]string{8: "delivered ", 9: "delivered ", 10: "delivered ", 11: "lost receiver off", 12: "in flight "}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", rows, want)
	}
	if r := mustRow(t, l, 10).Row(); r.Latency != "5.0 ms" || r.Size != 3 || r.Time != "0:00.010" {
		t.Errorf("row 10 shows %+v", r)
	}
}

func mustRow(t *testing.T, l *EventList, n uint64) Event {
	t.Helper()
	e, ok := l.Row(n)
	if !ok {
		t.Fatalf("row %d not kept", n)
	}
	return e
}

// Filters choose by side, protocol, device, outcome and a part of a
// device's name in any case; a page shows the newest matching rows and
// says how many match and how to go back and forth.
func TestEventListFilters(t *testing.T) {
	l := NewEventList(100)
	devs := []string{"Temp-1", "plc", "fan", "broker"}
	for i := uint64(1); i <= 40; i++ {
		p, side := sim.ProtoMQTT, "iot"
		if i%2 == 0 {
			p, side = sim.ProtoModbusRTU, "m2m"
		}
		l.Frame(frame(i, int64(i), devs[i%4], devs[(i+1)%4], p, side))
		if i%5 == 0 {
			l.End(&sim.FrameEnd{Seq: i, Message: i, At: int64(i)*1000 + 5000, Lost: sim.LostOnLink})
		}
	}
	l.SetNow(34_000) // frames up to 29 are due
	l.End(&sim.FrameEnd{Message: 99, At: 41000, Lost: sim.LostNoRoute,
		Dropped: &sim.Frame{At: 41000, From: "broker", To: "fan", Side: "iot", Protocol: sim.ProtoMQTT, Kind: "command", Lost: sim.LostNoRoute}})
	count := func(f EventFilter) int { return l.Page(f, 0, 1000, nil).Matching }
	for _, c := range []struct {
		f    EventFilter
		want int
	}{
		{EventFilter{}, 41},
		{EventFilter{Side: "m2m"}, 20},
		{EventFilter{Protocol: "mqtt"}, 21},
		{EventFilter{Protocol: "modbus-rtu", Side: "iot"}, 0},
		{EventFilter{Device: "fan"}, 21},       // i%4 == 2 or (i+1)%4 == 2, and the drop
		{EventFilter{Outcome: OutcomeLost}, 9}, // every fifth, and the drop
		{EventFilter{Outcome: OutcomeInFlight}, 8},
		{EventFilter{Outcome: OutcomeDelivered}, 24},
		{EventFilter{Search: "TEMP"}, 20},
		{EventFilter{Search: "emp-1", Protocol: "mqtt"}, 10},
		{EventFilter{Search: "nobody"}, 0},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%+v chooses %d rows, want %d", c.f, got, c.want)
		}
	}
	drop := l.Page(EventFilter{Outcome: OutcomeLost}, 0, 1, nil).Rows[0].Row()
	if drop.Why != sim.LostNoRoute || drop.Medium != "–" || drop.Size != 0 {
		t.Errorf("dropped message shows %+v", drop)
	}

	// Windows of 10 of the 21 MQTT rows (odd seqs 1..41, the drop last).
	f := EventFilter{Protocol: "mqtt"}
	p := l.Page(f, 0, 10, nil)
	if len(p.Rows) != 10 || p.Rows[0].N != 41 || p.Rows[9].N != 23 || p.Newer != 0 || p.Older != 23 {
		t.Fatalf("newest window: %d rows from %d to %d, newer %d, older %d", len(p.Rows), p.Rows[0].N, p.Rows[len(p.Rows)-1].N, p.Newer, p.Older)
	}
	p = l.Page(f, p.Older, 10, nil)
	if len(p.Rows) != 10 || p.Rows[0].N != 21 || p.Newer != 10 || p.NewerBefore != 0 {
		t.Fatalf("second window: from %d, newer %d, newer-before %d", p.Rows[0].N, p.Newer, p.NewerBefore)
	}
	p = l.Page(f, p.Older, 10, nil)
	if len(p.Rows) != 1 || p.Rows[0].N != 1 || p.Newer != 20 || p.Older != 0 || p.NewerBefore != 23 {
		t.Fatalf("last window: %d rows, newer %d, older %d, newer-before %d", len(p.Rows), p.Newer, p.Older, p.NewerBefore)
	}
}

// When the world's clock goes back, the rows sent after it go and frames
// that were travelling then are in flight again; what fell off stays
// counted, and recording goes on in order.
func TestEventListRewind(t *testing.T) {
	l := NewEventList(8)
	for i := uint64(1); i <= 20; i++ {
		l.Frame(frame(i, int64(i)*10, "s", "gw", sim.ProtoCoAP, "iot"))
	}
	l.End(&sim.FrameEnd{Seq: 20, Message: 20, At: 205_000, Lost: sim.LostLinkCut})
	l.SetNow(205_000)
	if e := mustRow(t, l, 20); e.Outcome() != OutcomeLost {
		t.Fatalf("frame 20 is %s", e.Outcome())
	}
	l.Rewind(152_000) // frames 1..15 were sent by then; 15 arrives at 155 ms
	if l.Len() != 3 || l.Recorded() != 15 || l.FellOff() != 12 {
		t.Fatalf("after rewind: %d kept, %d recorded, %d fell off", l.Len(), l.Recorded(), l.FellOff())
	}
	if e := mustRow(t, l, 15); e.Outcome() != OutcomeInFlight {
		t.Errorf("frame 15, under way at the new moment, is %s", e.Outcome())
	}
	if e := mustRow(t, l, 14); e.Outcome() != OutcomeDelivered {
		t.Errorf("frame 14, arrived at 145 ms, is %s", e.Outcome())
	}
	l.Frame(frame(16, 160, "s", "gw", sim.ProtoCoAP, "iot"))
	if e := mustRow(t, l, 16); e.Frame.Seq != 16 || l.Len() != 4 {
		t.Fatalf("row 16 after the rewind: %+v, %d kept", e.Frame, l.Len())
	}
	l.Reset()
	if l.Len() != 0 || l.Recorded() != 0 || l.FellOff() != 0 {
		t.Fatalf("after reset: %d kept, %d recorded", l.Len(), l.Recorded())
	}
}

// Watching a built-in scene, every row has its frame's bytes and ends
// as the world says: some delivered, none left in flight long past its
// due time, and the rows are in the order the world sent them.
func TestEventListWatchesAWorld(t *testing.T) {
	sc, err := scenes.Builtin("protocols")
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.New(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	l := NewEventList(EventHistory)
	l.Watch(w)
	w.Step(20_000)
	l.SetNow(w.Tick() * sim.TickMicros)
	p := l.Page(EventFilter{}, 0, EventHistory, nil)
	if p.Matching < 100 {
		t.Fatalf("%d rows after 20 s", p.Matching)
	}
	delivered := 0
	for i, e := range p.Rows {
		if i > 0 && e.Frame.Seq != 0 && p.Rows[i-1].Frame.Seq != 0 && e.Frame.Seq >= p.Rows[i-1].Frame.Seq {
			t.Fatalf("rows out of order: %d after %d", p.Rows[i-1].Frame.Seq, e.Frame.Seq)
		}
		if e.Frame.Medium != 0 && len(e.Frame.Bytes) == 0 {
			t.Fatalf("row %d has no bytes", e.N)
		}
		if e.Outcome() == OutcomeDelivered {
			delivered++
		}
		if !e.Ended && e.Frame.Arrive < w.Tick()*sim.TickMicros {
			t.Errorf("row %d (%s -> %s) due at %d still in flight at %d", e.N, e.Frame.From, e.Frame.To, e.Frame.Arrive, w.Tick()*sim.TickMicros)
		}
	}
	if delivered == 0 {
		t.Fatal("no row delivered")
	}
}

// BenchmarkEventList is the simulation's cost per device and simulated
// millisecond at 10,000 devices with and without the event list
// recording every frame: make bench reports their ratio. Two copies of
// the same world step in turn, one tick each, one of them watched, so a
// busy machine slows both alike; the figures are medians over the ticks.
func BenchmarkEventList(b *testing.B) {
	plain, err := sim.New(sim.Demo(), 1)
	if err != nil {
		b.Fatal(err)
	}
	if err := plain.Apply(sim.Action{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: 10_000}); err != nil {
		b.Fatal(err)
	}
	watched := plain.Clone()
	l := NewEventList(EventHistory)
	l.Watch(watched)
	plain.Step(30_000) // warm: the ring is full and wraps
	watched.Step(30_000)
	if l.FellOff() == 0 {
		b.Fatalf("the ring did not wrap: %d rows", l.Len())
	}
	devices := float64(len(plain.DeviceIDs()))
	var without, with, ratio []float64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		plain.Step(1)
		t1 := time.Now()
		watched.Step(1)
		t2 := time.Now()
		a, c := float64(t1.Sub(t0)), float64(t2.Sub(t1))
		without, with, ratio = append(without, a), append(with, c), append(ratio, c/a)
	}
	b.StopTimer()
	if plain.Hash() != watched.Hash() {
		b.Fatal("the watched world went another way")
	}
	b.ReportMetric(median(without)/devices, "ns/device-tick")
	b.ReportMetric(median(with)/devices, "recorded-ns/device-tick")
	b.ReportMetric(median(ratio), "recorded/plain")
	b.ReportMetric(float64(l.Recorded())/float64(watched.Tick()), "frames/tick")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}
