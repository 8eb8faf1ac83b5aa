package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// js runs a script that must not fail.
func js(script string, out any) chromedp.Action { return chromedp.Evaluate(script, out) }

// choose sets a select's value the way a person does, firing change.
func choose(id, value string) chromedp.Action {
	return js(`(() => { const s = document.getElementById(`+strconv.Quote(id)+`);
		s.value = `+strconv.Quote(value)+`; s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, nil)
}

// metric reads a cell of the comparison table: row name, side column.
func metric(row string, side int) string {
	return `(() => { const r = [...document.querySelectorAll("#comparison tbody tr")].find(r => r.querySelector("th").textContent === ` +
		strconv.Quote(row) + `); return r ? r.querySelectorAll("td")[` + strconv.Itoa(side) + `].textContent : "" })()`
}

// stepper runs a named step of a test in the tab ctx, failing the test
// with the step's name and the console's errors.
func stepper(ctx context.Context, t *testing.T, errs *[]string) func(what string, actions ...chromedp.Action) {
	return func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (console: %v)", what, err, *errs)
		}
	}
}

// The panels drive the world: pick a scene, cut the internet and read the
// numbers change, add devices, and share a link that reproduces the state
// in a new tab. (TestSceneEditor types into the scene editor.)
func TestPanels(t *testing.T) {
	ctx, errs := browser(t)
	step := stepper(ctx, t, errs)
	step("load", chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready`))
	step("speed", choose("speed", "16"))

	var title string
	step("pick a scene", choose("scene-picker", "internet-outage"),
		waitFor(ctx, `document.querySelector(".ty-lesson h2").textContent === "The internet goes down"`),
		chromedp.Text(".ty-lesson h2", &title))
	if !strings.Contains(location(t, ctx), "#s=") {
		t.Error("picking a scene did not put it in the URL")
	}

	// The scene cuts the internet itself at 20 s; cut it now by hand.
	step("wait for IoT traffic", waitFor(ctx, metric("delivered", 1)+` > 3`))
	var lostBefore string
	step("cut", js(metric("lost", 1), &lostBefore), chromedp.Click("#internet", chromedp.ByID),
		waitFor(ctx, `document.getElementById("internet").textContent === "Restore the internet"`),
		waitFor(ctx, metric("lost", 1)+` > `+lostBefore+` + 2`))

	step("add 100 sensors", choose("add-count", "100"), choose("add-link", "lan"),
		chromedp.Click("#add", chromedp.ByID),
		waitFor(ctx, metric("devices", 1)+` >= 105`))

	var link string
	var tick int64
	shared := `document.getElementById("share-link") !== null && document.querySelector("#share-qr svg path") !== null`
	// A click on Share once missed it in two of three runs under load: the
	// list of devices grew by 4,000 pixels as the 100 sensors came into
	// it, moving Share between the scroll that brought it into view and
	// the click (TestDeviceListScrollsInItsBox).
	if err := chromedp.Run(ctx, chromedp.Click("#share", chromedp.ByID), waitFor(ctx, shared)); err != nil {
		// Say what the page showed instead: the share's note (a link the
		// page refused to make says why there) and a picture of it.
		var note string
		var shot []byte
		derr := chromedp.Run(ctx, js(`document.querySelector("#share + [role=status]").textContent`, &note),
			chromedp.CaptureScreenshot(&shot))
		t.Fatalf("share: %v; the share's note: %q; the page: %s (reading it: %v; console: %v)",
			err, note, saveShot(t, "panels-share-failed.png", shot), derr, *errs)
	}
	step("read the link", chromedp.Value("#share-link", &link, chromedp.ByID), js(`window.thingyard.tick`, &tick))
	// The link opens at the tick it was made, so the last hash mark before
	// it is there in both tabs at once.
	mark := (tick/1000 - 1) * 1000
	var want string
	step("a later hash mark", waitFor(ctx, `window.thingyard.marks["`+strconv.FormatInt(mark, 10)+`"] !== undefined`),
		js(`window.thingyard.marks["`+strconv.FormatInt(mark, 10)+`"]`, &want))

	// Another person's browser: a background tab would not draw.
	tab, _ := browser(t)
	var got string
	if err := chromedp.Run(tab, chromedp.Navigate(link), waitFor(tab, `window.thingyard && window.thingyard.ready`),
		waitFor(tab, `window.thingyard.marks["`+strconv.FormatInt(mark, 10)+`"] !== undefined`),
		js(`window.thingyard.marks["`+strconv.FormatInt(mark, 10)+`"]`, &got)); err != nil {
		var state string
		c, cancel := context.WithTimeout(tab, 5*time.Second)
		defer cancel()
		chromedp.Run(c, js(`JSON.stringify(window.thingyard) + " " + document.getElementById("loader").textContent`, &state))
		t.Fatalf("open the share link at mark %d: %v; page state %s", mark, err, state)
	}
	if got != want || want == "" {
		t.Errorf("state hash at tick %d: shared tab %q, original %q", mark, got, want)
	}

	var shot []byte
	step("screenshot", chromedp.FullScreenshot(&shot, 90))
	saveShot(t, "panels.jpg", shot)
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	var u string
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Run(c, chromedp.Location(&u)); err != nil {
		t.Fatal(err)
	}
	return u
}

// A damaged share link is explained on the page and the default scene loads.
func TestBadShareLink(t *testing.T) {
	ctx, _ := browser(t)
	var note, title string
	err := chromedp.Run(ctx, chromedp.Navigate(baseURL+"#s=1AAAAgarbage"),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && document.querySelector(".ty-lesson h2") !== null`),
		chromedp.Text("#notice-text", &note, chromedp.ByID),
		chromedp.Text(".ty-lesson h2", &title))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "share link could not be opened") || !strings.Contains(note, "damaged") {
		t.Errorf("notice %q", note)
	}
	if title != "A factory cell beside a smart home" {
		t.Errorf("scene %q, want the default", title)
	}
}

// The list of devices keeps its height however many devices the world
// holds and scrolls within it: the rows out of its window are padding of
// the list inside its box, which once grew the box instead (100 sensors
// made it 4,314 pixels tall, pushing Share 4,000 pixels down the panel
// and leaving a blank stretch where rows should be). Scrolled to its end
// it shows the last device.
func TestDeviceListScrollsInItsBox(t *testing.T) {
	ctx, errs := browser(t)
	step := stepper(ctx, t, errs)
	const box = `document.getElementById("things-list")`
	var before, after int
	step("load", chromedp.Navigate(baseURL+"/?scene=internet-outage"), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		js(box+`.offsetHeight`, &before))
	step("add 100 sensors", choose("add-count", "100"), choose("add-link", "lan"), chromedp.Click("#add", chromedp.ByID),
		waitFor(ctx, metric("devices", 1)+` >= 105`),
		// The list's rows and padding stand for every device by now.
		waitFor(ctx, `document.querySelector("#things-list li").getAttribute("aria-setsize") > 100`),
		js(box+`.offsetHeight`, &after))
	if after != before || after > 8*44 {
		t.Errorf("the list's box is %d pixels tall with over 100 devices, %d before them: want it to keep its %d", after, before, 8*44)
	}
	// Scrolled to its end, the window moves there: the last row is shown.
	step("scroll to the end", js(`(() => { const b = `+box+`; b.scrollTop = b.scrollHeight; return true })()`, nil),
		waitFor(ctx, `[...document.querySelectorAll("#things-list li")].some(li => li.getAttribute("aria-posinset") === li.getAttribute("aria-setsize"))`))
}
