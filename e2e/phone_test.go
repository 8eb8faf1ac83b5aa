package e2e

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// worldFit is window.thingyard.fit(): the world's area (the canvas), the
// box the fitted world is drawn in and the legend's height, CSS pixels.
type worldFit struct {
	Area   struct{ X, Y, W, H float64 }
	Box    struct{ X0, Y0, X1, Y1 float64 }
	Legend float64
}

// settleFit waits until the world's area has the height the program asked
// for, the canvas matches it, and the world was fitted to it since.
func (c *canvas) settleFit() worldFit {
	c.t.Helper()
	c.run("the world's area", waitFor(c.ctx, `(() => {
		const want = parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--world-fit"));
		const r = document.querySelector("body > canvas").getBoundingClientRect();
		return want > 0 && Math.abs(r.height - want) < 1;
	})()`), waitFor(c.ctx, sharp))
	c.settle(3)
	var f worldFit
	c.run("fit", js(`window.thingyard.fit()`, &f))
	return f
}

// On a phone held upright the world fills the top of the screen: its
// fitted box spans at least 80% of its area's width, with no empty band
// above or below it, and the panels are a sheet of tabs below it that
// never covers it. Nothing scrolls sideways on any tab, at 390×844 (DPR
// 3) and at 360×740, and every control of the sheet is big enough for a
// thumb, the tabs within reach along the bottom edge.
func TestPhoneFillsTheTop(t *testing.T) {
	for _, tt := range []struct {
		w, h int64
		dpr  float64
	}{{390, 844, 3}, {360, 740, 2}} {
		t.Run(fmt.Sprintf("%dx%d", tt.w, tt.h), func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", viewport(tt.w, tt.h, tt.dpr, true), chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
				waitFor(ctx, `document.querySelector(".ty-tabs") !== null`))
			f := c.settleFit()
			a, b := f.Area, f.Box
			t.Logf("area %.0f×%.0f at y %.0f; world %.0f..%.0f × %.0f..%.0f; legend %.0f", a.W, a.H, a.Y, b.X0, b.X1, b.Y0, b.Y1, f.Legend)
			if fill := (b.X1 - b.X0) / a.W; fill < 0.8 {
				t.Errorf("the world spans %.0f%% of its area's width, want 80%% or more", 100*fill)
			}
			if b.X0 < a.X-1 || b.X1 > a.X+a.W+1 || b.Y0 < a.Y-1 || b.Y1 > a.Y+a.H-f.Legend+1 {
				t.Errorf("the world %+v is not inside its area %+v above the legend (%.0f)", b, a, f.Legend)
			}
			above, below := b.Y0-a.Y, a.Y+a.H-f.Legend-b.Y1
			if above > 0.12*a.H || below > 0.12*a.H {
				t.Errorf("empty bands of %.0f px above and %.0f below the world in an area %.0f px tall, want each 12%% or less", above, below, a.H)
			}
			var sheetTop, worldBottom float64
			c.run("sheet", js(`document.getElementById("panel").getBoundingClientRect().top`, &sheetTop),
				js(`document.querySelector("body > canvas").getBoundingClientRect().bottom`, &worldBottom))
			if sheetTop < worldBottom-1 {
				t.Errorf("the sheet's top at %.0f covers the world, which ends at %.0f", sheetTop, worldBottom)
			}
			saveShot(t, fmt.Sprintf("phone-%d.png", tt.w), encodePNG(t, c.shot()))
			for _, tab := range []string{"lesson", "controls", "inspector", "share"} {
				// A tap on the tab, where the thumb is.
				var at point
				c.run("tab "+tab, js(`(() => { const r = document.getElementById("tab-`+tab+`").getBoundingClientRect();
					return {X: r.left + r.width / 2, Y: r.top + r.height / 2} })()`, &at))
				if at.Y < float64(tt.h)-80 || at.Y > float64(tt.h) {
					t.Errorf("the %s tab is at y %.0f, want it along the bottom edge of a %d px screen", tab, at.Y, tt.h)
				}
				c.click(at)
				var got struct {
					Selected string
					ScrollW  float64
					InnerW   float64
					SheetW   float64
					SheetCW  float64
					Small    []string
				}
				c.run("after tab "+tab, waitFor(ctx, `document.getElementById("tab-`+tab+`").getAttribute("aria-selected") === "true"`),
					js(`(() => {
						const p = document.getElementById("panel");
						const small = [];
						for (const e of p.querySelectorAll("button, select, input, textarea, a")) {
							const r = e.getBoundingClientRect();
							if (r.width === 0 || e.closest(".ty-recent")) continue; // hidden, or a line of a list
							if (r.height < 44 || r.width < 44) small.push((e.id || e.textContent.trim()) + " " + Math.round(r.width) + "×" + Math.round(r.height));
						}
						return {Selected: document.querySelector(".ty-tabs [aria-selected=true]").id,
							ScrollW: document.scrollingElement.scrollWidth, InnerW: innerWidth,
							SheetW: p.scrollWidth, SheetCW: p.clientWidth, Small: small};
					})()`, &got))
				if got.Selected != "tab-"+tab {
					t.Errorf("after a tap on %s, %s is selected", tab, got.Selected)
				}
				if got.ScrollW > got.InnerW || got.SheetW > got.SheetCW {
					t.Errorf("%s: the page is %.0f px wide in a window of %.0f, the sheet %.0f in %.0f: it scrolls sideways", tab, got.ScrollW, got.InnerW, got.SheetW, got.SheetCW)
				}
				if len(got.Small) > 0 {
					t.Errorf("%s: controls smaller than a thumb (44×44 CSS px): %v", tab, got.Small)
				}
				saveShot(t, fmt.Sprintf("phone-%d-%s.png", tt.w, tab), encodePNG(t, c.shot()))
			}
			// Tapping a device in the world turns the sheet to its inspector.
			c.run("lesson tab", chromedp.Click("#tab-lesson", chromedp.ByQuery))
			c.selectDevice("plc", c.where("plc"))
			c.run("inspector", waitFor(ctx, `document.getElementById("tab-inspector").getAttribute("aria-selected") === "true" &&
				document.querySelector("#inspector h3") !== null && document.querySelector("#inspector").getBoundingClientRect().height > 0`))
			var name string
			c.run("name", chromedp.Text("#inspector h3", &name, chromedp.ByQuery))
			if name == "" {
				t.Error("the inspector shows no device after a tap on the PLC")
			}
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
			_ = strconv.Itoa
		})
	}
}
