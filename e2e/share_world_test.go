package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/internal/testkit"
)

// A browser that joined a live room from the room's world state holds
// only the actions after it, yet its share link reproduces the room's
// world: the link carries the state and those actions, and a page that
// opens it (no room) has the same hash, at the next marks, as a browser
// that was in the room from its start. Before, the link carried the tail
// alone, replayed from the scene's tick 0. A link whose state was
// tampered with opens nothing wrong: the page says the link is damaged,
// where, and shows the default scene.
func TestShareLinkFromAWorldState(t *testing.T) {
	base, _ := ownServer(t, "-fold-every", "20", "-world-actions", "50",
		"-world-behind", "1", "-api-rate", "100000", "-create-rate", "100000")
	id := createRoom(t, base, "overview")
	a, errsA := browser(t)
	if err := chromedp.Run(a, chromedp.Navigate(base+"?room="+id), waitFor(a, `window.thingyard && window.thingyard.ready`),
		waitFor(a, `document.querySelector("#room .ty-live") !== null`)); err != nil {
		t.Fatalf("the first browser joins: %v (%v)", err, *errsA)
	}
	actions := 0
	for round := 1; round <= 2; round++ {
		for i := range 60 {
			body := fmt.Sprintf(`{"kind":"set","device":"door","key":"label","text":"Front door %d.%02d"}`, round, i)
			if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", body); status != http.StatusAccepted {
				t.Fatalf("action %d: %d %v", actions, status, p)
			}
			actions++
		}
		testkit.EventuallySays(t, time.Minute, func() (bool, string) {
			n := serverMetric(t, base, "thingyard_world_states_total")
			return n >= float64(round), fmt.Sprintf("%v world states made after round %d", n, round)
		})
	}
	for _, body := range []string{`{"kind":"cut","link":"internet"}`, `{"kind":"power","device":"lamp","on":false}`} {
		if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", body); status != http.StatusAccepted {
			t.Fatalf("%s: %d %v", body, status, p)
		}
		actions++
	}

	b, errsB := browser(t)
	var link string
	if err := chromedp.Run(b, chromedp.Navigate(base+"?room="+id), waitFor(b, `window.thingyard && window.thingyard.ready`),
		waitFor(b, `document.querySelector("#room .ty-live") !== null`),
		waitFor(b, `document.querySelector("#room").textContent.includes("2 browsers")`),
		waitFor(b, `window.thingyard.log().some(a => a.kind === "power")`),
		chromedp.Click("#share", chromedp.ByID), waitFor(b, `document.querySelector("#share-link") !== null`),
		chromedp.Value("#share-link", &link, chromedp.ByID)); err != nil {
		t.Fatalf("the late browser joins and shares: %v (%v)", err, *errsB)
	}
	var logB int
	if err := chromedp.Run(b, chromedp.Evaluate(`window.thingyard.log().length`, &logB)); err != nil {
		t.Fatal(err)
	}
	if logB >= actions/2 {
		t.Fatalf("the late browser holds %d of %d actions: it did not start from the room's world state, so this test proves nothing", logB, actions)
	}
	if !strings.Contains(link, "#s=") {
		t.Fatalf("the share link %q carries no scenario", link)
	}
	t.Logf("the late browser holds %d of %d actions; its link has %d characters", logB, actions, len(link))

	c, errsC := browser(t)
	var tick int64
	if err := chromedp.Run(c, chromedp.Navigate(link), waitFor(c, `window.thingyard && window.thingyard.ready`),
		chromedp.Evaluate(`window.thingyard.tick`, &tick)); err != nil {
		t.Fatalf("open the link: %v (%v)", err, *errsC)
	}
	mark := strconv.FormatInt((tick/1000+2)*1000, 10)
	var ha, hc string
	if err := chromedp.Run(a, waitFor(a, `window.thingyard.marks["`+mark+`"] !== undefined`), chromedp.Evaluate(`window.thingyard.marks["`+mark+`"]`, &ha)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(c, waitFor(c, `window.thingyard.marks["`+mark+`"] !== undefined`), chromedp.Evaluate(`window.thingyard.marks["`+mark+`"]`, &hc)); err != nil {
		t.Fatal(err)
	}
	if ha != hc || ha == "" {
		t.Errorf("state at tick %s: %q in the room from its start, %q from the late browser's link", mark, ha, hc)
	}
	var png []byte
	if err := chromedp.Run(c, chromedp.FullScreenshot(&png, 90)); err == nil {
		t.Logf("the link opened: %s", saveShot(t, "link-from-world-state", png))
	}

	// The link's state damaged: a clear error, and the default scene.
	i := strings.Index(link, "#s=") + 3 + len(link[strings.Index(link, "#s=")+3:])/2
	tampered := link[:i] + string("AB"[(strings.IndexByte("AB", link[i])+1)%2]) + link[i+1:]
	d, _ := browser(t)
	var note string
	if err := chromedp.Run(d, chromedp.Navigate(tampered), waitFor(d, `window.thingyard && window.thingyard.ready`),
		waitFor(d, `document.body.textContent.includes("This share link could not be opened")`),
		chromedp.Evaluate(`document.body.textContent`, &note)); err != nil {
		t.Fatalf("open a damaged link: %v", err)
	}
	if !strings.Contains(note, "damaged") {
		t.Errorf("the page about a damaged link: %.300q", note[strings.Index(note, "This share link"):])
	}
	if len(*errsA)+len(*errsB)+len(*errsC) > 0 {
		t.Errorf("console errors: %v %v %v", *errsA, *errsB, *errsC)
	}
}
