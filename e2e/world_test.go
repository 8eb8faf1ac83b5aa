package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/internal/testkit"
)

// A room driven past its log's limit (16 KiB of actions here, lowered
// from 16 MiB) keeps taking actions, its log folded into world states as
// it goes; a browser joining late loads the room's latest state instead
// of its history, and its world is the same as that of a browser that
// was there from the start: the same hash at the same mark, and no
// divergence the server's replica saw.
func TestALongRoomJoinsFromItsWorld(t *testing.T) {
	const limit = 16 << 10
	base, _ := ownServer(t, "-max-log-bytes", strconv.Itoa(limit), "-fold-every", "20", "-world-actions", "50",
		"-world-behind", "1", "-api-rate", "100000", "-create-rate", "100000")
	id := createRoom(t, base, "overview")
	a, errsA := browser(t)
	if err := chromedp.Run(a, chromedp.Navigate(base+"?room="+id), waitFor(a, `window.thingyard && window.thingyard.ready`),
		waitFor(a, `document.querySelector("#room .ty-live") !== null`)); err != nil {
		t.Fatalf("the first browser joins: %v (%v)", err, *errsA)
	}
	bytes, actions := 0, 0
	for round := 1; bytes < 3*limit; round++ {
		for i := range 100 {
			body := fmt.Sprintf(`{"kind":"set","device":"door","key":"label","text":"Front door, round %d, action %03d of a lesson that goes on and on"}`, round, i)
			if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", body); status != http.StatusAccepted {
				t.Fatalf("action %d, after %d bytes of actions: %d %v", actions, bytes, status, p)
			}
			bytes += len(body)
			actions++
		}
		testkit.EventuallySays(t, time.Minute, func() (bool, string) {
			n := serverMetric(t, base, "thingyard_world_states_total")
			return n >= float64(round), fmt.Sprintf("%v world states made after round %d", n, round)
		})
	}

	b, errsB := browser(t)
	if err := chromedp.Run(b, chromedp.Navigate(base+"?room="+id), waitFor(b, `window.thingyard && window.thingyard.ready`),
		waitFor(b, `document.querySelector("#room .ty-live") !== null`),
		waitFor(b, `document.querySelector("#room").textContent.includes("2 browsers")`)); err != nil {
		t.Fatalf("the late browser joins: %v (%v)", err, *errsB)
	}
	var logA, logB int
	if err := chromedp.Run(a, chromedp.Evaluate(`window.thingyard.log().length`, &logA)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(b, chromedp.Evaluate(`window.thingyard.log().length`, &logB)); err != nil {
		t.Fatal(err)
	}
	if logA != actions || logB >= actions/2 {
		t.Errorf("the first browser holds %d actions (want %d), the late one %d: it did not start from the room's world state", logA, actions, logB)
	}
	var tick int64
	if err := chromedp.Run(b, chromedp.Evaluate(`window.thingyard.tick`, &tick)); err != nil {
		t.Fatal(err)
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
		t.Errorf("state at tick %s: %q from the start, %q from the world state", mark, ha, hb)
	}
	var png []byte
	if err := chromedp.Run(b, chromedp.FullScreenshot(&png, 90)); err == nil {
		t.Logf("the late browser: %s", saveShot(t, "late-joiner", png))
	}
	testkit.Eventually(t, time.Minute, "the replica to check a browser's hash", func() bool {
		return serverMetric(t, base, "thingyard_replica_hash_checks_total") > 0
	})
	if d := serverMetric(t, base, "thingyard_replica_divergences_total"); d != 0 {
		t.Errorf("the server's replica saw %v divergences", d)
	}
	if len(*errsA)+len(*errsB) > 0 {
		t.Errorf("console errors: %v %v", *errsA, *errsB)
	}
	t.Logf("%d actions, %d bytes, %v world states; the late browser holds %d actions", actions, bytes, serverMetric(t, base, "thingyard_world_states_total"), logB)
}
