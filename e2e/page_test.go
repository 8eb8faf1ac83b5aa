package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/scenes"
)

// The page loads, the world is drawn and moves, the panel sits beside the
// canvas, and nothing is logged as an error.
func TestWorldIsDrawn(t *testing.T) {
	ctx, errs := browser(t)
	var frames1, frames2 int
	var tick1, tick2 int64
	var shot []byte
	var overlap bool
	var title string
	err := chromedp.Run(ctx,
		chromedp.Navigate(baseURL),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 30`),
		chromedp.Evaluate(`window.thingyard.frames`, &frames1),
		chromedp.Evaluate(`window.thingyard.tick`, &tick1),
		waitFor(ctx, `window.thingyard.frames > `+itoa(frames1+60)),
		chromedp.Evaluate(`window.thingyard.frames`, &frames2),
		waitFor(ctx, `window.thingyard.tick > `+itoa(int(tick1))),
		chromedp.Evaluate(`window.thingyard.tick`, &tick2),
		waitFor(ctx, `document.querySelector(".ty-ui h1") !== null`),
		chromedp.Text(`.ty-ui h1`, &title),
		chromedp.Evaluate(`(() => {
			const c = document.querySelector("body > canvas").getBoundingClientRect();
			const p = document.getElementById("panel").getBoundingClientRect();
			return c.right > p.left + 1 && c.left < p.right - 1;
		})()`, &overlap),
		chromedp.CaptureScreenshot(&shot),
	)
	if err != nil {
		t.Fatalf("page: %v (console: %v)", err, *errs)
	}
	p := saveShot(t, "world.png", shot)
	if tick2 <= tick1 {
		t.Errorf("the world did not advance: tick %d then %d", tick1, tick2)
	}
	if !strings.Contains(title, "Thingyard") {
		t.Errorf("panel title %q", title)
	}
	if overlap {
		t.Error("the canvas lies under the panel")
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	// The world area is left of the 360-pixel panel.
	drawn, colours := coverage(img, image.Rect(0, 0, img.Bounds().Dx()-360, img.Bounds().Dy()))
	if drawn < 0.02 || colours < 8 {
		t.Errorf("%s: %.1f%% of the world area drawn in %d colours; the world looks empty", p, drawn*100, colours)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// coverage is the share of pixels in r that differ from the background and
// the number of distinct colours among them (coarsely quantised).
func coverage(img image.Image, r image.Rectangle) (float64, int) {
	bg := img.At(r.Min.X+2, r.Min.Y+2)
	seen := map[color.RGBA]bool{}
	var n, total int
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			total++
			c := img.At(x, y)
			if far(c, bg) {
				n++
				r, g, b, _ := c.RGBA()
				seen[color.RGBA{uint8(r >> 12), uint8(g >> 12), uint8(b >> 12), 0}] = true
			}
		}
	}
	return float64(n) / float64(total), len(seen)
}

func far(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) int { v := int(x>>8) - int(y>>8); return max(v, -v) }
	return d(ar, br)+d(ag, bg)+d(ab, bb) > 24
}

func itoa(n int) string { return strconv.Itoa(n) }

// A browser without WebAssembly gets a readable message, not a blank page.
func TestNoWebAssemblyMessage(t *testing.T) {
	ctx, _ := browser(t)
	var msg string
	err := chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(`delete window.WebAssembly;`).Do(ctx)
			return err
		}),
		chromedp.Navigate(baseURL),
		chromedp.Text(`#loader`, &msg),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "cannot run WebAssembly") {
		t.Errorf("page says %q, want the WebAssembly message", msg)
	}
}

// recordPhases, run before the page's own scripts, keeps every text the
// loader's headline shows, in order.
const recordPhases = `window.phases = [];
document.addEventListener("DOMContentLoaded", () => {
	const el = document.getElementById("load-what");
	const note = () => { if (window.phases[window.phases.length - 1] !== el.textContent) window.phases.push(el.textContent) };
	note();
	new MutationObserver(note).observe(el, {childList: true, characterData: true, subtree: true});
});
// At the first frame, whether the panels were mounted yet.
document.addEventListener("thingyard:ready", () => {
	window.panelsAtFirstFrame = document.querySelector("#panel .boot") === null;
});`

