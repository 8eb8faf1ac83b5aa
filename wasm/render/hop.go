//go:build js && wasm

package render

import (
	"github.com/thingyard/thingyard/sim"
)

// Hop is a frame's hop marked in the world: the frame picked in the event
// list or the inspector's recent messages, which may have arrived long
// ago. From and To are device ids; FromIndex and ToIndex where the view
// had them (checked against the ids before use, looked up again if the
// view moved them).
type Hop struct {
	From, To           string
	FromIndex, ToIndex int32
	Lost               bool
}

// index is device id's place in the view, trying at first.
func index(v *sim.View, id string, at int32) int32 {
	if at >= 0 && int(at) < len(v.Devices) && v.Devices[at].ID == id {
		return at
	}
	for i := range v.Devices {
		if v.Devices[i].ID == id {
			return int32(i)
		}
	}
	return -1
}

// drawHop marks the picked hop: a bright line from its sender to its
// receiver (red when the frame was lost) with a ring at each end.
func (r *Renderer) drawHop(v *sim.View) {
	h := r.Hop
	if h == nil {
		return
	}
	h.FromIndex, h.ToIndex = index(v, h.From, h.FromIndex), index(v, h.To, h.ToIndex)
	if h.FromIndex < 0 || h.ToIndex < 0 {
		return
	}
	x0, y0 := r.pos(v, h.FromIndex)
	x1, y1 := r.pos(v, h.ToIndex)
	c := colourOf(col.Ring, 0.9)
	if h.Lost {
		c = colourOf(col.Bad, 0.95)
	}
	w := float32(2.5 * r.dpr)
	rad := float32(r.rad * 1.45)
	r.fg.line(float32(x0), float32(y0), float32(x1), float32(y1), w, c)
	r.fg.ring(float32(x0), float32(y0), rad, c)
	r.fg.ring(float32(x1), float32(y1), rad, c)
}
