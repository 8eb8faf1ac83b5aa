package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// A browser that joined a live room from the room's world state holds
// only the actions after it, yet its share link reproduces the room's
// world: the link carries the state and those actions, and a page that
// opens it (no room) has, at every hash mark, the hash of the room's world
// replayed here from the scene with every action the room logged. Before,
// the link carried the tail alone, replayed from the scene's tick 0:
// another world. A link whose state was tampered with opens nothing wrong:
// the page says the link is damaged and shows the default scene.
func TestShareLinkFromAWorldState(t *testing.T) {
	base, _ := ownServer(t, "-fold-every", "20", "-world-actions", "50",
		"-world-behind", "1", "-api-rate", "100000", "-create-rate", "100000")
	id := createRoom(t, base, "overview")
	var logged []sim.Action
	act := func(body string) {
		t.Helper()
		status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", body)
		if status != http.StatusAccepted {
			t.Fatalf("action %d: %d %v", len(logged), status, p)
		}
		b, _ := json.Marshal(p["action"])
		var a sim.Action
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		logged = append(logged, a)
	}
	for round := 1; round <= 2; round++ {
		for i := range 60 {
			if i%10 == 0 { // a lasting change the state holds and the tail does not
				act(`{"kind":"add","device_kind":"sensor","link":"zigbee","count":1}`)
				continue
			}
			act(fmt.Sprintf(`{"kind":"set","device":"door","key":"label","text":"Front door %d.%02d"}`, round, i))
		}
		testkit.EventuallySays(t, time.Minute, func() (bool, string) {
			n := serverMetric(t, base, "thingyard_world_states_total")
			return n >= float64(round), fmt.Sprintf("%v world states made after round %d", n, round)
		})
	}
	act(`{"kind":"cut","link":"internet"}`)
	act(`{"kind":"power","device":"lamp","on":false}`)

	b, errsB := browser(t)
	var link string
	if err := chromedp.Run(b, chromedp.Navigate(base+"?room="+id), waitFor(b, `window.thingyard && window.thingyard.ready`),
		waitFor(b, `document.querySelector("#room .ty-live") !== null`),
		waitFor(b, `window.thingyard.log().some(a => a.kind === "power")`),
		chromedp.Click("#share", chromedp.ByID), waitFor(b, `document.querySelector("#share-link") !== null`),
		chromedp.Value("#share-link", &link, chromedp.ByID)); err != nil {
		t.Fatalf("the late browser joins and shares: %v (%v)", err, *errsB)
	}
	var logB int
	if err := chromedp.Run(b, chromedp.Evaluate(`window.thingyard.log().length`, &logB)); err != nil {
		t.Fatal(err)
	}
	if logB >= len(logged)/2 {
		t.Fatalf("the late browser holds %d of %d actions: it did not start from the room's world state, so this test proves nothing", logB, len(logged))
	}
	if !strings.Contains(link, "#s=") {
		t.Fatalf("the share link %q carries no scenario", link)
	}
	t.Logf("the late browser holds %d of %d actions; its link has %d characters", logB, len(logged), len(link))

	// The marks up to one after the room's last action are checked.
	last := (logged[len(logged)-1].At/1000 + 1) * 1000
	c, errsC := browser(t)
	var tick int64
	var marks map[string]string
	if err := chromedp.Run(c, chromedp.Navigate(link), waitFor(c, `window.thingyard && window.thingyard.ready`),
		waitFor(c, fmt.Sprintf(`window.thingyard.tick >= %d`, last)),
		chromedp.Evaluate(`window.thingyard.tick`, &tick), chromedp.Evaluate(`window.thingyard.marks`, &marks)); err != nil {
		t.Fatalf("open the link: %v (%v)", err, *errsC)
	}
	sc, err := scenes.Builtin("overview")
	if err != nil {
		t.Fatal(err)
	}
	room, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	room.AddAll(logged)
	checked := 0
	for at := int64(1000); at <= tick; at += 1000 {
		got, ok := marks[strconv.FormatInt(at, 10)]
		if !ok {
			continue
		}
		room.AdvanceTo(at)
		if want := sim.HashString(room.World().Hash()); got != want {
			t.Errorf("the link's world at tick %d has hash %s, the room's %s", at, got, want)
		}
		checked++
	}
	if _, ok := marks[strconv.FormatInt(last, 10)]; !ok {
		t.Fatalf("the link's page at tick %d has no hash mark at %d, after the room's last action: %v", tick, last, marks)
	}
	t.Logf("%d hash marks of the link's world checked, up to tick %d", checked, tick)
	var png []byte
	if err := chromedp.Run(c, chromedp.FullScreenshot(&png, 90)); err == nil {
		t.Logf("the link opened: %s", saveShot(t, "link-from-world-state", png))
	}

	// The link's state damaged: a clear error, and the default scene.
	enc := strings.Index(link, "#s=") + 3
	i := enc + (len(link)-enc)/2
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
	if len(*errsB)+len(*errsC) > 0 {
		t.Errorf("console errors: %v %v", *errsB, *errsC)
	}
}
