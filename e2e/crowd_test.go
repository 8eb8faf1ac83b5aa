package e2e

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// overviewNames are the names the default scene gives its devices, by id.
var overviewNames = map[string]string{"plc": "PLC", "oven-temp": "Oven temp", "oil-temp": "Oil temp", "valve": "Valve",
	"living-temp": "Living room", "door": "Door", "lamp": "Lamp", "hub": "Zigbee hub", "cloud": "Cloud broker", "phone": "Phone app"}

type text struct {
	S    string
	X, Y float64
}

// Sensors added to the Zigbee hub in the default scene cover nothing: the
// view fits them all on the canvas, none is drawn on another, and the
// scene's names are still written (all of them beside ten; beside a
// hundred, the hub's and the untouched M2M side's), with the pixels of
// text where each is said to be.
func TestAddedSensorsCoverNothing(t *testing.T) {
	for _, n := range []int{10, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", viewport(1280, 800, 1, false), chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
				waitFor(ctx, `document.getElementById("add") !== null`))
			c.run("add", choose("add-count", strconv.Itoa(n)), choose("add-link", "zigbee"),
				chromedp.Click("#add", chromedp.ByID),
				waitFor(ctx, metric("devices", 1)+` >= `+strconv.Itoa(6+n)))
			c.settle(5)
			ids := []string{}
			for id := range overviewNames {
				ids = append(ids, id)
			}
			for i := 1; i <= n; i++ {
				ids = append(ids, fmt.Sprintf("sensor-%d", i))
			}
			c.rest(ids)
			at := c.wheres(ids)
			box := c.canvasBox()
			// The nearest two icons' centres, on screen.
			nearest, pair := math.Inf(1), ""
			for i, a := range ids {
				p := at[a]
				if !image.Pt(int(p.X), int(p.Y)).In(box.Inset(8)) {
					t.Errorf("%s at %v is off the canvas %v: the view did not follow the added devices", a, p, box)
				}
				for _, b := range ids[i+1:] {
					if d := math.Hypot(p.X-at[b].X, p.Y-at[b].Y); d < nearest {
						nearest, pair = d, a+" and "+b
					}
				}
			}
			// Icons are at least 7 CSS pixels in radius with a hundred
			// devices on screen, 10 with fewer than forty.
			if least := 14.0; nearest < least {
				t.Errorf("%s are %.1f CSS pixels apart: their icons overlap (want %v or more)", pair, nearest, least)
			}
			img := c.shot()
			if n == 10 {
				// Room is left under the hub for its name: text there,
				// not an icon over it.
				h := at["hub"]
				under := image.Rect(int(h.X-30), int(h.Y+12), int(h.X+30), int(h.Y+36))
				if lit := brightIn(img, under); lit < 12 {
					t.Errorf("under the hub at %v only %d bright pixels: its name is not written there", h, lit)
				}
			}
			var texts []text
			c.run("texts", js(`window.thingyard.texts()`, &texts))
			shown := map[string]text{}
			for _, x := range texts {
				shown[x.S] = x
			}
			want := []string{"plc", "oven-temp", "oil-temp", "valve", "hub"}
			if n == 10 {
				want = ids[:len(overviewNames)]
			}
			for _, id := range want {
				x, ok := shown[overviewNames[id]]
				if !ok {
					t.Errorf("%s's name %q is not written (texts %v)", id, overviewNames[id], texts)
					continue
				}
				// Text is bright pixels in the line the name is written on.
				line := image.Rect(int(x.X-20), int(x.Y), int(x.X+20), int(x.Y+14))
				if lit := brightIn(img, line); lit < 12 {
					t.Errorf("%s's name at %v: only %d bright pixels there", id, x, lit)
				}
			}
			saveShot(t, fmt.Sprintf("crowd-%d.png", n), encodePNG(t, img))
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
	}
}

// brightIn counts the near-white pixels in r: text is drawn in #e6edf5.
func brightIn(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 > 0xa0 && cg>>8 > 0xa0 && cb>>8 > 0xa0 {
				n++
			}
		}
	}
	return n
}
