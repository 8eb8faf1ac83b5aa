package e2e

import (
	"strconv"
	"strings"
	"testing"

	"image"

	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"
)

// timeState is what the page's hooks say of the world shown.
type timeState struct {
	Tick int64  `json:"tick"`
	Live int64  `json:"live"`
	Hash string `json:"hash"`
	Back bool   `json:"back"`
}

const readTime = `({tick: window.thingyard.tick, live: window.thingyard.live, hash: window.thingyard.hash, back: window.thingyard.back})`

func (c *canvas) time() timeState {
	c.t.Helper()
	var s timeState
	c.run("read the time", js(readTime, &s))
	return s
}

// pressButton clicks a button of the panel with the mouse, through Chromium's
// input pipeline, and waits until the page shows cond.
func (c *canvas) pressButton(id, cond string) {
	c.t.Helper()
	c.run("press #"+id, chromedp.ScrollIntoView("#"+id, chromedp.ByID), chromedp.Click("#"+id, chromedp.ByID), waitFor(c.ctx, cond))
}

// scrubTo clicks the scrubber's track at frac of its width.
func (c *canvas) scrubTo(frac float64) {
	c.t.Helper()
	var r struct{ X, Y, W float64 }
	c.run("scrubber", chromedp.ScrollIntoView("#scrub", chromedp.ByID), js(`(() => { const b = document.getElementById("scrub").getBoundingClientRect();
		return {X: b.left, Y: b.top + b.height / 2, W: b.width} })()`, &r))
	done := c.seekDone()
	c.run("click the scrubber", chromedp.MouseClickXY(r.X+frac*r.W, r.Y), waitFor(c.ctx, `window.thingyard.seekDone > `+strconv.Itoa(done)))
	c.settle(2)
}

func (c *canvas) seekDone() int {
	c.t.Helper()
	var n int
	c.run("seeks", js(`window.thingyard.seekDone`, &n))
	return n
}

