//go:build js && wasm

package render

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/hajimehoshi/ebiten/v2"
	"golang.org/x/image/vector"

	"github.com/thingyard/thingyard/sim"
)

// view is a small world: two devices on a wire and one message between.
func view() *sim.View {
	return &sim.View{
		Sides: []string{"m2m", "iot"},
		Devices: []sim.DeviceView{
			{ID: "a", Label: "A", Kind: sim.KindSensor, X: 0, Y: 0, Powered: true, Online: true},
			{ID: "b", Label: "B", Kind: sim.KindBroker, X: 100, Y: 0, Powered: true, Online: true},
		},
		Links:    []sim.LinkView{{ID: "w", Medium: sim.MediumEthernet, Up: true, Members: []int32{0, 1}}},
		Messages: []sim.MessageView{{ID: 7, Link: 0, From: 0, To: 1, Progress: 0.3, Protocol: sim.ProtoMQTT}},
	}
}

func renderer() *Renderer {
	r := &Renderer{dpr: 1}
	r.Cam = Camera{CX: 50, CY: 0, Scale: 1, W: 400, H: 300}
	r.rad = IconRadius(r.Cam.Scale, r.dpr, 2)
	return r
}

// A lost packet leaves a mark where it died that fades, so the loss is
// seen after the message is gone.
func TestLossMarkOutlivesTheMessage(t *testing.T) {
	r := renderer()
	v := view()
	v.Messages[0].Lost, v.Messages[0].Progress = true, 0.75
	r.drawLosses(v)
	marks := func() (n int, l loss) {
		for _, m := range r.losses {
			if m.id != 0 {
				n++
				l = m
			}
		}
		return n, l
	}
	if n, l := marks(); n != 1 || l.id != 7 || l.wx != 75 || l.wy != 0 {
		t.Fatalf("after a loss at 75%% of the way: %d marks, %+v; want one for message 7 at (75,0)", n, l)
	}
	v.Messages = v.Messages[:0] // the message is gone
	for i := 0; i < lossFrames; i++ {
		r.fg.reset()
		r.drawLosses(v)
		if len(r.fg.vs) == 0 {
			t.Fatalf("frame %d after the loss: nothing drawn, want a fading mark", i+1)
		}
	}
	r.fg.reset()
	r.drawLosses(v)
	if n, _ := marks(); n != 0 || len(r.fg.vs) != 0 {
		t.Errorf("%d frames after the loss: %d marks, %d vertices; want the mark gone", lossFrames+1, n, len(r.fg.vs))
	}
}

// The cached layer is redrawn when what it shows changes, and not for
// what is drawn every frame anyway.
func TestStaticKey(t *testing.T) {
	r := renderer()
	base := r.staticKey(view())
	if base == 0 {
		t.Fatal("key 0 means no cache")
	}
	tests := []struct {
		name    string
		change  func(v *sim.View, r *Renderer)
		redraws bool
	}{
		{"nothing", func(*sim.View, *Renderer) {}, false},
		{"a message moves", func(v *sim.View, _ *Renderer) { v.Messages[0].Progress = 0.9 }, false},
		{"a device transmits", func(v *sim.View, _ *Renderer) { v.Devices[0].Busy = true }, false},
		{"a reading changes", func(v *sim.View, _ *Renderer) { v.Devices[0].Value = 42 }, false},
		{"a device moves", func(v *sim.View, _ *Renderer) { v.Devices[1].X = 120 }, true},
		{"a device is switched off", func(v *sim.View, _ *Renderer) { v.Devices[0].Powered = false }, true},
		{"an actuator opens", func(v *sim.View, _ *Renderer) { v.Devices[1].On = true }, true},
		{"a link is cut", func(v *sim.View, _ *Renderer) { v.Links[0].Up = false }, true},
		{"a device is added", func(v *sim.View, _ *Renderer) {
			v.Devices = append(v.Devices, sim.DeviceView{ID: "c", X: 5, Y: 5})
		}, true},
		{"the camera pans (drawStill follows it)", func(_ *sim.View, r *Renderer) { r.Cam.Pan(10, 0) }, false},
		{"the camera zooms", func(_ *sim.View, r *Renderer) { r.Cam.ZoomAt(0, 0, 1.1) }, true},
		{"the canvas is resized", func(_ *sim.View, r *Renderer) { r.Cam.W = 500 }, true},
		{"another scene loads", func(_ *sim.View, r *Renderer) { r.Refit() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderer()
			v := view()
			tt.change(v, r)
			if got := r.staticKey(v) != base; got != tt.redraws {
				t.Errorf("redraws = %v, want %v", got, tt.redraws)
			}
		})
	}
}

