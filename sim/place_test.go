package sim_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// nameBox is where the page writes a device's name: under its icon, about
// 7 units a character wide and 16 high at one pixel a unit (13 px type).
func nameBox(d sim.DeviceView) sim.Rect {
	hw := float32(7*len([]rune(d.Label))) / 2
	top := d.Y + sim.IconSize/2 + 3
	return sim.Rect{MinX: d.X - hw, MinY: top, MaxX: d.X + hw, MaxY: top + 16}
}

// sideBox is the box around a side's devices.
func sideBox(v *sim.View, side int, only func(sim.DeviceView) bool) sim.Rect {
	b := sim.Rect{MinX: math.MaxFloat32, MinY: math.MaxFloat32, MaxX: -math.MaxFloat32, MaxY: -math.MaxFloat32}
	for _, d := range v.Devices {
		if d.Side == side && only(d) {
			b.MinX, b.MinY = min(b.MinX, d.X), min(b.MinY, d.Y)
			b.MaxX, b.MaxY = max(b.MaxX, d.X), max(b.MaxY, d.Y)
		}
	}
	return b
}

// Devices added to a star or a bus cover nothing: none stands nearer than
// an icon's size to any other device, none covers a name written under a
// device of the scene, and all stay on their side: towards the other side
// no further than the side's own devices reach, and out of the other
// side's box. Ten added to the overview's Zigbee hub fit in the smart
// home's box as it was.
func TestAddedDevicesCoverNothing(t *testing.T) {
	tests := []struct {
		link string
		side int
	}{{"zigbee", 1}, {"mobile", 1}, {"uplink", 1}, {"fieldbus", 0}}
	for _, tt := range tests {
		for _, n := range []int{10, 100} {
			t.Run(fmt.Sprintf("%d on %s", n, tt.link), func(t *testing.T) {
				w := newWorld(t, sim.Demo(), 1)
				var before sim.View
				w.View(&before)
				scene := map[string]bool{}
				for _, d := range before.Devices {
					scene[d.ID] = true
				}
				err := w.Apply(sim.Action{Kind: sim.ActAdd, Link: tt.link, DeviceKind: "sensor", Count: n})
				if tt.link == "fieldbus" && err != nil {
					// An RS-485 bus takes 32 unit loads: the devices it
					// placed before refusing count.
					t.Logf("the bus refused some: %v", err)
				} else if err != nil {
					t.Fatal(err)
				}
				var v sim.View
				w.View(&v)
				if len(v.Devices) == len(before.Devices) {
					t.Fatal("nothing was added")
				}
				inScene := func(d sim.DeviceView) bool { return scene[d.ID] }
				own, other := sideBox(&before, tt.side, inScene), sideBox(&before, 1-tt.side, inScene)
				const pad = 40 // the page tints a side's box this far beyond its devices
				other.MinX, other.MinY, other.MaxX, other.MaxY = other.MinX-pad, other.MinY-pad, other.MaxX+pad, other.MaxY+pad
				for i, d := range v.Devices {
					if scene[d.ID] {
						continue
					}
					if d.Side != tt.side {
						t.Errorf("%s is on side %d, want %d", d.ID, d.Side, tt.side)
					}
					for j, o := range v.Devices {
						if j != i && math.Hypot(float64(d.X-o.X), float64(d.Y-o.Y)) < sim.IconSize {
							t.Errorf("%s at (%v,%v) and %s at (%v,%v): nearer than an icon's size %d", d.ID, d.X, d.Y, o.ID, o.X, o.Y, sim.IconSize)
						}
						if scene[o.ID] {
							b, r := nameBox(o), float32(sim.IconSize/2)
							if d.X > b.MinX-r && d.X < b.MaxX+r && d.Y > b.MinY-r && d.Y < b.MaxY+r {
								t.Errorf("%s at (%v,%v) covers the name %q under %s", d.ID, d.X, d.Y, o.Label, o.ID)
							}
						}
					}
					// The sides lie left and right of each other.
					if towards := tt.side == 1; (towards && d.X < own.MinX) || (!towards && d.X > own.MaxX) {
						t.Errorf("%s at (%v,%v) reaches towards the other side past its own side's edge %+v", d.ID, d.X, d.Y, own)
					}
					if d.X > other.MinX && d.X < other.MaxX && d.Y > other.MinY && d.Y < other.MaxY {
						t.Errorf("%s at (%v,%v) is in the other side's box %+v", d.ID, d.X, d.Y, other)
					}
					if n == 10 && tt.link == "zigbee" && (d.X < own.MinX || d.X > own.MaxX || d.Y < own.MinY || d.Y > own.MaxY) {
						t.Errorf("%s at (%v,%v) is outside the smart home's box %+v, which has room for ten", d.ID, d.X, d.Y, own)
					}
				}
			})
		}
	}
}

// A device is kept off the lines the page draws from a hub to its
// members: none of those added to the overview's hub stands on the line
// from the hub to the cloud broker or to a Zigbee member.
func TestAddedDevicesKeepOffLines(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	apply(t, w, sim.Action{Kind: sim.ActAdd, Link: "zigbee", DeviceKind: "sensor", Count: 100})
	var v sim.View
	w.View(&v)
	at := map[string]sim.DeviceView{}
	for _, d := range v.Devices {
		at[d.ID] = d
	}
	for _, to := range []string{"cloud", "living-temp", "door", "lamp"} {
		h, m := at["hub"], at[to]
		for _, d := range v.Devices {
			if d.ID == "hub" || d.ID == to {
				continue
			}
			if dist := segDist(d.X, d.Y, h.X, h.Y, m.X, m.Y); dist < sim.IconSize/2 {
				t.Errorf("%s at (%v,%v) is %.1f from the line hub–%s", d.ID, d.X, d.Y, dist, to)
			}
		}
	}
}

func segDist(px, py, x0, y0, x1, y1 float32) float64 {
	dx, dy := float64(x1-x0), float64(y1-y0)
	t := math.Max(0, math.Min(1, ((float64(px-x0))*dx+(float64(py-y0))*dy)/(dx*dx+dy*dy)))
	return math.Hypot(float64(px)-(float64(x0)+t*dx), float64(py)-(float64(y0)+t*dy))
}