// Step back and on by frames, scrub and return to live, with the mouse and
// the keyboard: the world shown is the exact one of its tick (a frame
// stepped back to has the hash it had on the way forward), the canvas
// draws it, and Live brings back the present.
func TestTimeControls(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("open", chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.tick > 1500`))
	c.pressButton("play", `document.getElementById("play").textContent === "Play"`)

	// Two frames on; one back is the first of them, exactly.
	s0 := c.time()
	c.pressButton("next-frame", `window.thingyard.tick > `+strconv.FormatInt(s0.Tick, 10))
	f1 := c.time()
	c.pressButton("next-frame", `window.thingyard.tick > `+strconv.FormatInt(f1.Tick, 10))
	f2 := c.time()
	if f1.Back || f2.Back || f2.Live != f2.Tick {
		t.Fatalf("stepping on from live left it: %+v then %+v", f1, f2)
	}
	c.pressButton("back-frame", `window.thingyard.back === true`)
	b := c.time()
	if b.Tick != f1.Tick || b.Hash != f1.Hash {
		t.Fatalf("back one frame from tick %d shows tick %d hash %s; the frame before was sent at %d with hash %s",
			f2.Tick, b.Tick, b.Hash, f1.Tick, f1.Hash)
	}
	if b.Live != f2.Tick {
		t.Errorf("looking back moved the live world from %d to %d", f2.Tick, b.Live)
	}
	c.run("banner", waitFor(ctx, `document.getElementById("behind") !== null && document.getElementById("add").disabled`))
	c.pressButton("next-frame", `window.thingyard.back === false`)
	if s := c.time(); s.Tick != f2.Tick || s.Hash != f2.Hash {
		t.Fatalf("on one frame again: tick %d hash %s, want %d %s", s.Tick, s.Hash, f2.Tick, f2.Hash)
	}

	// Scrub a third of the way: an earlier world, drawn.
	ids := overviewIDs
	c.rest(ids)
	box := c.canvasBox()
	live := c.shot()
	c.settle(3)
	still := boxDiff(live, c.shot(), box) // what a paused world's canvas changes by itself
	c.scrubTo(0.3)
	past := c.time()
	if !past.Back || past.Tick >= f2.Tick || past.Tick < f2.Tick/10 || past.Hash == f2.Hash {
		t.Fatalf("scrubbed to 30%% of 0..%d: %+v", f2.Tick, past)
	}
	var banner string
	c.run("banner", chromedp.Text("#behind", &banner, chromedp.ByID))
	if !strings.Contains(banner, "behind live") {
		t.Errorf("the banner says %q", banner)
	}
	if d := boxDiff(live, c.shot(), box); d < 4*still+50 {
		t.Errorf("the canvas drew the world of tick %d as that of %d: %d of its pixels differ (%d by themselves)", past.Tick, f2.Tick, d, still)
	}

	// The keyboard moves the scrubber a tick at a time.
	c.run("focus the scrubber", chromedp.Focus("#scrub", chromedp.ByID))
	done := c.seekDone()
	c.run("arrow left", chromedp.KeyEvent(keys.ArrowLeft), waitFor(ctx, `window.thingyard.seekDone > `+strconv.Itoa(done)))
	c.settle(2)
	if s := c.time(); s.Tick != past.Tick-1 || !s.Back {
		t.Errorf("the left arrow on the scrubber at %d went to %+v", past.Tick, s)
	}

	c.pressButton("live", `window.thingyard.back === false`)
	if s := c.time(); s.Tick != f2.Tick || s.Hash != f2.Hash {
		t.Errorf("live again: tick %d hash %s, want %d %s", s.Tick, s.Hash, f2.Tick, f2.Hash)
	}
	c.run("no banner", waitFor(ctx, `document.getElementById("behind") === null && !document.getElementById("add").disabled`))
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// In a live room, looking back is private: the page scrubbing back shows
// an earlier world and says how far behind live it is, while the room's
// world runs on, in it and in the other page alike.
func TestTimeInARoomIsPrivate(t *testing.T) {
	actx, errsA := browser(t)
	bctx, errsB := browser(t)
	a := &canvas{t: t, ctx: actx, errs: errsA}
	b := &canvas{t: t, ctx: bctx, errs: errsB}
	var link string
	a.run("start a room", chromedp.Navigate(baseURL), waitFor(actx, `window.thingyard && window.thingyard.ready`),
		chromedp.Click("#new-room", chromedp.ByID),
		waitFor(actx, `document.getElementById("room-link") !== null && document.querySelector("#room .ty-live") !== null`),
		chromedp.Value("#room-link", &link, chromedp.ByID))
	b.run("join", chromedp.Navigate(link), waitFor(bctx, `window.thingyard && window.thingyard.ready`),
		waitFor(bctx, `document.querySelector("#room .ty-live") !== null && window.thingyard.history !== undefined`),
		waitFor(bctx, `window.thingyard.live > window.thingyard.history.oldest + 3000`))

	b.pressButton("play", `window.thingyard.back === true`) // a pause in a room is a look back at now
	b.scrubTo(0.1)
	pb := b.time()
	if !pb.Back || pb.Tick >= pb.Live {
		t.Fatalf("the scrubbing page shows %+v", pb)
	}
	var banner string
	b.run("banner", waitFor(bctx, `document.getElementById("behind") !== null`), chromedp.Text("#behind", &banner, chromedp.ByID))
	if !strings.Contains(banner, "behind live") || !strings.Contains(banner, "room runs on") {
		t.Errorf("the banner says %q", banner)
	}
	// The room runs on, in the other page and behind this one's back.
	pa := a.time()
	if pa.Back || pa.Tick != pa.Live {
		t.Errorf("the other page left live: %+v", pa)
	}
	b.run("the room's world runs on", waitFor(bctx, `window.thingyard.live > `+strconv.FormatInt(pb.Live+1000, 10)+` && window.thingyard.tick === `+strconv.FormatInt(pb.Tick, 10)))
	a.run("the other page runs on", waitFor(actx, `window.thingyard.tick > `+strconv.FormatInt(pb.Live+1000, 10)+` && window.thingyard.back === false`))
	// The other page acts; the looking page's live world takes it.
	a.run("cut the internet", chromedp.Click("#internet", chromedp.ByID))
	b.run("adding is off while looking back", waitFor(bctx, `document.getElementById("add").disabled && document.getElementById("internet").disabled`))

	b.pressButton("live", `window.thingyard.back === false`)
	b.run("the cut reached it", waitFor(bctx, `document.getElementById("internet").textContent === "Restore the internet"`))
	var live int64
	b.run("tick", js(`window.thingyard.tick`, &live))
	mark := strconv.FormatInt((live/1000+2)*1000, 10)
	var ha, hb string
	a.run("mark", waitFor(actx, `window.thingyard.marks["`+mark+`"] !== undefined`), js(`window.thingyard.marks["`+mark+`"]`, &ha))
	b.run("mark", waitFor(bctx, `window.thingyard.marks["`+mark+`"] !== undefined`), js(`window.thingyard.marks["`+mark+`"]`, &hb))
	if ha != hb || ha == "" {
		t.Errorf("after one page looked back, the two worlds part at tick %s: %q and %q", mark, ha, hb)
	}
	if len(*errsA)+len(*errsB) > 0 {
		t.Errorf("console errors: %v %v", *errsA, *errsB)
	}
}

// boxDiff counts the pixels of r that differ between a and b.
func boxDiff(a, b image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if far(a.At(x, y), b.At(x, y)) {
				n++
			}
		}
	}
	return n
}
