package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// This file drives the canvas with real input events (the mouse, the wheel
// and keys go through Chromium's input pipeline to Ebitengine) and checks
// both the world's state and the pixels.

// overviewIDs are the devices of the default scene.
var overviewIDs = []string{"plc", "oven-temp", "oil-temp", "valve", "living-temp", "door", "lamp", "hub", "cloud", "phone"}

type point struct{ X, Y float64 }

func (p point) String() string { return fmt.Sprintf("(%.1f, %.1f)", p.X, p.Y) }

// canvas is a page under test, with helpers that fail the test.
type canvas struct {
	t    *testing.T
	ctx  context.Context
	errs *[]string
}

// on is the page with failures reported to t, for a subtest.
func (c *canvas) on(t *testing.T) *canvas { return &canvas{t: t, ctx: c.ctx, errs: c.errs} }

func (c *canvas) run(what string, actions ...chromedp.Action) {
	c.t.Helper()
	if err := chromedp.Run(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v (console: %v)", what, err, *c.errs)
	}
}

func (c *canvas) frames() int {
	c.t.Helper()
	var n int
	c.run("read frames", js(`window.thingyard.frames`, &n))
	return n
}

// settle waits until the page has drawn n more frames, so Ebitengine has
// run its updates on what was sent before.
func (c *canvas) settle(n int) {
	c.t.Helper()
	f := c.frames()
	c.run("wait for frames", waitFor(c.ctx, `window.thingyard.frames >= `+strconv.Itoa(f+n)))
}

// where is a device's centre on the page, in CSS pixels.
func (c *canvas) where(id string) point {
	c.t.Helper()
	var p *point
	c.run("where "+id, js(`window.thingyard.where(`+strconv.Quote(id)+`)`, &p))
	if p == nil {
		c.t.Fatalf("where(%q) is null", id)
	}
	return *p
}

func (c *canvas) wheres(ids []string) map[string]point {
	c.t.Helper()
	m := map[string]point{}
	for _, id := range ids {
		m[id] = c.where(id)
	}
	return m
}

// worldPos is a device's position in the world's state.
func (c *canvas) worldPos(id string) point {
	c.t.Helper()
	var p *point
	c.run("device "+id, js(`(() => { const d = window.thingyard.device(`+strconv.Quote(id)+`); return d && {X: d.x, Y: d.y} })()`, &p))
	if p == nil {
		c.t.Fatalf("device(%q) is null", id)
	}
	return *p
}

// mouse sends one mouse event at page coordinates; buttons says which are
// held during a move.
func (c *canvas) mouse(typ input.MouseType, p point, buttons int64) {
	c.t.Helper()
	ev := input.DispatchMouseEvent(typ, p.X, p.Y).WithButtons(buttons)
	if typ == input.MousePressed || typ == input.MouseReleased {
		ev = ev.WithButton(input.Left).WithClickCount(1)
	} else if buttons&1 != 0 {
		ev = ev.WithButton(input.Left)
	}
	c.run(fmt.Sprintf("mouse %s at %v", typ, p), ev)
}

// click presses and releases the left button at p, with frames in between
// so the game sees the button down.
func (c *canvas) click(p point) {
	c.t.Helper()
	c.mouse(input.MouseMoved, p, 0)
	c.settle(2)
	c.mouse(input.MousePressed, p, 1)
	c.settle(2)
	c.mouse(input.MouseReleased, p, 0)
	c.settle(2)
}

// selectDevice clicks at p, on device id's icon, and checks that the
// click selected the device, not a message passing over or waiting under
// it; it fails at once when a message was taken instead.
func (c *canvas) selectDevice(id string, p point) {
	c.t.Helper()
	var before uint64
	c.run("selected message", js(`window.thingyard.selectedMessage`, &before))
	c.click(p)
	var got struct {
		Selected string
		Message  uint64
	}
	c.run("select "+id, waitFor(c.ctx, `window.thingyard.selected === `+strconv.Quote(id)+
		` || ![0, `+strconv.FormatUint(before, 10)+`].includes(window.thingyard.selectedMessage)`),
		js(`({Selected: window.thingyard.selected, Message: window.thingyard.selectedMessage})`, &got),
		waitFor(c.ctx, revealed))
	if got.Selected != id || got.Message != 0 {
		c.t.Fatalf("a click at %v on %s's icon selected device %q and message %d, want the device", p, id, got.Selected, got.Message)
	}
}

