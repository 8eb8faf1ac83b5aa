package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// recordViolations keeps every Content-Security-Policy violation of a page
// in window.violations, from before its first script runs.
const recordViolations = `window.violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
	window.violations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
}, true);`

// The page boots, draws, shows its panels and joins a live room under the
// server's Content-Security-Policy without one violation, and the policy
// is in force: an injected inline script is refused.
func TestPageUnderItsPolicy(t *testing.T) {
	ctx, errs := browser(t)
	room := createRoom(t, baseURL, "overview")
	var before, after []string
	var ran bool
	err := chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(recordViolations).Do(ctx)
			return err
		}),
		chromedp.Navigate(baseURL+"?room="+room),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 30`),
		waitFor(ctx, `document.querySelector(".ty-ui h1") !== null`),
		waitFor(ctx, `document.querySelector("#room .ty-live") !== null`),
		chromedp.Evaluate(`window.violations`, &before),
		chromedp.Evaluate(`(() => {
			const s = document.createElement("script");
			s.textContent = "window.injected = true";
			document.body.appendChild(s);
			return window.injected === true;
		})()`, &ran),
	)
	if err != nil {
		t.Fatalf("page: %v (console: %v)", err, *errs)
	}
	if len(before) > 0 {
		t.Errorf("the page broke its own policy: %v", before)
	}
	if ran {
		t.Fatal("an injected inline script ran: the policy is not in force")
	}
	// The refusal is reported too, so the listener that found none for
	// the page itself hears violations.
	if err := chromedp.Run(ctx, waitFor(ctx, `window.violations.length > `+itoa(len(before))),
		chromedp.Evaluate(`window.violations`, &after)); err != nil {
		t.Fatalf("the injected script's refusal was not reported: %v", err)
	}
	t.Logf("the injected script: %v", after[len(before):])
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}
