package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/scenes"
)

// evRow is a row of the event list as the page shows it.
type evRow struct {
	N                                         int
	Time, Side, From, To, Medium, Proto, Size string
	Outcome, Latency                          string
	Picked                                    bool
}

const readEventRows = `[...document.querySelectorAll("#event-rows tbody tr")].map(r => { const td = r.querySelectorAll("td"), hop = td[2].querySelectorAll("span");
	return {N: +r.dataset.n, Time: td[0].textContent, Side: td[1].textContent, From: hop[0].textContent, To: hop[1].textContent,
		Medium: td[3].textContent, Proto: td[4].textContent, Size: td[5].textContent, Outcome: td[6].textContent, Latency: td[7].textContent,
		Picked: r.classList.contains("ev-picked")} })`

// The event list as a person uses it: open it, filter it to MQTT, click a
// row and find that frame in the inspector and marked in the world,
// select a device in the world and see the list keep to it, and download
// the capture of what it shows, which tshark reads frame for frame.
func TestEventList(t *testing.T) {
	sc, err := scenes.Builtin("protocols")
	if err != nil {
		t.Fatal(err)
	}
	link, err := scenes.Link(baseURL, scenes.Scenario{Name: "protocols", Scene: sc, Seed: sc.Seed, Tick: 8000, Paused: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	dir := t.TempDir()
	done := make(chan string, 4)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			done <- e.GUID
		}
	})
	c.run("open the page",
		chromedp.Navigate(link),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click("#events-toggle", chromedp.ByID),
		waitFor(ctx, `document.querySelectorAll("#event-rows tbody tr").length > 0`),
		// The list docks below the world: the world's area ends where it
		// begins, so no device lies under it.
		waitFor(ctx, `document.querySelector("body > canvas").getBoundingClientRect().bottom <= document.getElementById("events").getBoundingClientRect().top + 1`),
	)
	var rows []evRow
	c.run("read rows", js(readEventRows, &rows))
	protos := map[string]bool{}
	for _, r := range rows {
		protos[r.Proto] = true
	}
	if len(protos) < 2 || len(rows) > 200 {
		t.Fatalf("the open list shows %d rows of protocols %v, want several protocols in at most a window", len(rows), protos)
	}

	// Filter to MQTT: every row shown is MQTT, and there are some.
	c.run("filter MQTT", choose("ev-protocol", "mqtt"),
		waitFor(ctx, `(() => { const p = [...document.querySelectorAll("#event-rows tbody tr td.ev-proto")].map(td => td.textContent);
			return p.length > 0 && p.every(s => s === "MQTT") })()`),
		js(readEventRows, &rows))
	if len(rows) < 3 {
		t.Fatalf("%d MQTT rows", len(rows))
	}

	// Click the third row: the inspector shows that frame, and its hop is
	// marked in the world.
	pick := rows[2]
	c.run("pick a row", chromedp.Click(`#event-rows tbody tr:nth-child(3) button.ev-pick`, chromedp.ByQuery),
		waitFor(ctx, `document.querySelector("#event-rows tbody tr:nth-child(3)").classList.contains("ev-picked")`))
	var insp struct {
		Title, Hop, Size, Hex string
		Marked                string
	}
	c.run("read the inspector", waitFor(ctx, `document.querySelector("#inspector .ty-hex") !== null`),
		js(`(() => { const dd = n => { const d = [...document.querySelectorAll("#inspector dt")].find(d => d.textContent === n); return d ? d.nextElementSibling.textContent : "" };
			return {Title: document.querySelector("#inspector h3").textContent, Hop: dd("hop"), Size: dd("frame / on the wire"),
				Hex: document.querySelector("#inspector .ty-hex").textContent, Marked: window.thingyard.hop} })()`, &insp))
	if !strings.HasPrefix(insp.Title, "MQTT ") || !strings.HasPrefix(insp.Hop, pick.From+" → "+pick.To+" over ") ||
		!strings.HasPrefix(insp.Size, pick.Size+" / ") || strings.TrimSpace(insp.Hex) == "" {
		t.Fatalf("picked the row %+v; the inspector shows %+v", pick, insp)
	}
	if hexBytes(insp.Hex) != mustAtoi(t, pick.Size) {
		t.Fatalf("the inspector's hex dump holds %d bytes, the row says %s:\n%s", hexBytes(insp.Hex), pick.Size, insp.Hex)
	}
	if insp.Marked != pick.From+" → "+pick.To {
		t.Fatalf("the world marks the hop %q, want %s → %s", insp.Marked, pick.From, pick.To)
	}

	// Select a device in the world: the list keeps to its frames.
	dev := ""
	var at point
	for _, r := range rows {
		for _, id := range []string{r.From, r.To} {
			if p := c.where(id); p.Y < 800*0.55 && p.X > 0 && dev == "" {
				dev, at = id, p
			}
		}
	}
	if dev == "" {
		t.Fatal("no device of an MQTT row shows above the event list")
	}
	c.selectDevice(dev, at)
	c.run("the list keeps to "+dev, waitFor(ctx, `(() => { const b = document.querySelector("#events .ty-chip b");
		return b !== null && b.textContent === `+strconv.Quote(dev)+` })()`), js(readEventRows, &rows))
	if len(rows) == 0 {
		t.Fatalf("no MQTT row of %s", dev)
	}
	for _, r := range rows {
		if r.From != dev && r.To != dev || r.Proto != "MQTT" {
			t.Fatalf("filtered to MQTT and %s, the list shows %+v", dev, r)
		}
	}
	withBytes := 0
	for _, r := range rows {
		if r.Size != "0" {
			withBytes++
		}
	}

	// Download the capture of what the list shows.
	var got struct {
		Name          string
		Frames, Bytes int
	}
	c.run("download", chromedp.Click("#ev-download", chromedp.ByID),
		waitFor(ctx, `window.thingyard.lastCapture !== undefined`),
		js(`window.thingyard.lastCapture`, &got))
	var guid string
	select {
	case guid = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the download did not complete")
	}
	if !strings.HasPrefix(got.Name, "thingyard-protocols-") || !strings.HasSuffix(got.Name, ".pcapng") || got.Frames != withBytes {
		t.Fatalf("downloaded %+v, want thingyard-protocols-<tick>.pcapng of the %d rows with bytes", got, withBytes)
	}
	file := filepath.Join(dir, guid) // Chromium names it by its id
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != got.Bytes || !bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		t.Fatalf("%s: %d bytes beginning % x, want %d bytes of pcapng", got.Name, len(b), b[:min(8, len(b))], got.Bytes)
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark is not installed: make deps installs it")
	}
	out, err := exec.Command(tshark, "-r", file, "-o", "mqtt.default_version:MQTT v3.1.1", "-T", "fields", "-e", "frame.number", "-e", "mqtt.msgtype").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != withBytes {
		t.Fatalf("tshark reads %d frames, the list showed %d:\n%s", len(lines), withBytes, out)
	}
	for _, l := range lines {
		if f := strings.Split(l, "\t"); len(f) < 2 || f[1] == "" {
			t.Fatalf("tshark finds no MQTT in frame %q", l)
		}
	}
	if len(*errs) > 0 {
		t.Fatalf("console errors: %v", *errs)
	}
}

// hexBytes counts the bytes of a hex dump (proto.HexDump): the hex pairs
// in each line's columns after the offset and before the text.
func hexBytes(dump string) int {
	n := 0
	for _, line := range strings.Split(strings.Trim(dump, "\n"), "\n") {
		if len(line) < 6 {
			continue
		}
		hex := line[6:min(len(line), 6+16*3+1)]
		n += len(strings.Fields(hex))
	}
	return n
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