// A message on a bus travels along its trunk; elsewhere in a straight line.
func TestMessageFollowsTheBus(t *testing.T) {
	r := renderer()
	v := view()
	v.Links[0].Medium = sim.MediumRS485
	v.Devices[1].Y = 100
	r.trunks(v)
	v.Messages[0].Progress = 0.1
	x, y := r.messagePos(v, &v.Messages[0])
	sx, _ := r.Cam.ToScreen(0, 0)
	if x != sx {
		t.Errorf("early on a bus the frame is on its sender's tap at x=%v, got x=%v (y=%v)", sx, x, y)
	}
	r.ReducedMotion = true
	v.Messages[0].Progress = 0.4
	x, y = r.messagePos(v, &v.Messages[0])
	if wx, wy := r.Cam.ToWorld(x, y); wx != 0 || wy != 0 {
		t.Errorf("with reduced motion a frame short of halfway is at its sender, got world (%v,%v)", wx, wy)
	}
}

// Names never print over each other or over an icon; a title is placed
// whatever it covers; a placed name gets a plate that hides the links
// behind it.
func TestLabelsKeepApart(t *testing.T) {
	r := New()
	r.dpr, r.rad = 1, 10
	r.labels.placed.Add(Box{100, 100, 120, 120}) // an icon
	tests := []struct {
		name   string
		l      label
		always bool
		want   bool
	}{
		{"a free place", label{s: "Oven temp", x: 50, y: 20, face: r.text.face, align: alignCenter}, false, true},
		{"over the first name", label{s: "Oil temp", x: 60, y: 24, face: r.text.face, align: alignCenter}, false, false},
		{"over an icon", label{s: "rs485 bus", x: 95, y: 105, face: r.text.small}, false, false},
		{"beside both", label{s: "Valve", x: 200, y: 20, face: r.text.face, align: alignCenter}, false, true},
		{"a side's title goes over anything", label{s: "M2M: factory cell", x: 40, y: 15, face: r.text.bold}, true, true},
	}
	for _, tt := range tests {
		plates, world := len(r.plate.vs), len(r.labels.world)
		if got := r.place(tt.l, !tt.always, tt.always); got != tt.want {
			t.Errorf("%s: placed = %v, want %v", tt.name, got, tt.want)
		}
		if placed := len(r.labels.world) > world; placed != tt.want {
			t.Errorf("%s: label drawn = %v, want %v", tt.name, placed, tt.want)
		}
		if plated := len(r.plate.vs) > plates; plated != (tt.want && !tt.always) {
			t.Errorf("%s: plate drawn = %v", tt.name, plated)
		}
	}
}

// A label's glyphs come from the atlas's glyph area, one quad each, on
// whole device pixels and at their rasterised size, so the linear filter
// copies them unblurred; a character the fonts lack still draws (as the
// replacement box), and a space draws nothing.
func TestLabelGlyphsSitOnWholePixels(t *testing.T) {
	r := New()
	r.text.start(r.at)
	for _, dpr := range []float64{1, 2} {
		r.text.face.size = 13 * dpr
		b := &r.text.b
		b.reset()
		l := label{s: "Oven 25 °C → µs 漢", x: 50.3, y: 20.6, face: r.text.face, c: col.Text, align: alignCenter}
		r.text.add(r.at, &l)
		if want := 4 * len([]rune("Oven25°C→µs漢")); len(b.vs) != want {
			t.Fatalf("DPR %v: %d vertices, want %d (4 per visible glyph)", dpr, len(b.vs), want)
		}
		for i := 0; i < len(b.vs); i += 4 {
			v0, v2 := b.vs[i], b.vs[i+2]
			if v0.DstX != float32(int(v0.DstX)) || v0.DstY != float32(int(v0.DstY)) {
				t.Errorf("DPR %v: glyph %d at (%v, %v), not on a whole pixel", dpr, i/4, v0.DstX, v0.DstY)
			}
			if v0.SrcY < glyphY || v2.SrcY > atlasH {
				t.Errorf("DPR %v: glyph %d from atlas rows %v..%v, outside the glyph area", dpr, i/4, v0.SrcY, v2.SrcY)
			}
			if v2.DstX-v0.DstX != v2.SrcX-v0.SrcX || v2.DstY-v0.DstY != v2.SrcY-v0.SrcY {
				t.Errorf("DPR %v: glyph %d is scaled", dpr, i/4)
			}
		}
		// Centred: the glyphs' ink spans about the measured width around x.
		x0, x1 := b.vs[0].DstX, b.vs[len(b.vs)-2].DstX
		if w := float64(x1 - x0); math.Abs(float64(x0+x1)/2-l.x) > 2*dpr || math.Abs(w-r.text.face.measure(l.s)) > 3*dpr {
			t.Errorf("DPR %v: glyphs span %v..%v, want %v wide centred at %v", dpr, x0, x1, r.text.face.measure(l.s), l.x)
		}
	}
}

