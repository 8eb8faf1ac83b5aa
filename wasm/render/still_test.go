//go:build js && wasm

package render

import (
	"bytes"
	"math"
	"testing"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/render/internal/sprite"
)

// wide is a wire of three devices, the last beyond the right edge of a
// 400 × 300 screen centred on the first two.
func wide() *sim.View {
	v := view()
	v.Devices = append(v.Devices, sim.DeviceView{ID: "c", Label: "C", Kind: sim.KindActuator, X: 330, Y: 40, Powered: true, Online: true})
	v.Links[0].Members = []int32{0, 1, 2}
	v.Messages = nil
	return v
}

func stillRenderer() *Renderer {
	r := New()
	r.Cam = Camera{CX: 50, CY: 0, Scale: 1, W: 400, H: 300}
	r.SlowDown = 0
	return r
}

// inGame runs f inside a running game's frame, where pixels can be read
// back.
type inGame struct {
	f    func()
	done bool
}

func (g *inGame) Update() error {
	if g.done {
		return ebiten.Termination
	}
	return nil
}

func (g *inGame) Draw(*ebiten.Image) {
	if !g.done {
		g.f()
		g.done = true
	}
}

func (g *inGame) Layout(int, int) (int, int) { return 400, 300 }

func runInGame(t *testing.T, f func()) {
	t.Helper()
	if err := ebiten.RunGame(&inGame{f: f}); err != nil {
		t.Fatal(err)
	}
}

func pixels(t *testing.T, img *ebiten.Image) []byte {
	t.Helper()
	b := make([]byte, 4*img.Bounds().Dx()*img.Bounds().Dy())
	img.ReadPixels(b)
	return b
}

// A pan copies the part of the cached layer the camera now looks at
// instead of drawing thousands of devices again each frame; the layer is
// drawn again when the pan leaves it, and once the camera settles, for
// the screen alone.
func TestPanCopiesTheCachedLayer(t *testing.T) {
	r, v := stillRenderer(), wide()
	screen := ebiten.NewImage(400, 300)
	r.Draw(screen, v)
	r.Draw(screen, v)
	if r.still.draws != 1 {
		t.Fatalf("a still camera drew the layer %d times in two frames, want once", r.still.draws)
	}
	if got := r.still.img.Bounds(); got.Dx() != 400 || got.Dy() != 300 {
		t.Errorf("before any pan the layer is %v, want the screen's size", got)
	}
	r.Cam.Pan(-10, 0)
	r.Draw(screen, v) // the pan starts: drawn once, reaching beyond the screen
	for range 8 {
		r.Cam.Pan(-10, -3)
		r.Draw(screen, v)
	}
	if r.still.draws != 2 || r.still.pad == 0 {
		t.Errorf("after 9 small pans: drawn %d times in all (pad %v), want twice, the second reaching beyond the screen", r.still.draws, r.still.pad)
	}
	r.Cam.Pan(-r.still.most, 0)
	r.Draw(screen, v)
	if r.still.draws != 3 {
		t.Errorf("a pan beyond the layer's reach: drawn %d times in all, want 3", r.still.draws)
	}
	for range settleFrames {
		r.Draw(screen, v)
	}
	if r.still.draws != 4 || r.still.pad != 0 {
		t.Errorf("the camera settled: drawn %d times in all (pad %v), want 4, the last for the screen alone", r.still.draws, r.still.pad)
	}
}

// The checks that read pixels back run in one game, as a test binary can
// run only one.
func TestInAGame(t *testing.T) {
	runInGame(t, func() {
		t.Run("pan shows what a drawing shows", panShowsWhatADrawingShows)
		t.Run("dashes run on across pieces", dashesRunOnAcrossPieces)
	})
}

// What a pan shows is what a drawing at that camera shows: a device that
// was off screen comes into view drawn, and the hints stay put.

func panShowsWhatADrawingShows(t *testing.T) {
	r, v := stillRenderer(), wide()
	r.SlowDown = 1
	screen := ebiten.NewImage(400, 300)
	r.Draw(screen, v)
	before := pixels(t, screen)
	for range 6 {
		r.Cam.Pan(-20, 5)
		r.Draw(screen, v)
	}
	if r.still.pad == 0 || r.still.draws != 2 {
		t.Fatalf("the pan drew the layer %d times (pad %v): want a copy of one drawing reaching beyond the screen", r.still.draws, r.still.pad)
	}
	got := pixels(t, screen)
	if bytes.Equal(got, before) {
		t.Fatal("the pan changed nothing on screen")
	}
	fresh := stillRenderer()
	fresh.SlowDown = 1
	fresh.Cam = r.Cam
	want := ebiten.NewImage(400, 300)
	fresh.Draw(want, v)
	wantPix := pixels(t, want)
	// Lines clipped at other edges may round their soft edges a step apart.
	bad := 0
	for i := range got {
		if d := int(got[i]) - int(wantPix[i]); d > 3 || d < -3 {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d channel values differ from a drawing at the panned camera", bad, len(got))
	}
	x, y, _ := r.ScreenOf(v, "c")
	if x < 0 || x >= 400 {
		t.Fatalf("device c at x=%v: the test wants it panned into view", x)
	}
	i := 4 * (int(y)*400 + int(x))
	if bytes.Equal(got[i:i+4], before[4*(150*400+395):4*(150*400+395)+4]) && bytes.Equal(got[i:i+4], wantPix[4*(2*400+200):4*(2*400+200)+4]) {
		t.Errorf("device c at (%v, %v) shows the ground's colour %v", x, y, got[i:i+4])
	}
}

// A dashed line longer than the dash image is drawn in pieces that join as
// one pattern: along 1,200 pixels (three pieces at a 16-pixel period) every
// pixel is dashed or clear as the pattern and its phase say, at the pieces'
// joins too, drawn without a wrapping sampler.
func dashesRunOnAcrossPieces(t *testing.T) {
	r := New()
	r.at.paint()
	const x0, y, length, period, phase = 10, 10, 1200, 16, 5
	dst := ebiten.NewImage(x0+length+10, 2*y)
	var b batch
	b.dashed(x0, y, x0+length, y, 4, period, phase, rgba{1, 1, 1, 1})
	if pieces := len(b.vs) / 8; pieces != 3 {
		t.Fatalf("a %d-pixel dashed line was drawn in %d pieces, want 3", length, pieces)
	}
	b.draw(dst, r.at.dash, &r.dashOp)
	px := pixels(t, dst)
	on, off := 0, 0
	for x := x0 + 2; x < x0+length-2; x++ {
		pos := math.Mod(float64(x-x0)+0.5+phase, period) * dashLen / period
		if math.Abs(pos-sprite.DashOn) < 1.5 || pos < 1.5 || pos > dashLen-1.5 {
			continue // a dash's soft end
		}
		a := px[4*(y*dst.Bounds().Dx()+x)+3]
		switch want := pos < sprite.DashOn; {
		case want && a > 200:
			on++
		case !want && a < 55:
			off++
		default:
			t.Errorf("at x %d (%.1f into the pattern) alpha %d, want it %s", x, pos, a, map[bool]string{true: "dashed", false: "clear"}[want])
		}
	}
	if on < 400 || off < 150 {
		t.Errorf("%d dashed and %d clear pixels checked: too few to prove anything", on, off)
	}
}
