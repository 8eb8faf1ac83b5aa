package e2e

import (
	"bytes"
	"context"
	be "encoding/binary"
	"os"
	"path/filepath"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// downloads lets the page download into a folder and hands over each
// finished download's path, in order.
func downloads(t *testing.T, ctx context.Context) <-chan string {
	t.Helper()
	dir := t.TempDir()
	done := make(chan string, 4)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			done <- filepath.Join(dir, e.GUID)
		}
	})
	if err := chromedp.Run(ctx, cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).
		WithDownloadPath(dir).WithEventsEnabled(true)); err != nil {
		t.Fatal(err)
	}
	return done
}

// next waits for the next download to finish and reads it.
func next(t *testing.T, ctx context.Context, done <-chan string) []byte {
	t.Helper()
	select {
	case p := <-done:
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case <-ctx.Done():
		t.Fatal("no download finished")
	}
	return nil
}

// Save picture downloads a PNG of the world as large as the canvas's
// drawing buffer (its CSS size times the device pixel ratio), and Record
// shows the clip's size while it records and downloads a WebM clip when
// stopped, which has frames over a duration.
func TestPictureAndClip(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	done := downloads(t, ctx)
	c.run("load", viewport(1000, 700, 2, false), chromedp.Navigate(baseURL),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		waitFor(ctx, `document.getElementById("save-picture") !== null`), waitFor(ctx, sharp))
	var size struct{ W, H int }
	c.run("picture", js(`(() => { const c = document.querySelector("body > canvas"); return {W: c.width, H: c.height} })()`, &size),
		chromedp.Click("#save-picture", chromedp.ByQuery),
		waitFor(ctx, `document.getElementById("record-size").textContent.startsWith("Saved thingyard-overview.png")`))
	pic := next(t, ctx, done)
	if !bytes.HasPrefix(pic, []byte("\x89PNG\r\n\x1a\n")) || len(pic) < 33 || string(pic[12:16]) != "IHDR" {
		t.Fatalf("the picture is not a PNG: % x", pic[:min(len(pic), 24)])
	}
	w, h := be.BigEndian.Uint32(pic[16:20]), be.BigEndian.Uint32(pic[20:24])
	if int(w) != size.W || int(h) != size.H {
		t.Errorf("the picture is %d×%d, the canvas %d×%d pixels", w, h, size.W, size.H)
	}
	img := decodePNG(t, pic)
	if n := brightNear(img, img.Bounds().Max.Div(2), img.Bounds().Dy()/2); n < 500 {
		t.Errorf("the picture has %d bright pixels: the world is not in it", n)
	}
	var note string
	c.run("record", chromedp.Click("#record", chromedp.ByQuery),
		waitFor(ctx, `/Recording 0:\d\d · \d+ KB/.test(document.getElementById("record-size").textContent)`),
		chromedp.Text("#record-size", &note, chromedp.ByQuery))
	t.Logf("while recording: %q", note)
	c.run("stop", chromedp.Click("#record-stop", chromedp.ByQuery))
	clip := next(t, ctx, done)
	if !bytes.HasPrefix(clip, []byte{0x1a, 0x45, 0xdf, 0xa3}) {
		t.Fatalf("the clip has no EBML header: % x", clip[:min(len(clip), 8)])
	}
	info, err := readWebM(clip)
	if err != nil {
		t.Fatalf("the clip: %v", err)
	}
	t.Logf("clip: %d bytes, doctype %s, %d frames over %d ms", len(clip), info.docType, info.blocks, info.lastMs)
	if info.docType != "webm" || info.blocks < 2 || info.lastMs <= 0 {
		t.Errorf("the clip: doctype %q, %d frames over %d ms: want a WebM clip of several frames", info.docType, info.blocks, info.lastMs)
	}
	c.run("saved", waitFor(ctx, `document.getElementById("record-size").textContent.startsWith("Saved thingyard-overview.webm")`))
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// webmInfo is what readWebM finds in a clip: its DocType, how many frames
// (SimpleBlocks) it holds and the time of the last, in ms.
type webmInfo struct {
	docType string
	blocks  int
	lastMs  int64
}

// readWebM walks a WebM file's EBML elements: the header's DocType, and
// each Cluster's Timecode plus its blocks' relative times, which is
// how long the clip runs (MediaRecorder writes no Duration). Sizes may be
// unknown (all ones), as a live recorder writes them for Segment and
// Cluster: those are entered, not skipped.
func readWebM(b []byte) (webmInfo, error) {
	var info webmInfo
	var cluster int64
	// EBML header, Segment, Cluster, BlockGroup: entered.
	containers := map[uint32]bool{0x1a45dfa3: true, 0x18538067: true, 0x1f43b675: true, 0xa0: true}
	for p := 0; p < len(b); {
		id, n := vint(b[p:], true)
		if n == 0 {
			return info, errBadEBML(p)
		}
		size, m := vint(b[p+n:], false)
		if m == 0 {
			return info, errBadEBML(p + n)
		}
		body := p + n + m
		unknown := size == (1<<(7*m))-1
		if containers[uint32(id)] {
			p = body // enter
			continue
		}
		if unknown || body+int(size) > len(b) {
			return info, errBadEBML(p)
		}
		data := b[body : body+int(size)]
		switch id {
		case 0x4282: // DocType
			info.docType = string(data)
		case 0xe7: // Cluster Timecode
			cluster = int64(uintBE(data))
		case 0xa3, 0xa1: // SimpleBlock or Block: track number, then a signed 16-bit time
			_, k := vint(data, false)
			if k == 0 || len(data) < k+2 {
				return info, errBadEBML(body)
			}
			rel := int64(int16(be.BigEndian.Uint16(data[k:])))
			info.blocks++
			info.lastMs = max(info.lastMs, cluster+rel)
		}
		p = body + int(size)
	}
	return info, nil
}

type errBadEBML int

func (e errBadEBML) Error() string { return "not EBML at byte " + itoa(int(e)) }

// vint reads an EBML variable-length integer: with its marker bit for an
// element ID, without it for a size. It returns the length 0 when b does
// not hold one.
func vint(b []byte, keepMarker bool) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 || len(b) < n {
		return 0, 0
	}
	v := uint64(b[0])
	if !keepMarker {
		v &= uint64(0xff >> n)
	}
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

func uintBE(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
