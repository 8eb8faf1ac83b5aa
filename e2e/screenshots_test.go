//go:build screenshots

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/scenes"
)

// shotTick is the moment each scene is photographed at, in ticks (1 ms of
// simulated time): after its opening events, and for the scenes that cut
// the internet, while it is cut.
var shotTick = map[string]int64{
	"internet-outage": 25_000,
	"intelligence":    45_000,
	"scalability":     21_000,
}

// TestSceneScreenshots is make screenshots: it opens every built-in scene
// in headless Chromium at a fixed moment, saves the page as
// docs/scenes/NAME.png, writes docs/scenes.md showing them, and refreshes
// docs/screenshot.png from the default scene and docs/theme-dark.png and
// docs/theme-light.png from it in either theme.
func TestSceneScreenshots(t *testing.T) {
	if err := os.MkdirAll("../docs/scenes", 0o755); err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	md.WriteString("# The built-in scenes\n\n")
	md.WriteString("Each scene as it looks in the page a few simulated seconds in (made by `make screenshots`). Orange is the M2M side, blue the IoT side; the panel on the right holds the lesson, the live comparison and the inspector.\n\n")
	for _, s := range scenes.Summaries() {
		sc, err := scenes.Builtin(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&md, "## %s (`%s`)\n\n%s\n\n![%s](scenes/%s.png)\n\n", sc.Title, s.Name, s.Line, sc.Title, s.Name)
		t.Run(s.Name, func(t *testing.T) {
			tick := shotTick[s.Name]
			if tick == 0 {
				tick = 12_000
			}
			link, err := scenes.Link(baseURL, scenes.Scenario{Name: s.Name, Scene: sc, Seed: sc.Seed, Tick: tick})
			if err != nil {
				t.Fatal(err)
			}
			png := sceneShot(t, link, 1280, 800, 1)
			if err := os.WriteFile(filepath.Join("../docs/scenes", s.Name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if s.Name == scenes.Default {
				if err := os.WriteFile("../docs/screenshot.png", png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	md.WriteString("## On a phone\n\nThe default scene on a phone held upright, 390×844 at a device pixel ratio of 3 and 360×740 at 2: the world fills the top of the screen, as tall as it needs at the phone's width, and the panels are a sheet below it with their tabs along the bottom edge.\n\n![The default scene on a 390 px phone](scenes/phone.png) ![The default scene on a 360 px phone, Controls tab](scenes/phone-360.png)\n\n")
	md.WriteString("## In a course page\n\nA page on another site framing `?embed=1` in an 800×500 iframe: the world and a bar of its controls, the internet cut from the bar.\n\n![Thingyard embedded in a course page](embed.png)\n")
	t.Run("phone", func(t *testing.T) {
		png := sceneShot(t, baseURL, 390, 844, 3)
		if err := os.WriteFile("../docs/scenes/phone.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	// Both themes of the default scene, for the README: theme= in the URL
	// chooses one as the toggle does.
	for _, th := range []string{"dark", "light"} {
		t.Run("theme-"+th, func(t *testing.T) {
			png := sceneShot(t, baseURL+"?theme="+th, 1280, 800, 1)
			if err := os.WriteFile("../docs/theme-"+th+".png", png, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("phone-360", func(t *testing.T) {
		ctx, errs := browser(t)
		c := &canvas{t: t, ctx: ctx, errs: errs}
		c.run("load", viewport(360, 740, 2, true), chromedp.Navigate(baseURL),
			waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 40`),
			waitFor(ctx, `document.getElementById("tab-controls") !== null`),
			chromedp.Click("#tab-controls", chromedp.ByQuery))
		c.settleFit()
		var png []byte
		c.run("shot", chromedp.CaptureScreenshot(&png))
		if err := os.WriteFile("../docs/scenes/phone-360.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("embed", func(t *testing.T) {
		course := coursePage(t, "127.0.0.3")
		ctx, errs := browser(t)
		c := &canvas{t: t, ctx: ctx, errs: errs}
		c.run("size", viewport(816, 600, 1, false))
		f, _ := frameOn(t, ctx, course, baseURL+"?embed=1")
		fc := &canvas{t: t, ctx: f, errs: errs}
		fc.run("cut", waitFor(f, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 40 && document.getElementById("bar-internet") !== null`),
			chromedp.Click("#bar-internet", chromedp.ByQuery),
			waitFor(f, `document.getElementById("bar-internet").textContent.includes("Restore")`))
		fc.settle(30)
		var png []byte
		c.run("shot", chromedp.CaptureScreenshot(&png))
		if err := os.WriteFile("../docs/embed.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	md.WriteString("\n## The event list\n\nThe protocols scene paused 12 simulated seconds in, its event list open and filtered to MQTT, one frame picked: the inspector dissects it and the world marks its hop.\n\n![The event list](scenes/events.png)\n")
	t.Run("events", func(t *testing.T) {
		png := eventsShot(t)
		if err := os.WriteFile("../docs/scenes/events.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if err := os.WriteFile("../docs/scenes.md", []byte(md.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sceneShot opens a link in a viewport of w×h CSS pixels at a device
// pixel ratio and returns the page as a PNG once it has drawn a while.
func sceneShot(t *testing.T, link string, w, h int64, dpr float64) []byte {
	t.Helper()
	ctx, errs := browser(t)
	var png []byte
	err := chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			return emulation.SetDeviceMetricsOverride(w, h, dpr, w < 760).Do(ctx)
		}),
		chromedp.Navigate(link),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 40`),
		waitFor(ctx, `document.querySelector(".ty-lesson h2") !== null`),
		chromedp.CaptureScreenshot(&png),
	)
	if err != nil {
		t.Fatalf("%s: %v (console: %v)", link, err, *errs)
	}
	if len(*errs) > 0 {
		t.Errorf("%s: console errors: %v", link, *errs)
	}
	return png
}

// eventsShot is the protocols scene at 1280×800 with the event list open
// and an MQTT frame picked in it.
func eventsShot(t *testing.T) []byte {
	t.Helper()
	sc, err := scenes.Builtin("protocols")
	if err != nil {
		t.Fatal(err)
	}
	link, err := scenes.Link(baseURL, scenes.Scenario{Name: "protocols", Scene: sc, Seed: sc.Seed, Tick: 12_000, Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, errs := browser(t)
	var png []byte
	err = chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			return emulation.SetDeviceMetricsOverride(1280, 800, 1, false).Do(ctx)
		}),
		chromedp.Navigate(link),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 40`),
		chromedp.Click("#events-toggle", chromedp.ByID),
		waitFor(ctx, `document.querySelectorAll("#event-rows tbody tr").length > 5`),
		choose("ev-protocol", "mqtt"),
		waitFor(ctx, `[...document.querySelectorAll("#event-rows td.ev-proto")].every(td => td.textContent === "MQTT")`),
		chromedp.Click(`#event-rows tbody tr:nth-child(2) button.ev-pick`, chromedp.ByQuery),
		waitFor(ctx, `document.querySelector("#inspector .ty-hex") !== null && window.thingyard.hop !== ""`),
		chromedp.ActionFunc(func(ctx context.Context) error {
			// A few frames, so the world draws the mark.
			var f int
			if err := chromedp.Evaluate(`window.thingyard.frames`, &f).Do(ctx); err != nil {
				return err
			}
			return waitFor(ctx, fmt.Sprintf(`window.thingyard.frames > %d`, f+10)).Do(ctx)
		}),
		chromedp.CaptureScreenshot(&png),
	)
	if err != nil {
		t.Fatalf("%s: %v (console: %v)", link, err, *errs)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
	return png
}
