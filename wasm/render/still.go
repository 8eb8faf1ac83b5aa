//go:build js && wasm

package render

import (
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
)

// settleFrames is how many frames the camera stays put after a pan before
// the cached layer is drawn again for the screen alone (a quarter of a
// second at 60 frames a second): a drag whose pointer skips a frame does
// not make it draw twice.
const settleFrames = 15

// stillLayer is the image of what stays still between frames (sides,
// links, icons, labels), and what it was drawn for.
//
// For a still camera it is drawn for the screen, exactly. While the camera
// pans it is drawn reaching pad pixels beyond the screen on every side,
// and each frame shows the part the camera looks at: a pan over 10,000
// devices costs a copy, and the layer is drawn again only when the pan
// leaves it. Once the camera has settled, the layer is drawn again for the
// screen alone, so what a still world looks like does not depend on how
// the camera got there.
type stillLayer struct {
	img  *ebiten.Image // the screen, and most pad on every side once it panned
	w, h int           // the screen it was made for
	most float64       // the pad it has room for, in device pixels
	key  uint64        // the staticKey it was drawn for, or 0
	gen  uint64        // counts scenes, for the key
	op   ebiten.DrawImageOptions

	cx, cy float64 // the camera's centre it was drawn for
	pad    float64 // how far it reaches beyond the screen: 0 or most
	ox, oy float64 // where the screen's top left is in it this frame

	lastCX, lastCY, lastScale float64 // the camera at the last frame
	settling                  int     // frames left until the camera counts as settled after a pan
	draws                     int     // how often it was drawn: what tests count
}

// stillPad is how far the layer reaches beyond a w × h screen while the
// camera pans: half the screen's larger side, at most 512 pixels, so a
// sweep of a few hundred pixels is one drawing and the image stays well
// within any GPU's texture size.
func stillPad(w, h int) float64 { return math.Min(float64(max(w, h)/2), 512) }

// drawStill puts the cached layer on screen, drawing it again first when
// what it shows changed or the camera moved beyond it.
func (r *Renderer) drawStill(screen *ebiten.Image, v *sim.View) {
	s := &r.still
	b := screen.Bounds()
	if s.img == nil || s.w != b.Dx() || s.h != b.Dy() {
		s.resize(b.Dx(), b.Dy(), 0)
	}
	// A pan moves the centre at the same scale; a zoom draws anew anyway.
	panned := s.key != 0 && r.Cam.Scale == s.lastScale && (r.Cam.CX != s.lastCX || r.Cam.CY != s.lastCY)
	s.lastCX, s.lastCY, s.lastScale = r.Cam.CX, r.Cam.CY, r.Cam.Scale
	if panned {
		s.settling = settleFrames
	} else if s.settling > 0 {
		s.settling--
	}
	dragging := r.in.drag.active && r.in.drag.moved && r.in.drag.device >= 0
	key := r.staticKey(v)
	s.ox = s.pad + (r.Cam.CX-s.cx)*r.Cam.Scale
	s.oy = s.pad + (r.Cam.CY-s.cy)*r.Cam.Scale
	inside := s.ox >= 0 && s.oy >= 0 && s.ox <= 2*s.pad && s.oy <= 2*s.pad
	settled := s.settling == 0
	if key != s.key || dragging || !inside || (settled && s.pad > 0) {
		pad := 0.0
		if !settled && !dragging {
			pad = s.most
		}
		if pad > 0 && s.img.Bounds().Dx() == s.w {
			s.resize(s.w, s.h, int(pad)) // the first pan on this screen
		}
		r.visible = r.countVisible(v)
		r.rad = IconRadius(r.Cam.Scale, r.dpr, r.visible)
		dst := s.img
		if pad == 0 {
			dst = s.img.SubImage(image.Rect(0, 0, s.w, s.h)).(*ebiten.Image)
		}
		r.drawStatic(dst, v, pad)
		s.key, s.cx, s.cy, s.pad, s.ox, s.oy = key, r.Cam.CX, r.Cam.CY, pad, pad, pad
		if dragging {
			s.key = 0 // the dragged device moves without the key changing
		}
		s.draws++
	}
	s.op.GeoM.Reset()
	s.op.GeoM.Translate(-s.ox, -s.oy)
	screen.DrawImage(s.img, &s.op)
}

// resize makes the layer's image for a w × h screen with room for pad
// pixels beyond it on every side: none until the camera first pans, so a
// world only looked at holds an image of the screen's size.
func (s *stillLayer) resize(w, h, pad int) {
	if s.img != nil {
		s.img.Deallocate()
	}
	s.w, s.h, s.most = w, h, stillPad(w, h)
	s.img = ebiten.NewImage(w+2*pad, h+2*pad)
	s.key = 0
}
