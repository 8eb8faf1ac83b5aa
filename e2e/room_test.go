package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Two people in one live room: what one does, the other sees, and both
// worlds are the same state at the same tick.
func TestTwoBrowsersShareARoom(t *testing.T) {
	a, errsA := browser(t)
	b, errsB := browser(t)
	var link string
	if err := chromedp.Run(a, chromedp.Navigate(baseURL), waitFor(a, `window.thingyard && window.thingyard.ready`),
		chromedp.Click("#new-room", chromedp.ByID),
		waitFor(a, `document.getElementById("room-link") !== null && document.querySelector("#room .ty-live") !== null`),
		chromedp.Value("#room-link", &link, chromedp.ByID)); err != nil {
		t.Fatalf("start a room: %v (%v)", err, *errsA)
	}
	if !strings.Contains(link, "?room=") {
		t.Fatalf("room link %q", link)
	}
	if err := chromedp.Run(b, chromedp.Navigate(link), waitFor(b, `window.thingyard && window.thingyard.ready`),
		waitFor(b, `document.querySelector("#room .ty-live") !== null`),
		waitFor(b, `document.querySelector("#room").textContent.includes("2 browsers")`)); err != nil {
		t.Fatalf("join the room: %v (%v)", err, *errsB)
	}
	var tick int64
	if err := chromedp.Run(a, waitFor(a, `document.querySelector("#room").textContent.includes("2 browsers")`),
		chromedp.Click("#internet", chromedp.ByID), chromedp.Evaluate(`window.thingyard.tick`, &tick)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(b, waitFor(b, `document.getElementById("internet").textContent === "Restore the internet"`)); err != nil {
		t.Fatalf("the other browser never saw the internet cut: %v", err)
	}
	mark := strconv.FormatInt((tick/1000+2)*1000, 10)
	var ha, hb string
	if err := chromedp.Run(a, waitFor(a, `window.thingyard.marks["`+mark+`"] !== undefined`), chromedp.Evaluate(`window.thingyard.marks["`+mark+`"]`, &ha)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(b, waitFor(b, `window.thingyard.marks["`+mark+`"] !== undefined`), chromedp.Evaluate(`window.thingyard.marks["`+mark+`"]`, &hb)); err != nil {
		t.Fatal(err)
	}
	if ha != hb || ha == "" {
		t.Errorf("state at tick %s: %q and %q", mark, ha, hb)
	}
	if len(*errsA)+len(*errsB) > 0 {
		t.Errorf("console errors: %v %v", *errsA, *errsB)
	}
}
