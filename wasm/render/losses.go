//go:build js && wasm

package render

import "github.com/thingyard/thingyard/sim"

// loss is a lost packet's mark: it stays where the packet died for a
// moment after the message is gone, so a loss is seen and not only counted.
type loss struct {
	id     uint64
	wx, wy float64 // world position
	age    int     // frames since the message left the view
	live   bool
}

// lossFrames is how many frames a loss mark takes to fade.
const lossFrames = 50

// lossMarks are the marks of the packets lost lately, the oldest making
// room for a new one when all are taken.
type lossMarks [32]loss

// begin starts a frame: no mark is known to be in the view yet.
func (ls *lossMarks) begin() {
	for i := range ls {
		ls[i].live = false
	}
}

// see marks lost message id, still in the view, at world point wx, wy.
func (ls *lossMarks) see(id uint64, wx, wy float64) {
	slot := 0
	for k := range ls {
		if ls[k].id == id {
			slot = k
			break
		}
		if ls[k].id == 0 || ls[k].age > ls[slot].age {
			slot = k
		}
	}
	ls[slot] = loss{id: id, wx: wx, wy: wy, live: true}
}

// fade ages the marks of messages gone from the view, forgets those faded
// out, and calls f with each still fading: where it is and how far it has
// faded, from 1 (just lost) towards 0.
func (ls *lossMarks) fade(f func(wx, wy float64, age int, fade float32)) {
	for i := range ls {
		l := &ls[i]
		if l.id == 0 || l.live {
			continue
		}
		l.age++
		if l.age > lossFrames {
			l.id = 0
			continue
		}
		f(l.wx, l.wy, l.age, 1-float32(l.age)/lossFrames)
	}
}

// drawLosses marks where packets were lost: a cross that fades, and with
// motion a ring that widens.
func (r *Renderer) drawLosses(v *sim.View) {
	r.losses.begin()
	for i := range v.Messages {
		m := &v.Messages[i]
		if !m.Lost || m.Progress <= 0.5 {
			continue
		}
		wx, wy := r.Cam.ToWorld(r.messagePos(v, m))
		r.losses.see(m.ID, wx, wy)
	}
	r.losses.fade(func(wx, wy float64, age int, fade float32) {
		x, y := r.Cam.ToScreen(wx, wy)
		if !r.onScreen(x, y, 20*r.dpr) {
			return
		}
		r.fg.cross(float32(x), float32(y), float32(5*r.dpr), colourOf(col.Bad, fade))
		if !r.ReducedMotion {
			r.fg.ring(float32(x), float32(y), float32((6+float64(age)*0.4)*r.dpr), colourOf(col.Bad, fade*0.6))
		}
	})
}
