package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// stacked is a world whose sides lie one above the other: an M2M bus on
// top, an IoT broker star below it.
func stacked() sim.Spec {
	return sim.Spec{
		Name:  "stacked",
		Sides: []sim.SideSpec{{Name: "m2m"}, {Name: "iot"}},
		Devices: []sim.DeviceSpec{
			{ID: "plc", Kind: "controller", Side: "m2m", X: 300, Y: 0},
			{ID: "s1", Kind: "sensor", Side: "m2m", X: 200, Y: 150},
			{ID: "s2", Kind: "sensor", Side: "m2m", X: 400, Y: 150},
			{ID: "broker", Kind: "broker", Side: "iot", X: 300, Y: 450},
			{ID: "n1", Kind: "sensor", Side: "iot", X: 200, Y: 600},
			{ID: "n2", Kind: "sensor", Side: "iot", X: 400, Y: 600},
		},
		Links: []sim.LinkSpec{
			{ID: "bus", Medium: "rs485", Members: []string{"plc", "s1", "s2"}},
			{ID: "cell", Medium: "cellular", Members: []string{"broker", "n1", "n2"}},
		},
	}
}

// A crowd added to one side stays in that side's area: the boxes the
// renderer tints for the two sides never overlap, however many devices
// join, so the halves stay distinguishable at a glance. (A spiral around
// the hub used to cover the M2M side once an IoT star passed 1,000.)
func TestAddedCrowdStaysOnItsSide(t *testing.T) {
	tests := []struct {
		name string
		spec sim.Spec
		adds []sim.Action
	}{
		{"1,000 on a cloud broker at the IoT side's top edge", sim.Demo(),
			[]sim.Action{{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: 1000}}},
		{"5,000 on a Zigbee hub", sim.Demo(),
			[]sim.Action{{Kind: sim.ActAdd, Link: "zigbee", DeviceKind: "sensor", Count: 5000}}},
		{"a full bus and 10,000 on the broker", sim.Demo(), []sim.Action{
			{Kind: sim.ActAdd, Link: "fieldbus", DeviceKind: "sensor", Count: 28},
			{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: 10000}}},
		{"sides one above the other", stacked(), []sim.Action{
			{Kind: sim.ActAdd, Link: "bus", DeviceKind: "sensor", Count: 29},
			{Kind: sim.ActAdd, Link: "cell", DeviceKind: "sensor", Count: 3000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.spec, 1)
			for _, a := range tt.adds {
				apply(t, w, a)
			}
			var v sim.View
			w.View(&v)
			// Each side's box, with the margin the renderer pads it by.
			const pad = 40
			var box [2]sim.Rect
			for s := range box {
				box[s] = sim.Rect{MinX: 1e9, MinY: 1e9, MaxX: -1e9, MaxY: -1e9}
			}
			for _, d := range v.Devices {
				b := &box[d.Side]
				b.MinX, b.MinY = min(b.MinX, d.X-pad), min(b.MinY, d.Y-pad)
				b.MaxX, b.MaxY = max(b.MaxX, d.X+pad), max(b.MaxY, d.Y+pad)
			}
			a, b := box[0], box[1]
			if a.MinX < b.MaxX && b.MinX < a.MaxX && a.MinY < b.MaxY && b.MinY < a.MaxY {
				t.Errorf("the sides' areas overlap: %s %+v, %s %+v (%d devices)", v.Sides[0], a, v.Sides[1], b, len(v.Devices))
			}
		})
	}
}

// Added devices never share a place with each other or with a device
// already there.
func TestAddedCrowdHasNoTwoDevicesInOnePlace(t *testing.T) {
	tests := []struct {
		name string
		spec sim.Spec
		add  sim.Action
	}{
		{"a broker star", sim.Demo(), sim.Action{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: 2000}},
		{"a bus", sim.Demo(), sim.Action{Kind: sim.ActAdd, Link: "fieldbus", DeviceKind: "sensor", Count: 28}},
		{"a bus whose rows would grow towards the other side", stacked(), sim.Action{Kind: sim.ActAdd, Link: "bus", DeviceKind: "sensor", Count: 29}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.spec, 1)
			apply(t, w, tt.add)
			var v sim.View
			w.View(&v)
			seen := map[[2]float32]string{}
			for _, d := range v.Devices {
				p := [2]float32{d.X, d.Y}
				if o, ok := seen[p]; ok {
					t.Fatalf("%s and %s both at %v", o, d.ID, p)
				}
				seen[p] = d.ID
			}
		})
	}
}

// A device already on a link is refused a second place on it, and a
// device of the same link's crowd is found by its own links, not by a
// walk over thousands of members.
func TestConnectTwiceIsRefused(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	apply(t, w, sim.Action{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: 3000})
	tests := []struct{ device, link string }{
		{"door", "zigbee"},
		{"sensor-3000", "mobile"},
	}
	for _, tt := range tests {
		err := w.Apply(sim.Action{Kind: sim.ActConnect, Device: tt.device, Link: tt.link})
		if !errors.Is(err, sim.ErrRefused) || !strings.Contains(err.Error(), "already on") {
			t.Errorf("connect %s to %s again: %v, want refused as already on it", tt.device, tt.link, err)
		}
	}
}

// A view filled again from the same world shows what a fresh view shows,