// revealed waits until the panel has brought the inspector of the last
// selection into view and stopped scrolling, so that what the test reads
// or clicks in the panel stays where it is.
const revealed = `document.getElementById("panel").dataset.revealed === String(window.thingyard.reveal)`

// drag presses at from, moves to to in steps, and releases there.
func (c *canvas) drag(from, to point) {
	c.t.Helper()
	c.mouse(input.MouseMoved, from, 0)
	c.settle(2)
	c.mouse(input.MousePressed, from, 1)
	c.settle(2)
	const steps = 6
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		c.mouse(input.MouseMoved, point{from.X + (to.X-from.X)*f, from.Y + (to.Y-from.Y)*f}, 1)
		c.settle(1)
	}
	c.settle(1)
	c.mouse(input.MouseReleased, to, 0)
	c.settle(2)
}

// wheel turns the mouse wheel at p by dy (negative: away from the person).
func (c *canvas) wheel(p point, dy float64) {
	c.t.Helper()
	c.mouse(input.MouseMoved, p, 0)
	c.settle(1)
	c.run("wheel", input.DispatchMouseEvent(input.MouseWheel, p.X, p.Y).WithDeltaX(0).WithDeltaY(dy))
	c.settle(2)
}

// key presses and releases a key on the focused canvas, with frames in
// between: code is the KeyboardEvent code Ebitengine reads.
func (c *canvas) key(key, code string) {
	c.t.Helper()
	down := input.DispatchKeyEvent(input.KeyDown).WithKey(key).WithCode(code).WithText(key)
	c.run("key down "+code, down)
	c.settle(2)
	c.run("key up "+code, input.DispatchKeyEvent(input.KeyUp).WithKey(key).WithCode(code))
	c.settle(1)
}

// shot is the page as pixels.
func (c *canvas) shot() image.Image {
	c.t.Helper()
	var b []byte
	c.run("screenshot", chromedp.CaptureScreenshot(&b))
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	return img
}

// canvasBox is the canvas's rectangle on the page, in CSS pixels.
func (c *canvas) canvasBox() image.Rectangle {
	c.t.Helper()
	var b struct{ L, T, R, B float64 }
	c.run("canvas box", js(`(() => { const r = document.querySelector("body > canvas").getBoundingClientRect();
		return {L: r.left, T: r.top, R: r.right, B: r.bottom} })()`, &b))
	return image.Rect(int(b.L), int(b.T), int(b.R), int(b.B))
}

// empty is a point of the canvas at least 60 CSS pixels from every
// device and margin from the canvas's edges, as near its centre as can
// be, where the pointer can rest or a drag start without touching
// anything.
func (c *canvas) empty(ids []string, margin int) point {
	c.t.Helper()
	box := c.canvasBox().Inset(margin)
	ws := c.wheres(ids)
	mid := point{float64(box.Min.X+box.Max.X) / 2, float64(box.Min.Y+box.Max.Y) / 2}
	best, bestD := point{}, math.Inf(1)
	for y := box.Min.Y; y < box.Max.Y; y += 10 {
		for x := box.Min.X; x < box.Max.X; x += 10 {
			p := point{float64(x), float64(y)}
			ok := true
			for _, w := range ws {
				if math.Hypot(w.X-p.X, w.Y-p.Y) < 60 {
					ok = false
					break
				}
			}
			if d := math.Hypot(p.X-mid.X, p.Y-mid.Y); ok && d < bestD {
				best, bestD = p, d
			}
		}
	}
	if math.IsInf(bestD, 1) {
		c.t.Fatal("no empty place on the canvas")
	}
	return best
}