// A layer's names are drawn in one call from the sprite atlas, apart from
// the icons' call: that one keeps its mipmaps, so a crowd of tiny icons
// stays smooth, while the glyphs are copied at their own size.
func TestLabelsApartFromIcons(t *testing.T) {
	r := New()
	r.Cam = Camera{CX: 50, CY: 0, Scale: 1, W: 400, H: 300}
	r.text.start(r.at)
	v := view()
	v.Devices[0].Label, v.Devices[1].Label = "Oven", "Broker"
	r.visible = 2
	r.rad = IconRadius(r.Cam.Scale, r.dpr, 2)
	dst := ebiten.NewImage(400, 300)
	r.trunks(v)
	r.drawStatic(dst, v, 0)
	count := func(b *batch) (icons, glyphs int) {
		for i := 0; i < len(b.vs); i += 4 {
			if b.vs[i].SrcY >= glyphY {
				glyphs++
			} else {
				icons++
			}
		}
		return icons, glyphs
	}
	if icons, glyphs := count(&r.fg); icons < 2 || glyphs != 0 {
		t.Errorf("the icons' batch holds %d icon quads and %d glyphs; want the icons and no glyph", icons, glyphs)
	}
	if icons, glyphs := count(&r.text.b); icons != 0 || glyphs < len("OvenBroker") {
		t.Errorf("the labels' batch holds %d icon quads and %d glyphs; want every letter of the names and nothing else", icons, glyphs)
	}
	if !r.text.op.DisableMipmaps || r.triOp.DisableMipmaps {
		t.Errorf("mipmaps: labels %v, icons %v; want the icons' only", !r.text.op.DisableMipmaps, !r.triOp.DisableMipmaps)
	}
}

// A frame's new glyphs go to the atlas in one write a shelf of the glyph
// area, not one each, and every glyph is there as rasterised: a later
// frame's write into the same shelf leaves the glyphs already in it as
// they were, and the rest of the area stays clear.
func TestGlyphsGoUpAShelfAtATime(t *testing.T) {
	r := New()
	atlas := image.NewRGBA(image.Rect(0, 0, atlasW, atlasH))
	writes := 0
	g := &r.text.glyphs
	g.write = func(rect image.Rectangle, pix []byte) {
		writes++
		if !rect.In(image.Rect(0, glyphY, atlasW, atlasH)) || len(pix) != 4*rect.Dx()*rect.Dy() {
			t.Fatalf("a write of %d bytes to %v, outside the glyph area or not its size", len(pix), rect)
		}
		for y := range rect.Dy() {
			copy(atlas.Pix[atlas.PixOffset(rect.Min.X, rect.Min.Y+y):], pix[4*y*rect.Dx():][:4*rect.Dx()])
		}
	}
	check := func(when string) {
		t.Helper()
		inSlot := image.NewAlpha(atlas.Rect)
		var ras vector.Rasterizer
		for k, s := range g.slots {
			if s.empty {
				continue
			}
			f := &face{id: k.face, size: float64(k.size)}
			mask, _ := rasterise(f.font().glyph(k.r), f.size, float64(k.sub)/float64(f.variants()), &ras)
			for y := range s.src.Dy() {
				for x := range s.src.Dx() {
					a := mask.AlphaAt(x, y).A
					if got := atlas.RGBAAt(s.src.Min.X+x, s.src.Min.Y+y); got != (color.RGBA{a, a, a, a}) {
						t.Fatalf("%s: %q at size %v, pixel (%d, %d) in the atlas is %v, want coverage %d", when, k.r, k.size, x, y, got, a)
					}
					inSlot.SetAlpha(s.src.Min.X+x, s.src.Min.Y+y, color.Alpha{255})
				}
			}
		}
		for y := glyphY; y < atlasH; y++ {
			for x := range atlasW {
				if inSlot.AlphaAt(x, y).A == 0 && atlas.RGBAAt(x, y) != (color.RGBA{}) {
					t.Fatalf("%s: pixel (%d, %d) of the glyph area is %v outside every glyph", when, x, y, atlas.RGBAAt(x, y))
				}
			}
		}
	}
	shelves := func() int {
		tops := map[int]bool{}
		for _, s := range g.slots {
			if !s.empty {
				tops[s.src.Min.Y] = true
			}
		}
		return len(tops)
	}
	dst := ebiten.NewImage(400, 300)
	r.text.start(r.at)
	var ls []label
	for i, f := range []*face{r.text.face, r.text.bold, r.text.small} {
		for j := range 4 {
			ls = append(ls, label{s: "Sensor gateway PLC broker 0123456789 ±°µ→", x: float64(7*i+j) / 4, y: 20, face: f, c: col.Text})
		}
	}
	r.text.draw(dst, r.at, ls)
	if n := shelves(); n < 2 || writes != n {
		t.Errorf("the first frame wrote its glyphs to the atlas in %d writes over %d shelves, want one write a shelf (and more than one shelf)", writes, n)
	}
	check("the first frame")
	before := writes
	r.text.start(r.at)
	r.text.draw(dst, r.at, []label{{s: "QXZ", x: 3.5, y: 20, face: r.text.face, c: col.Text}, {s: "Sensor", x: 0, y: 20, face: r.text.face, c: col.Text}})
	if writes != before+1 {
		t.Errorf("a frame with three new glyphs wrote %d times, want once", writes-before)
	}
	check("a later frame")
	r.text.draw(dst, r.at, []label{{s: "Sensor", x: 0, y: 20, face: r.text.face, c: col.Text}})
	if writes != before+1 {
		t.Errorf("a frame with no new glyph wrote %d times, want none", writes-before-1)
	}
}
