package sim_test

import (
	"bytes"
	"testing"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// Watching a world's frames changes nothing in it: the scripted run's
// hashes are the same with a frame hook as without, and the hook sees
// every message the world sends, each hop with its bytes.
func TestOnFrameSeesWithoutChanging(t *testing.T) {
	run := func(watch bool) ([]sim.HashMark, []sim.Frame) {
		w := newWorld(t, sim.Demo(), 2026)
		var frames []sim.Frame
		if watch {
			w.OnFrame(func(f *sim.Frame) {
				c := *f
				c.Bytes = bytes.Clone(f.Bytes)
				frames = append(frames, c)
			})
			w.OnFrameEnd(func(*sim.FrameEnd) {})
		}
		for i, a := range scriptedActions() {
			w.Step(3000*(i+1) - int(w.Tick()))
			apply(t, w, a)
		}
		w.Step(30 * second)
		return w.Hashes(), frames
	}
	plain, _ := run(false)
	watched, frames := run(true)
	if len(plain) != len(watched) {
		t.Fatalf("%d hash marks watched, %d not", len(watched), len(plain))
	}
	for i := range plain {
		if plain[i] != watched[i] {
			t.Fatalf("tick %d: hash %x watched, %x not", plain[i].Tick, watched[i].Hash, plain[i].Hash)
		}
	}
	if len(frames) < 100 {
		t.Fatalf("saw %d frames", len(frames))
	}
	seen := map[sim.Protocol]int{}
	for _, f := range frames {
		seen[f.Protocol]++
		if len(f.Bytes) == 0 || f.From == "" || f.To == "" || f.From == f.To || f.Link == "" || f.Kind == "" || f.Side == "" {
			t.Fatalf("frame %+v", f)
		}
		if _, err := proto.Dissect(f.Protocol.String(), f.Bytes); err != nil {
			t.Errorf("%s frame %s -> %s does not dissect: %v", f.Protocol, f.From, f.To, err)
		}
	}
	if len(seen) < 3 {
		t.Errorf("protocols seen: %v", seen)
	}
}

// A Zigbee frame is addressed to the hop it travels: its MAC source is
// the sender and its MAC destination the receiver of that hop, where the
// NWK header holds the ends of the whole path.
func TestZigbeeFrameAddressesItsHop(t *testing.T) {
	spec := sim.Spec{
		Devices: []sim.DeviceSpec{
			{ID: "hub", Kind: "gateway", X: 0, Y: 0},
			{ID: "server", Kind: "broker", X: 0, Y: -50},
			{ID: "s", Kind: "sensor", X: 10, Y: 0, PeriodMs: 500},
		},
		Links: []sim.LinkSpec{
			{ID: "zb", Medium: "zigbee", Members: []string{"hub", "s"}},
			{ID: "lan", Medium: "ethernet", Members: []string{"hub", "server"}},
		},
	}
	w := newWorld(t, spec, 1)
	n := 0
	w.OnFrame(func(f *sim.Frame) {
		if f.Medium != sim.MediumZigbee {
			return
		}
		n++
		r, err := proto.ParseZigbeeReport(f.Bytes)
		if err != nil {
			t.Fatalf("% X: %v", f.Bytes, err)
		}
		if r.MACSrc != uint16(f.FromIndex) || r.MACDst != uint16(f.ToIndex) {
			t.Errorf("%s -> %s: MAC source 0x%04X destination 0x%04X, want 0x%04X and 0x%04X", f.From, f.To, r.MACSrc, r.MACDst, f.FromIndex, f.ToIndex)
		}
	})
	w.Step(5 * second)
	if n == 0 {
		t.Fatal("no Zigbee frame sent")
	}
}

// Every frame a world shows ends once, with the reason the world knows:
// delivered when it arrived, the internet cut when the link went down
// under it, and a message that has no path on is dropped where it waits,
// as no route.
func TestFrameEndsSayHowEachFrameEnded(t *testing.T) {
	spec := sim.Spec{
		Devices: []sim.DeviceSpec{
			{ID: "s", Kind: "sensor", X: 0, Y: 0, PeriodMs: 50},
			{ID: "gw", Kind: "gateway", X: 20, Y: 0},
			{ID: "cloud", Kind: "broker", X: 40, Y: 0},
		},
		Links: []sim.LinkSpec{
			{ID: "wifi", Medium: "wifi", Members: []string{"s", "gw"}},
			{ID: "wan", Medium: "internet", Members: []string{"gw", "cloud"}, LatencyMs: 40},
		},
	}
	w := newWorld(t, spec, 1)
	sent := map[uint64]sim.Frame{}
	ends := map[uint64]sim.FrameEnd{}
	why := map[string]int{}
	w.OnFrame(func(f *sim.Frame) {
		if _, dup := sent[f.Seq]; dup || f.Seq == 0 {
			t.Fatalf("frame seq %d seen twice or zero", f.Seq)
		}
		if f.Arrive < f.At {
			t.Fatalf("frame %d arrives at %d before it leaves at %d", f.Seq, f.Arrive, f.At)
		}
		sent[f.Seq] = *f
	})
	w.OnFrameEnd(func(e *sim.FrameEnd) {
		why[e.Lost]++
		if e.Seq == 0 {
			if e.Dropped == nil || e.Dropped.To != "cloud" || len(e.Dropped.Bytes) != 0 {
				t.Fatalf("drop %+v", e.Dropped)
			}
			return
		}
		f, ok := sent[e.Seq]
		if !ok {
			t.Fatalf("end of frame %d never sent", e.Seq)
		}
		if _, dup := ends[e.Seq]; dup {
			t.Fatalf("frame %d ended twice", e.Seq)
		}
		if e.Message != f.Message || e.At != f.Arrive {
			t.Fatalf("frame %d: end %+v, frame message %d due at %d", e.Seq, *e, f.Message, f.Arrive)
		}
		ends[e.Seq] = *e
	})
	w.Step(2 * second)
	// Cut the internet while a reading is on it.
	for w.Tick() < 10*second {
		w.Step(1)
		inFlight := false
		for seq, f := range sent {
			_, ended := ends[seq]
			inFlight = inFlight || (!ended && f.Link == "wan")
		}
		if inFlight {
			break
		}
	}
	apply(t, w, sim.Action{At: w.Tick(), Kind: sim.ActCut, Link: sim.Internet})
	w.Step(2 * second)
	if why[""] == 0 || why[sim.LostInternetCut] == 0 || why[sim.LostNoRoute] == 0 {
		t.Fatalf("ends by reason: %v", why)
	}
	for seq, f := range sent {
		if _, ok := ends[seq]; !ok && f.Arrive <= w.Tick()*sim.TickMicros {
			t.Errorf("frame %d (%s -> %s, due %d) never ended", seq, f.From, f.To, f.Arrive)
		}
	}
}
