//go:build screenshots

package e2e

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestTimeControlsScreenshot is part of make screenshots: the default
// scene looked back at, with the time controls and the banner in view,
// saved as docs/time-controls.png.
func TestTimeControlsScreenshot(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("open", chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetDeviceMetricsOverride(1280, 800, 1, false).Do(ctx)
	}), chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		choose("speed", "16"), waitFor(ctx, `window.thingyard.tick > 6000`), choose("speed", "1"))
	c.pressButton("play", `document.getElementById("play").textContent === "Play"`)
	c.scrubTo(0.55)
	c.run("controls in view", chromedp.ScrollIntoView("#behind", chromedp.ByID))
	c.rest(overviewIDs)
	var png []byte
	c.run("shot", chromedp.CaptureScreenshot(&png))
	if err := os.WriteFile("../docs/time-controls.png", png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}
