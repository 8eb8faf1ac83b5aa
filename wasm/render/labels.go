//go:build js && wasm

package render

import "image/color"

// label is a piece of text to draw after the shapes under it.
type label struct {
	s     string
	x, y  float64
	face  *face
	c     color.RGBA
	align align
}

// left is where label l starts on screen when it is w device pixels wide.
func (l *label) left(w float64) float64 {
	switch l.align {
	case alignCenter:
		return l.x - w/2
	case alignEnd:
		return l.x - w
	}
	return l.x
}

// box is the box label l takes on screen: x0, y0 to x1, y1.
func (l *label) box() (x0, y0, x1, y1 float64) {
	w := l.face.measure(l.s)
	x0 = l.left(w)
	return x0, l.y, x0 + w, l.y + l.face.lineHeight()
}

// maxTried is the most device names tried in one drawing of the cached
// layer: the scene's own come first, and a crowd beyond this many is not
// read name by name (default 400).
const maxTried = 400

// placer lays out the labels of the cached layer so that names never
// print over each other or over an icon. Device names are placed first,
// then the networks' clouds, the given names that had no room under their
// icons, and last the links' names, where no name already is.
type placer struct {
	world    []label    // placed, drawn in the cached layer
	captions []label    // link names, placed after the device labels
	clouds   []netCloud // network clouds, placed after the device labels
	unplaced []int32    // devices whose given names had no room under their icons
	placed   Boxes      // icons, names and clouds placed so far
	tried    int        // device names tried so far
}

func (p *placer) reset() {
	p.world = p.world[:0]
	p.captions = p.captions[:0]
	p.clouds = p.clouds[:0]
	p.unplaced = p.unplaced[:0]
	p.placed.Reset()
	p.tried = 0
}

// place puts label l in the layer unless it would overlap an icon or a
// label placed before it (always places it anyway), pad device pixels
// clear of them on either side. With a plate batch, a backing of the
// ground's colour keeps the links behind it from striking it through. It
// reports whether the label was placed.
func (p *placer) place(l label, pad float64, plate *batch, always bool) bool {
	x0, y0, x1, y1 := l.box()
	b := Box{x0 - pad, y0, x1 + pad, y1}
	if !always && p.placed.Overlaps(b) {
		return false
	}
	p.placed.Add(b)
	p.world = append(p.world, l)
	if plate != nil {
		plate.rect(float32(b.X0), float32(b.Y0), float32(b.X1-b.X0), float32(b.Y1-b.Y0), colourOf(col.Background, 0.72))
	}
	return true
}

// place puts a label in the cached layer as placer.place does, on a plate
// under it when plate is set.
func (r *Renderer) place(l label, plate, always bool) bool {
	var under *batch
	if plate {
		under = &r.plate
	}
	return r.labels.place(l, 2*r.dpr, under, always)
}

// EachText calls f with every text written in the cached layer (names,
// titles, captions) and where it is anchored on screen, in device pixels:
// what tests see of the labels.
func (r *Renderer) EachText(f func(s string, x, y float64)) {
	ox, oy := r.still.ox, r.still.oy // the layer may reach beyond the screen
	for i := range r.labels.world {
		f(r.labels.world[i].s, r.labels.world[i].x-ox, r.labels.world[i].y-oy)
	}
}

// EachTextBox calls f with every text written on the canvas, the names in
// the world and the legend's, with the box it takes on screen, in device
// pixels, and its colour: what a test of contrast reads the pixels of.
func (r *Renderer) EachTextBox(f func(s string, x0, y0, x1, y1 float64, c color.RGBA)) {
	ox, oy := r.still.ox, r.still.oy
	for i := range r.labels.world {
		l := &r.labels.world[i]
		x0, y0, x1, y1 := l.box()
		f(l.s, x0-ox, y0-oy, x1-ox, y1-oy, l.c)
	}
	if r.legend.img == nil {
		return
	}
	dy := r.Cam.H - float64(r.legend.img.Bounds().Dy())
	for i := range r.legend.labels {
		l := &r.legend.labels[i]
		x0, y0, x1, y1 := l.box()
		f(l.s, x0, y0+dy, x1, y1+dy, l.c)
	}
}