// pauseInFlight pauses the world while a message is on its way, away from
// every device. On a loaded machine many ticks can pass between seeing a
// message and the pause taking effect, so it tries again until the paused
// world still has one.
func (c *canvas) pauseInFlight() {
	c.t.Helper()
	const attempts = 20
	for range attempts {
		c.run("a message in flight", waitFor(c.ctx, `document.getElementById("play").textContent === "Pause"`), waitFor(c.ctx, inFlight))
		c.run("pause", js(`document.getElementById("play").click()`, nil),
			waitFor(c.ctx, `document.getElementById("play").textContent === "Play"`))
		var ok bool
		c.run("still in flight", js(inFlight, &ok))
		if ok {
			return
		}
		c.run("play", js(`document.getElementById("play").click()`, nil))
	}
	c.t.Fatalf("no message was in flight when the world paused, %d times", attempts)
}

// onIcon is where a message is drawn within 6 CSS pixels of a device's
// centre: well inside every icon, and near enough that a rule picking
// messages first would take the click.
type onIcon struct {
	Device string
	Msg    uint64
	X, Y   float64 // the device's centre
	D      float64 // how far the message is from it
}

// stepUntilOnIcon steps the paused world a millisecond at a time until a
// message is drawn on one of the devices' icons, next to its centre.
func (c *canvas) stepUntilOnIcon(ids []string) onIcon {
	c.t.Helper()
	find := `(() => {
		const ms = window.thingyard.messages();
		for (const id of ["` + strings.Join(ids, `", "`) + `"]) {
			const p = window.thingyard.where(id);
			for (const m of ms) {
				const d = Math.hypot(p.x - m.x, p.y - m.y);
				if (d < 6) return {Device: id, Msg: m.id, X: p.x, Y: p.y, D: d};
			}
		}
		return null;
	})()`
	const steps = 400 // milliseconds of simulated time; messages come and go every few
	for i := 0; i < steps; i++ {
		var on *onIcon
		c.run("a message on an icon", js(find, &on))
		if on != nil {
			c.t.Logf("after %d steps message %d is drawn %.1f px from %s's centre", i, on.Msg, on.D, on.Device)
			return *on
		}
		c.run("step", js(`document.getElementById("step").click()`, nil))
		c.settle(2)
	}
	c.t.Fatalf("in %d ms of simulated time no message was drawn within 6 px of a device's centre", steps)
	return onIcon{}
}

// rest moves the pointer to an empty place and waits, so no hover ring or
// tooltip is in the next screenshot.
func (c *canvas) rest(ids []string) {
	c.t.Helper()
	c.mouse(input.MouseMoved, c.empty(ids, 40), 0)
	c.settle(3)
}

