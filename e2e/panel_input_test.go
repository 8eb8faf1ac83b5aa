package e2e

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// This file drives the panel as a person does, with the mouse and the
// keyboard through Chromium's input pipeline: no element is clicked or
// changed from JavaScript, which is what let a closing editor go unseen.

// selectAll presses Ctrl+A in the focused element, as a person selects
// everything in a text area before typing over it.
func (c *canvas) selectAll() {
	c.t.Helper()
	c.run("ctrl+a", input.DispatchKeyEvent(input.KeyDown).WithKey("a").WithCode("KeyA").
		WithWindowsVirtualKeyCode(65).WithModifiers(input.ModifierCtrl).WithCommands([]string{"selectAll"}),
		input.DispatchKeyEvent(input.KeyUp).WithKey("a").WithCode("KeyA").WithWindowsVirtualKeyCode(65).WithModifiers(input.ModifierCtrl))
}

// typeIn types text with key events into the focused element.
func (c *canvas) typeIn(text string) {
	c.t.Helper()
	c.run("type", chromedp.KeyEvent(text))
}

// editorClosings counts how often the scene editor was closed since the
// page loaded; a MutationObserver records it.
const watchEditor = `(() => {
	window.editorClosings = 0;
	new MutationObserver(() => { if (!document.getElementById("editor").open) window.editorClosings++; })
		.observe(document.getElementById("editor"), {attributes: true, attributeFilter: ["open"]});
	return true })()`

