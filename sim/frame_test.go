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