// The loader compiles the program while it downloads it where the browser
// can (WebAssembly.instantiateStreaming), and downloads then compiles
// where it cannot; either way the bar counts the bytes and the page starts.
func TestLoaderCompilesWhileDownloading(t *testing.T) {
	for _, tt := range []struct {
		name     string
		script   string
		streamed bool
	}{
		{"streaming", `const real = WebAssembly.instantiateStreaming;
			WebAssembly.instantiateStreaming = function () { window.streamed = true; return real.apply(this, arguments); };`, true},
		{"without streaming", `delete WebAssembly.instantiateStreaming;`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, errs := browser(t)
			var streamed bool
			var done []string
			var fetched int
			err := chromedp.Run(ctx,
				chromedp.ActionFunc(func(ctx context.Context) error {
					_, err := page.AddScriptToEvaluateOnNewDocument(`window.streamed = false;` + tt.script).Do(ctx)
					return err
				}),
				chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready`),
				chromedp.Evaluate(`window.streamed`, &streamed),
				chromedp.Evaluate(`[...document.querySelectorAll("#load-steps li")].map(l => l.textContent)`, &done),
				chromedp.Evaluate(`performance.getEntriesByName(new URL("assets/thingyard.wasm", location.href).href).length`, &fetched),
			)
			if err != nil {
				t.Fatalf("load: %v (console: %v)", err, *errs)
			}
			// The page asks for the program in its head (a preload), and
			// the loader's fetch takes that response rather than a second.
			if fetched != 1 {
				t.Errorf("the program was fetched %d times, want once", fetched)
			}
			if streamed != tt.streamed {
				t.Errorf("compiled while downloading: %v, want %v", streamed, tt.streamed)
			}
			if len(done) < 2 || !strings.HasPrefix(done[0], "Downloaded ") || !strings.HasPrefix(done[1], "Compiling") {
				t.Errorf("steps done %q: want the download's size, then the compile", done)
			}
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
	}
}

// The loader says what the start is doing, step by step, from the download
// to the first frame, and lists the steps done; opening a share link, it
// says it is running the world to the shared moment.
func TestLoaderShowsItsSteps(t *testing.T) {
	sc, err := scenes.Builtin("overview")
	if err != nil {
		t.Fatal(err)
	}
	link, err := scenes.Link(baseURL, scenes.Scenario{Name: "overview", Scene: sc, Seed: sc.Seed, Tick: 30_000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, errs := browser(t)
	var phases, done []string
	var panelsEarly, panelsLater bool
	err = chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(recordPhases).Do(ctx)
			return err
		}),
		chromedp.Navigate(link),
		waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		chromedp.Evaluate(`window.phases`, &phases),
		chromedp.Evaluate(`[...document.querySelectorAll("#load-steps li")].map(l => l.textContent)`, &done),
		chromedp.Evaluate(`window.panelsAtFirstFrame`, &panelsEarly),
		chromedp.Evaluate(`document.querySelector("#panel .boot") === null && document.querySelector("#panel select") !== null`, &panelsLater),
	)
	if err != nil {
		t.Fatalf("load %s: %v (console: %v)", link, err, *errs)
	}
	// Nothing the first frame does not need comes before it: the panels
	// mount after it, and the page is ready once they show.
	if panelsEarly {
		t.Error("the panels were mounted before the world's first frame")
	}
	if !panelsLater {
		t.Error("the page says it is ready, and its panels are not there")
	}
	t.Logf("the loader said %q; steps done %q", phases, done)
	// The panels mount after the first frame, and the icons are made at
	// build time: neither is a step before it. Building the scene is too
	// short to be seen, so it is listed when done but never shown while it
	// runs (the page would wait a frame to show it).
	inOrder := func(what string, got, want []string) {
		t.Helper()
		i := 0
		for _, p := range got {
			if i < len(want) && strings.HasPrefix(p, want[i]) {
				i++
			}
		}
		if i < len(want) {
			t.Errorf("%s %q: want these steps in order %q, missing %q", what, got, want, want[i])
		}
	}
	inOrder("the loader said", phases, []string{"Downloading", "Compiling", "Running the shared world to 0:30.0", "Starting the graphics"})
	inOrder("the loader lists as done", done, []string{"Downloaded", "Compiling", "Building the scene", "Running the shared world to 0:30.0", "Starting the graphics"})
	for _, d := range done {
		if strings.HasSuffix(d, "…") {
			t.Errorf("step %q is still listed as running after the first frame", d)
		}
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}