// The scene editor opens with a click and stays open while the panels
// refresh; a scene typed into it with an unknown kind is refused with the
// line and column; a good one typed over it is applied.
func TestSceneEditor(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("load", chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		waitFor(ctx, `document.getElementById("editor") !== null`), js(watchEditor, nil))
	c.run("open the editor", chromedp.Click("#editor summary", chromedp.ByQuery),
		waitFor(ctx, `document.getElementById("editor").open`))
	// The panels refresh four times a second; a hundred and twenty frames
	// hold several refreshes.
	c.settle(120)
	var closings int
	c.run("still open", js(`window.editorClosings`, &closings))
	if closings > 0 {
		t.Fatalf("the editor closed itself %d times after it was opened", closings)
	}

	bad := "title: A toaster\nsides:\n  - {name: iot}\ndevices:\n  - {id: t, kind: toaster, side: iot}\n"
	c.run("click in the text", chromedp.Click("#scene-yaml", chromedp.ByID))
	c.selectAll()
	c.typeIn(bad)
	var typed string
	c.run("typed", chromedp.Value("#scene-yaml", &typed, chromedp.ByID))
	if typed != bad {
		t.Fatalf("the text area holds %q after typing, want %q", typed, bad)
	}
	var errText string
	c.run("apply the bad scene", chromedp.Click("#apply-yaml", chromedp.ByID),
		waitFor(ctx, `document.querySelector("#editor .ty-errors") !== null`),
		chromedp.Text("#editor .ty-errors", &errText, chromedp.ByQuery))
	if !strings.Contains(errText, "scene.yaml:5:") || !strings.Contains(errText, `unknown kind "toaster"`) {
		t.Errorf("editor error %q, want line 5 with its column and the unknown kind", errText)
	}

	good := "title: Two sensors and a hub\nsides:\n  - {name: iot, title: My home}\ndevices:\n" +
		"  - {id: hub, kind: gateway, side: iot, x: 0, y: 0}\n  - {id: s1, kind: sensor, side: iot, x: -120, y: 120}\n" +
		"  - {id: s2, kind: sensor, side: iot, x: 120, y: 120}\nlinks:\n  - {id: z, medium: zigbee, members: [hub, s1, s2]}\n"
	// The good scene is pasted over the bad one, as a person would bring
	// a scene written elsewhere: one input event, where typing it key by
	// key would take minutes on a busy machine.
	c.run("click in the text again", chromedp.Click("#scene-yaml", chromedp.ByID))
	c.selectAll()
	c.run("paste", input.InsertText(good))
	c.run("apply the good scene", chromedp.Click("#apply-yaml", chromedp.ByID),
		waitFor(ctx, `document.querySelector(".ty-lesson h2").textContent === "Two sensors and a hub"`),
		waitFor(ctx, `document.querySelector("#editor .ty-errors") === null`),
		waitFor(ctx, `window.thingyard.device("s2") !== null && window.thingyard.device("plc") === null`))
	c.run("closings", js(`window.editorClosings`, &closings))
	if closings > 0 {
		t.Errorf("the editor closed itself %d times while in use", closings)
	}
	var shot []byte
	c.run("screenshot", chromedp.CaptureScreenshot(&shot))
	saveShot(t, "editor.png", shot)

	c.run("close the editor", chromedp.Click("#editor summary", chromedp.ByQuery),
		waitFor(ctx, `!document.getElementById("editor").open`))
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// inView is the condition that the inspector's top is inside the window.
const inView = `(() => { const r = document.getElementById("inspector").getBoundingClientRect();
	return r.top >= 0 && r.top < innerHeight - 40 })()`

// At 1280×800 the inspector starts below the fold; selecting a device or
// a message in the world brings it into view, showing what was selected.
func TestInspectorComesIntoView(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("load", viewport(1280, 800, 1, false), chromedp.Navigate(baseURL),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		waitFor(ctx, `document.getElementById("inspector") !== null`))
	var below bool
	c.run("where the inspector starts", js(`!`+inView, &below))
	if !below {
		t.Fatal("the inspector starts in view at 1280×800; this test needs it below the fold")
	}

	// selectDevice waits for the panel's smooth scroll to end: Chromium
	// does not stop a smooth scroll for a later instant one, so scrolling
	// back while it ran would leave the panel part way.
	c.selectDevice("oven-temp", c.where("oven-temp"))
	var label string
	var shown bool
	c.run("inspector in view", js(inView, &shown), waitFor(ctx, `document.querySelector("#inspector h3") !== null`),
		chromedp.Text("#inspector h3", &label, chromedp.ByQuery))
	if !shown {
		t.Fatal("selecting a device left the inspector out of view")
	}
	if label != "Oven temp" {
		t.Errorf("the inspector shows %q, want Oven temp", label)
	}
	var shot []byte
	c.run("screenshot", chromedp.CaptureScreenshot(&shot))
	saveShot(t, "inspector-device.png", shot)

	// Back to the lesson; then a message, caught while the world is paused.
	c.run("scroll back", js(`document.getElementById("panel").scrollTo({top: 0}); true`, nil),
		waitFor(ctx, `document.getElementById("panel").scrollTop === 0`), waitFor(ctx, `!`+inView))
	c.pauseInFlight()
	var m struct {
		ID   uint64
		X, Y float64
	}
	c.run("messages", js(farthest, &m))
	c.click(point{m.X, m.Y})
	c.run("message inspector in view", waitFor(ctx, `window.thingyard.selectedMessage === `+strconv.FormatUint(m.ID, 10)),
		waitFor(ctx, revealed), js(inView, &shown), waitFor(ctx, `document.querySelector("#inspector .ty-hex") !== null`))
	if !shown {
		t.Fatal("selecting a message left the inspector out of view")
	}
	c.run("screenshot", chromedp.CaptureScreenshot(&shot))
	saveShot(t, "inspector-message.png", shot)
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// In a live room another scene is refused with a notice, and the picker
// goes back to the room's scene instead of showing the refused one.
func TestRoomPickerKeepsTheRoomsScene(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("start a room", chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		chromedp.Click("#new-room", chromedp.ByID),
		waitFor(ctx, `document.querySelector("#room .ty-live") !== null`))
	var before string
	c.run("picker", chromedp.Value("#scene-picker", &before, chromedp.ByID))
	if before != "overview" {
		t.Fatalf("the picker shows %q in a room on overview", before)
	}
	// The arrow key on a closed select chooses the next scene and fires
	// change, as a person's does.
	c.run("choose another scene", chromedp.Focus("#scene-picker", chromedp.ByID),
		input.DispatchKeyEvent(input.KeyDown).WithKey("ArrowDown").WithCode("ArrowDown").WithWindowsVirtualKeyCode(40),
		input.DispatchKeyEvent(input.KeyUp).WithKey("ArrowDown").WithCode("ArrowDown").WithWindowsVirtualKeyCode(40),
		waitFor(ctx, `document.getElementById("notice").className === "on"`))
	var note string
	c.run("notice", chromedp.Text("#notice-text", &note, chromedp.ByID))
	if !strings.Contains(note, "live room") {
		t.Errorf("notice %q, want it to say a live room shares one scene", note)
	}
	c.run("the picker goes back", waitFor(ctx, `document.getElementById("scene-picker").value === "overview"`))
	var title string
	c.run("lesson", chromedp.Text(".ty-lesson h2", &title, chromedp.ByQuery))
	if title != "A factory cell beside a smart home" {
		t.Errorf("the lesson is %q, want the room's scene still", title)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// A share link keeps the moment: the sharer paused, zoomed in and
// inspected a device; the page the link opens is paused at the same tick,
// inspects the same device and shows the same part of the world.
func TestShareLinkKeepsTheMoment(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("load", viewport(1280, 800, 1, false), chromedp.Navigate(baseURL),
		waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		waitFor(ctx, `document.getElementById("play") !== null`))
	c.wheel(c.where("hub"), -250) // zoom in on the hub
	c.run("pause", chromedp.Click("#play", chromedp.ByID),
		waitFor(ctx, `document.getElementById("play").textContent === "Play"`))
	c.selectDevice("door", c.where("door"))
	var link string
	var tick int64
	c.run("share", chromedp.Click("#share", chromedp.ByID),
		waitFor(ctx, `document.getElementById("share-link") !== null`),
		chromedp.Value("#share-link", &link, chromedp.ByID), js(`window.thingyard.tick`, &tick))
	ids := []string{"door", "hub", "lamp"}
	want := c.wheres(ids)

	tab, tabErrs := browser(t)
	r := &canvas{t: t, ctx: tab, errs: tabErrs}
	r.run("open the link", viewport(1280, 800, 1, false), chromedp.Navigate(link),
		waitFor(tab, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10`),
		waitFor(tab, `document.querySelector("#inspector h3") !== null`))
	var play, label string
	var got0 int64
	r.run("state", chromedp.Text("#play", &play, chromedp.ByID), chromedp.Text("#inspector h3", &label, chromedp.ByQuery),
		js(`window.thingyard.tick`, &got0))
	if play != "Play" {
		t.Errorf("the shared page's button says %q, want Play: it should open paused", play)
	}
	if label != "Door" {
		t.Errorf("the shared page inspects %q, want Door", label)
	}
	r.settle(30)
	var got1 int64
	var sel string
	r.run("still", js(`window.thingyard.tick`, &got1), js(`window.thingyard.selected`, &sel))
	if got0 != tick || got1 != tick {
		t.Errorf("the shared page is at tick %d then %d, want it paused at the sharer's %d", got0, got1, tick)
	}
	if sel != "door" {
		t.Errorf("selected %q, want door", sel)
	}
	got := r.wheres(ids)
	for _, id := range ids {
		if d := math.Hypot(got[id].X-want[id].X, got[id].Y-want[id].Y); d > 1 {
			t.Errorf("%s drawn at %v on the shared page, at %v on the sharer's: the view differs", id, got[id], want[id])
		}
	}
	var shot []byte
	r.run("screenshot", chromedp.CaptureScreenshot(&shot))
	saveShot(t, "share-moment.png", shot)
	if len(*errs)+len(*tabErrs) > 0 {
		t.Errorf("console errors: %v %v", *errs, *tabErrs)
	}
}
