package render

import (
	"slices"
	"testing"
)

func TestPick(t *testing.T) {
	// Two icons of radius 20: a press at 100,100 and a PLC at 300,100.
	xs, ys := []float64{100, 300}, []float64{100, 100}
	const rad, reach = 20, 16
	tests := []struct {
		name       string
		px, py     float64
		dots       []Dot
		wantDevice int
		wantMsg    uint64
	}{
		{"the centre of a busy device's icon, a reply drawn on it", 100, 100, []Dot{{7, 100, 100}}, 0, 0},
		{"the icon's edge, a message passing over the pointer", 118, 100, []Dot{{7, 118, 100}}, 0, 0},
		{"just off the icon, on the dot", 122, 100, []Dot{{7, 122, 100}}, 0, 7},
		{"open space, a dot within reach", 200, 100, []Dot{{7, 214, 100}}, -1, 7},
		{"open space, a dot just out of reach", 200, 100, []Dot{{7, 217, 100}}, -1, 0},
		{"the nearer of two dots", 200, 100, []Dot{{7, 210, 100}, {8, 195, 104}}, -1, 8},
		{"a message's older dot nearer than its newest", 200, 100, []Dot{{7, 240, 100}, {7, 205, 100}}, -1, 7},
		{"just off the icon, no message: the finger's slack", 123, 100, nil, 0, 0},
		{"beyond the slack, nothing", 125, 100, nil, -1, 0},
		{"nothing at all", 200, 300, []Dot{{7, 100, 100}}, -1, 0},
		{"the nearer icon when two are near", 290, 100, []Dot{{7, 290, 100}}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			device, msg := Pick(tt.px, tt.py, xs, ys, rad, tt.dots, reach)
			if device != tt.wantDevice || msg != tt.wantMsg {
				t.Errorf("Pick(%v, %v) = device %d, message %d; want device %d, message %d",
					tt.px, tt.py, device, msg, tt.wantDevice, tt.wantMsg)
			}
		})
	}
	if device, msg := Pick(0, 0, nil, nil, rad, nil, reach); device != -1 || msg != 0 {
		t.Errorf("an empty world: device %d, message %d; want -1, 0", device, msg)
	}
}

func TestTrail(t *testing.T) {
	var tr Trail
	tr.Reset()
	if got := tr.Since(-1000, nil); len(got) != 0 {
		t.Fatalf("a new trail has %v", got)
	}
	// A dot moving 30 px a frame, a frame every 2 updates.
	for u := int64(100); u <= 140; u += 2 {
		tr.Begin(u)
		tr.Add(1, float64(u-100)*15, 50)
		if u%4 == 0 {
			tr.Add(2, 0, 0)
		}
	}
	if tr.At() != 140 {
		t.Errorf("At = %d, want 140, the newest frame's update", tr.At())
	}
	if got, want := tr.Last(), []Dot{{1, 600, 50}, {2, 0, 0}}; !slices.Equal(got, want) {
		t.Errorf("Last = %v, want the frame at update 140: %v", got, want)
	}
	got := tr.Since(134, nil)
	want := []Dot{{1, 600, 50}, {2, 0, 0}, {1, 570, 50}, {1, 540, 50}, {2, 0, 0}, {1, 510, 50}}
	if !slices.Equal(got, want) {
		t.Errorf("Since(134) = %v, want the frames at 140..134, newest first: %v", got, want)
	}
	// Only trailFrames frames are kept, however far back one asks.
	if n := len(tr.Since(0, nil)); n != trailFrames+trailFrames/2 {
		t.Errorf("Since(0) has %d dots, want the last %d frames' %d", n, trailFrames, trailFrames+trailFrames/2)
	}
	// A click a few frames after the dot left catches it where it was.
	dots := tr.Since(140-pickMemory, nil)
	if _, msg := Pick(525, 52, nil, nil, 10, dots, messageReach); msg != 1 {
		t.Errorf("a click where message 1 was drawn 6 updates ago picked %d", msg)
	}
	if _, msg := Pick(525, 52, nil, nil, 10, tr.Last(), messageReach); msg != 0 {
		t.Errorf("against the last frame alone the same click picked %d, want 0: the dot is 75 px on", msg)
	}
	tr.Reset()
	if got := tr.Since(0, nil); len(got) != 0 {
		t.Errorf("after Reset the trail still has %v", got)
	}
}