// TestCanvasInput drives the default scene with the mouse, the wheel and
// the keyboard: a click selects a device in the inspector, a drag moves a
// device by a shared move action, dragging empty space pans, the wheel and
// +/− zoom, and F fits the world again, each checked in the world's state
// and in the pixels.
func TestCanvasInput(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("load", chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		waitFor(ctx, `document.getElementById("play") !== null`))
	// A still world: what moves between screenshots is the camera only.
	// It is paused while a message is on its way, away from every device.
	c.pauseInFlight()

	t.Run("click selects a message", func(t *testing.T) {
		c := c.on(t)
		var m struct {
			ID   uint64
			X, Y float64
		}
		c.run("messages", js(farthest, &m))
		c.click(point{m.X, m.Y})
		var hex string
		c.run("inspector", waitFor(ctx, `window.thingyard.selectedMessage === `+strconv.FormatUint(m.ID, 10)),
			waitFor(ctx, `document.querySelector("#inspector .ty-hex") !== null && document.querySelector("#inspector .ty-hex").textContent.length > 0`),
			chromedp.Text("#inspector .ty-hex", &hex))
		if len(hex) < 8 {
			t.Errorf("the inspector shows %q for message %d, want its bytes", hex, m.ID)
		}
	})

	t.Run("click selects", func(t *testing.T) {
		c := c.on(t)
		c.selectDevice("oven-temp", c.where("oven-temp"))
		var label string
		c.run("inspector", waitFor(ctx, `document.querySelector("#inspector h3") !== null`),
			chromedp.Text("#inspector h3", &label))
		if label != "Oven temp" {
			t.Errorf("inspector shows %q, want Oven temp", label)
		}
		// A click on empty space clears the selection.
		c.click(c.empty(overviewIDs, 40))
		c.run("deselect", waitFor(ctx, `window.thingyard.selected === ""`),
			waitFor(ctx, `document.querySelector("#inspector h3") === null`))
		c.selectDevice("oven-temp", c.where("oven-temp"))
	})

	t.Run("click on a busy icon selects the device", func(t *testing.T) {
		// A message drawn on a device's icon, next to its centre (a poll
		// arriving, a reply leaving) must not take a click on the device.
		c := c.on(t)
		on := c.stepUntilOnIcon(overviewIDs)
		c.selectDevice(on.Device, point{on.X, on.Y})
	})

	t.Run("drag moves a device", func(t *testing.T) {
		c := c.on(t)
		before, from := c.worldPos("valve"), c.where("valve")
		// The camera's scale from two devices far apart.
		a, b := c.where("oven-temp"), c.where("phone")
		wa, wb := c.worldPos("oven-temp"), c.worldPos("phone")
		scale := (b.X - a.X) / (wb.X - wa.X) // CSS pixels per world unit
		to := point{from.X - 40, from.Y - 50}
		var n0 int
		c.run("log length", js(`window.thingyard.log().length`, &n0))
		c.drag(from, to)
		c.run("moved", waitFor(ctx, `window.thingyard.device("valve").y !== `+strconv.Itoa(int(before.Y))))
		got := c.worldPos("valve")
		want := point{before.X - 40/scale, before.Y - 50/scale}
		if math.Abs(got.X-want.X) > 2 || math.Abs(got.Y-want.Y) > 2 {
			t.Errorf("valve at %v after the drag, want about %v (from %v)", got, want, before)
		}
		if p := c.where("valve"); math.Hypot(p.X-to.X, p.Y-to.Y) > 2 {
			t.Errorf("valve drawn at %v, want it under the pointer at %v", p, to)
		}
		var log []struct {
			Kind, Device string
			X, Y         float64
		}
		c.run("log", js(`window.thingyard.log()`, &log))
		if len(log) != n0+1 {
			t.Fatalf("the log grew from %d to %d actions, want one move", n0, len(log))
		}
		if m := log[len(log)-1]; m.Kind != "move" || m.Device != "valve" || m.X != got.X || m.Y != got.Y {
			t.Errorf("last action %+v, want a move of valve to %v", m, got)
		}
		if s := c.where("oven-temp"); s != a {
			t.Errorf("dragging a device moved the camera: oven-temp from %v to %v", a, s)
		}
	})

	// The camera: home is the fitted view the tests come back to.
	c.rest(overviewIDs)
	home, homeAt := c.shot(), c.wheres(overviewIDs)
	box := c.canvasBox()
	saveShot(t, "canvas-home.png", encodePNG(t, home))

	t.Run("drag empty space pans", func(t *testing.T) {
		c := c.on(t)
		from := c.empty(overviewIDs, 100)
		d := point{-70, 45}
		c.drag(from, point{from.X + d.X, from.Y + d.Y})
		c.rest(overviewIDs)
		after, at := c.shot(), c.wheres(overviewIDs)
		for _, id := range overviewIDs {
			want := point{homeAt[id].X + d.X, homeAt[id].Y + d.Y}
			if math.Hypot(at[id].X-want.X, at[id].Y-want.Y) > 1 {
				t.Errorf("%s at %v after the pan, want %v", id, at[id], want)
			}
		}
		// The picture moved with the world: shifted back by d it matches
		// home, away from the legend band, the hint and the pointer.
		inner := image.Rect(box.Min.X+10, box.Min.Y+30, box.Max.X-10, box.Max.Y-36)
		same, moved := shifted(home, after, inner, int(d.X), int(d.Y))
		if same < 0.97 {
			t.Errorf("after the pan only %.1f%% of the picture is the old one shifted by %v", same*100, d)
		}
		if moved < 0.02 {
			t.Errorf("the pan changed only %.1f%% of the pixels", moved*100)
		}
		saveShot(t, "canvas-pan.png", encodePNG(t, after))

		// A drag that leaves the canvas and ends over the panel pans all
		// the way and then stops: moving back with no button pans no more.
		from = c.empty(overviewIDs, 100)
		out := point{float64(box.Max.X) + 60, from.Y + 20}
		c.drag(from, out)
		released := c.wheres(overviewIDs)
		if got := released["plc"]; math.Hypot(got.X-(at["plc"].X+out.X-from.X), got.Y-(at["plc"].Y+out.Y-from.Y)) > 1 {
			t.Errorf("plc at %v after a drag out to the panel, want %v", got, point{at["plc"].X + out.X - from.X, at["plc"].Y + out.Y - from.Y})
		}
		c.rest(overviewIDs)
		if got := c.where("plc"); math.Hypot(got.X-released["plc"].X, got.Y-released["plc"].Y) > 1 {
			t.Errorf("the pointer came back with no button down and the world still panned: plc from %v to %v", released["plc"], got)
		}
	})

	t.Run("wheel zooms at the pointer", func(t *testing.T) {
		c := c.on(t)
		before, at0 := c.shot(), c.wheres(overviewIDs)
		p := c.empty(overviewIDs, 100)
		c.wheel(p, -100)
		c.rest(overviewIDs)
		after, at1 := c.shot(), c.wheres(overviewIDs)
		f := zoomAbout(t, at0, at1, p)
		if f < 1.1 {
			t.Errorf("a wheel notch away zoomed by %.3f, want in", f)
		}
		iconsAt(t, before, after, at0, at1, box)
		saveShot(t, "canvas-wheel.png", encodePNG(t, after))
		c.wheel(p, 100)
		if g := zoomAbout(t, at1, c.wheres(overviewIDs), p); math.Abs(g*f-1) > 0.01 {
			t.Errorf("a notch back zoomed by %.3f after %.3f, want the inverse", g, f)
		}
	})

	t.Run("plus and minus zoom at the centre", func(t *testing.T) {
		c := c.on(t)
		c.run("focus", js(`document.querySelector("body > canvas").focus(), true`, nil))
		before, at0 := c.shot(), c.wheres(overviewIDs)
		mid := point{float64(box.Min.X+box.Max.X) / 2, float64(box.Min.Y+box.Max.Y) / 2}
		c.key("=", "Equal")
		c.rest(overviewIDs)
		after, at1 := c.shot(), c.wheres(overviewIDs)
		if f := zoomAbout(t, at0, at1, mid); math.Abs(f-1.25) > 0.01 {
			t.Errorf("+ zoomed by %.3f, want 1.25", f)
		}
		iconsAt(t, before, after, at0, at1, box)
		c.key("-", "Minus")
		c.key("-", "Minus")
		if f := zoomAbout(t, at1, c.wheres(overviewIDs), mid); math.Abs(f-0.64) > 0.01 {
			t.Errorf("− twice zoomed by %.3f, want 0.64", f)
		}
	})

	t.Run("F fits the world", func(t *testing.T) {
		c := c.on(t)
		c.key("f", "KeyF")
		c.rest(overviewIDs)
		at := c.wheres(overviewIDs)
		for _, id := range overviewIDs {
			if math.Hypot(at[id].X-homeAt[id].X, at[id].Y-homeAt[id].Y) > 1 {
				t.Errorf("%s at %v after F, want %v as fitted at first", id, at[id], homeAt[id])
			}
		}
		after := c.shot()
		same, _ := shifted(home, after, box, 0, 0)
		if same < 0.99 {
			t.Errorf("after F only %.1f%% of the picture is the fitted one", same*100)
		}
	})
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// farthest is the message drawn farthest from every device, as
// {ID, X, Y}, or null when none is clear of every icon: an icon's radius
// is at most 30 CSS pixels (render.IconRadius), and a click on an icon
// selects its device.
var farthest = `(() => {
	const ids = ["` + strings.Join(overviewIDs, `", "`) + `"];
	const at = ids.map(id => window.thingyard.where(id));
	let best = null, bestD = 0;
	for (const m of window.thingyard.messages()) {
		const d = Math.min(...at.map(p => Math.hypot(p.x - m.x, p.y - m.y)));
		if (d > bestD) { best = {ID: m.id, X: m.x, Y: m.y}; bestD = d; }
	}
	return bestD > 36 ? best : null;
})()`

// inFlight is true while a message is drawn well away from every device.
var inFlight = farthest + ` !== null`
