package e2e

import (
	"context"
	"fmt"
	"image"
	"math"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// viewport sets the page's size in CSS pixels and its device pixel ratio.
func viewport(w, h int64, dpr float64, mobile bool) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetDeviceMetricsOverride(w, h, dpr, mobile).Do(ctx)
	})
}

// backing is the canvas's size in CSS pixels and the size of its drawing
// buffer.
type backing struct{ CSSW, CSSH, W, H, DPR float64 }

func (c *canvas) backing() backing {
	c.t.Helper()
	var b backing
	c.run("canvas size", js(`(() => { const c = document.querySelector("body > canvas"), r = c.getBoundingClientRect();
		return {CSSW: r.width, CSSH: r.height, W: c.width, H: c.height, DPR: devicePixelRatio} })()`, &b))
	return b
}

// sharp is the condition that the canvas draws one buffer pixel per device
// pixel: its buffer is its CSS size times the device pixel ratio.
const sharp = `(() => { const c = document.querySelector("body > canvas"), r = c.getBoundingClientRect();
	return Math.abs(c.width - Math.round(r.width * devicePixelRatio)) <= 1 && Math.abs(c.height - Math.round(r.height * devicePixelRatio)) <= 1 })()`

// TestCanvasSizes opens the default scene on a desktop at device pixel
// ratios 1 and 2 and on a phone, then resizes the window: the canvas's
// buffer always matches its CSS size times the ratio (crisp, not
// stretched), the world is drawn to the same scale across and down, every
// device is on the canvas and drawn, and the panel does not cover it.
func TestCanvasSizes(t *testing.T) {
	tests := []struct {
		name             string
		w, h             int64
		dpr              float64
		mobile           bool
		resizeW, resizeH int64 // the window afterwards
	}{
		{"desktop", 1280, 800, 1, false, 1000, 700},
		{"desktop at DPR 2", 1280, 800, 2, false, 1440, 900},
		{"phone", 390, 844, 3, true, 844, 390}, // turned on its side
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", viewport(tt.w, tt.h, tt.dpr, tt.mobile), chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`))
			check := func(when string) {
				t.Helper()
				c.run("wait for the canvas to match the window", waitFor(ctx, sharp))
				b := c.backing()
				if b.DPR != tt.dpr {
					t.Errorf("%s: devicePixelRatio %v, want %v", when, b.DPR, tt.dpr)
				}
				var overlap bool
				c.run("panel", js(`(() => {
					const c = document.querySelector("body > canvas").getBoundingClientRect();
					const p = document.getElementById("panel").getBoundingClientRect();
					return c.right > p.left + 1 && c.left < p.right - 1 && c.bottom > p.top + 1 && c.top < p.bottom - 1;
				})()`, &overlap))
				if overlap {
					t.Errorf("%s: the panel covers the canvas", when)
				}
				c.rest(overviewIDs)
				img := c.shot()
				if got, want := img.Bounds().Dx(), int(float64(c.viewW())*tt.dpr); math.Abs(float64(got-want)) > 1 {
					t.Errorf("%s: screenshot %d device pixels wide, want %d", when, got, want)
				}
				box := c.canvasBox()
				at := c.wheres(overviewIDs)
				for _, id := range overviewIDs {
					p := at[id]
					if !image.Pt(int(p.X), int(p.Y)).In(box) {
						t.Errorf("%s: %s at %v, outside the canvas %v", when, id, p, box)
						continue
					}
					// An icon's glyph: bright pixels at its centre.
					dp := image.Pt(int(p.X*tt.dpr), int(p.Y*tt.dpr))
					if n, want := brightNear(img, dp, int(8*tt.dpr)), int(10*tt.dpr*tt.dpr); n < want {
						t.Errorf("%s: %s at %v: %d bright pixels at its centre, want an icon (%d or more)", when, id, p, n, want)
					}
				}
				// One scale across and down: the world is not stretched.
				a, z := c.worldPos("oven-temp"), c.worldPos("cloud")
				sx := (at["cloud"].X - at["oven-temp"].X) / (z.X - a.X)
				sy := (at["cloud"].Y - at["oven-temp"].Y) / (z.Y - a.Y)
				if math.Abs(sx/sy-1) > 0.01 {
					t.Errorf("%s: %.4f CSS pixels per unit across, %.4f down", when, sx, sy)
				}
				saveShot(t, fmt.Sprintf("size-%s-%s.png", tt.name, when), encodePNG(t, img))
			}
			check("open")
			c.run("resize", viewport(tt.resizeW, tt.resizeH, tt.dpr, tt.mobile),
				waitFor(ctx, fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, tt.resizeW, tt.resizeH)))
			c.settle(3)
			// Fit the world to the new window: the keys go to the canvas
			// once it has the focus (the page does not give it at load).
			c.run("focus the world", js(`document.querySelector("body > canvas").focus(), true`, nil))
			c.key("f", "KeyF")
			check("resized")
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
	}
}

// brightNear counts the pixels within r of p that stand out strongly
// from the background: what a drawn icon's glyph and ring are.
func brightNear(img image.Image, p image.Point, r int) int {
	bg := img.At(2, 40)
	br, bgr, bb, _ := bg.RGBA()
	n := 0
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			if x*x+y*y > r*r {
				continue
			}
			cr, cg, cb, _ := img.At(p.X+x, p.Y+y).RGBA()
			d := func(a, b uint32) int { v := int(a>>8) - int(b>>8); return max(v, -v) }
			if d(cr, br)+d(cg, bgr)+d(cb, bb) > 150 {
				n++
			}
		}
	}
	return n
}

func (c *canvas) viewW() int {
	c.t.Helper()
	var w int
	c.run("innerWidth", js(`innerWidth`, &w))
	return w
}

// TestReducedMotion: with prefers-reduced-motion set, messages are drawn
// at their sender or their receiver and never between; when the setting
// is turned off in the open page, they glide again.
func TestReducedMotion(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	motion := func(v string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: v}}).Do(ctx)
		})
	}
	c.run("load", motion("reduce"), chromedp.Navigate(baseURL),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		waitFor(ctx, `matchMedia("(prefers-reduced-motion: reduce)").matches`))
	// sample looks at the messages over many frames: how many it saw and
	// how many of those were between two devices.
	sample := func() (seen, between int) {
		t.Helper()
		at := c.wheres(overviewIDs)
		for range 60 {
			var ms []struct{ X, Y float64 }
			c.run("messages", js(`window.thingyard.messages()`, &ms))
			for _, m := range ms {
				seen++
				near := math.Inf(1)
				for _, p := range at {
					near = math.Min(near, math.Hypot(m.X-p.X, m.Y-p.Y))
				}
				if near > 2 {
					between++
				}
			}
			c.settle(1)
		}
		return seen, between
	}
	seen, between := sample()
	if seen < 10 {
		t.Fatalf("only %d messages seen in 60 frames", seen)
	}
	if between > 0 {
		t.Errorf("reduced motion: %d of %d messages drawn between devices, want each at its sender or receiver", between, seen)
	}
	c.run("motion on", motion("no-preference"), waitFor(ctx, `!matchMedia("(prefers-reduced-motion: reduce)").matches`))
	c.settle(2)
	seen, between = sample()
	if between*4 < seen {
		t.Errorf("with motion: only %d of %d messages drawn on their way, want them gliding", between, seen)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}
