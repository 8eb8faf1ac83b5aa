package e2e

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// key presses a key as a keyboard does, on whatever has the focus: down,
// frames drawn, up. Ebitengine reads keys once an update, so the canvas
// needs frames between the two.
func (c *canvas) press(k string, mods ...input.Modifier) {
	c.t.Helper()
	var m input.Modifier
	for _, x := range mods {
		m |= x
	}
	rs := []rune(k)
	code, ok := kb.Keys[rs[0]]
	if len(rs) == 1 && ok {
		down := input.DispatchKeyEvent(input.KeyDown).WithKey(code.Key).WithCode(code.Code).
			WithWindowsVirtualKeyCode(code.Windows).WithNativeVirtualKeyCode(code.Native).WithModifiers(m)
		if code.Print {
			down = down.WithText(code.Text)
		}
		c.run("key down "+code.Code, down)
		c.settle(2)
		c.run("key up "+code.Code, input.DispatchKeyEvent(input.KeyUp).WithKey(code.Key).WithCode(code.Code).
			WithWindowsVirtualKeyCode(code.Windows).WithNativeVirtualKeyCode(code.Native).WithModifiers(m))
		c.settle(1)
		return
	}
	c.t.Fatalf("no key %q", k)
}

// focused describes what has the keyboard's focus: a canvas, an element's
// id, or its tag.
func (c *canvas) focused() string {
	c.t.Helper()
	var s string
	c.run("focus", js(`(() => { const e = document.activeElement;
		return !e ? "" : e.tagName === "CANVAS" ? "canvas" : e.id || e.tagName.toLowerCase() })()`, &s))
	return s
}

// tabTo presses Tab (Shift+Tab with back) until want has the focus, at
// most limit times, and says how many presses it took.
func (c *canvas) tabTo(want string, back bool, limit int) int {
	c.t.Helper()
	var mods []input.Modifier
	if back {
		mods = append(mods, input.ModifierShift)
	}
	var seen []string
	for n := 1; n <= limit; n++ {
		c.press(kb.Tab, mods...)
		f := c.focused()
		if f == want {
			return n
		}
		seen = append(seen, f)
	}
	c.t.Fatalf("%d presses of Tab (back: %v) did not reach %s; the focus went %s", limit, back, want, strings.Join(seen, " → "))
	return 0
}

// Everything with the keyboard alone: Tab to the scene picker and choose
// a scene, cut the internet, Tab back into the world, select a device
// with the arrow keys, inspect it with Enter, read its name in the
// inspector, and Tab out of the world again; the live region said the
// internet was cut.
func TestKeyboardOnly(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("load", chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 5`))
	if f := c.focused(); f == "canvas" {
		t.Fatalf("the page opened with the focus in the canvas")
	}

	c.tabTo("scene-picker", false, 8)
	c.press(kb.ArrowDown) // the next scene: standards
	c.run("the scene changes", waitFor(ctx, `document.getElementById("scene-picker").value === "standards"`),
		waitFor(ctx, `document.getElementById("internet") !== null`))
	c.tabTo("internet", false, 12)
	c.press(kb.Enter)
	c.run("the internet is cut", waitFor(ctx, `document.getElementById("internet").textContent === "Restore the internet"`))

	c.tabTo("canvas", true, 16)
	c.press(kb.ArrowRight)
	var first string
	c.run("selected", waitFor(ctx, `window.thingyard.selected !== ""`), js(`window.thingyard.selected`, &first))
	c.press(kb.ArrowDown)
	var id string
	c.run("selected", js(`window.thingyard.selected`, &id))
	if id == "" {
		t.Fatal("the arrow keys selected nothing")
	}
	var label string
	c.run("its name", js(`window.thingyard.device(`+quote(id)+`).label`, &label))
	c.press(kb.Enter)
	var name string
	c.run("the inspector names it", waitFor(ctx, `(() => { const h = document.querySelector("#inspector h3"); return h && h.textContent === `+quote(label)+` })()`),
		chromedp.Text("#inspector h3", &name, chromedp.ByQuery))
	var inView bool
	c.run("the inspector is in view", waitFor(ctx, revealed), js(`(() => { const p = document.getElementById("panel").getBoundingClientRect(),
		i = document.getElementById("inspector").getBoundingClientRect(); return i.top >= p.top && i.top < p.bottom })()`, &inView))
	if !inView {
		t.Error("Enter did not bring the inspector into view")
	}
	if f := c.focused(); f != "canvas" {
		t.Errorf("after Enter the focus is on %s, want it still in the world", f)
	}

	c.press(kb.Tab)
	if f := c.focused(); f == "canvas" || f == "body" || f == "" {
		t.Errorf("Tab left the focus on %q, want the control after the world", f)
	}

	var said []string
	c.run("announcements", waitFor(ctx, `(window.thingyard.announced || []).some(s => s.includes("The internet is cut."))`),
		js(`window.thingyard.announced`, &said))
	var live string
	c.run("the live region", js(`document.getElementById("announce").getAttribute("aria-live")`, &live))
	if live != "polite" {
		t.Errorf("the announcements' region is aria-live=%q, want polite", live)
	}
	t.Logf("inspected %s (%q) after %s; announced %q", id, name, first, said)
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// axeFinding is one violation axe-core reports.
type axeFinding struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []string `json:"target"`
		Summary string   `json:"failureSummary"`
	} `json:"nodes"`
}

// axe audits the page with axe-core and fails the test on every violation
// of impact serious or critical, saying where.
func (c *canvas) axe(state string) {
	c.t.Helper()
	src, err := os.ReadFile("../.bin/axe.min.js")
	if err != nil {
		c.t.Fatalf("axe-core is missing (%v): run make deps", err)
	}
	var installed bool
	c.run("axe present", js(`typeof window.axe === "object"`, &installed))
	if !installed {
		c.run("inject axe", chromedp.Evaluate(string(src)+";true", nil))
	}
	var found []axeFinding
	c.run("axe "+state, chromedp.Evaluate(`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, &found,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	for _, f := range found {
		if f.Impact != "serious" && f.Impact != "critical" {
			continue
		}
		var where []string
		for _, n := range f.Nodes {
			where = append(where, strings.Join(n.Target, " ")+": "+n.Summary)
		}
		c.t.Errorf("%s: axe %s (%s): %s\n\t%s", state, f.ID, f.Impact, f.Help, strings.Join(where, "\n\t"))
	}
}

// theme makes the browser prefer a colour scheme, as a person's system
// setting does.
func theme(scheme string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}).Do(ctx)
	})
}

// axe-core finds no serious or critical violation in any state of the
// panels, in either theme: the scene picker, the list of keys, a device
// inspected, a message inspected, the scene editor open, a share link and
// a live room.
func TestAxe(t *testing.T) {
	for _, scheme := range []string{"dark", "light"} {
		t.Run(scheme, func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", theme(scheme), chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 5`),
				waitFor(ctx, `document.querySelector("#things-list li") !== null`))
			var th string
			c.run("theme", js(`document.documentElement.dataset.theme`, &th))
			if th != scheme {
				t.Fatalf("the page's theme is %q with prefers-color-scheme: %s", th, scheme)
			}
			c.axe("scene picker")
			c.run("keys", chromedp.Click("#help-button", chromedp.ByID), waitFor(ctx, `document.getElementById("help").open`))
			c.axe("list of keys")
			c.run("close keys", chromedp.Click("#help-close", chromedp.ByID), waitFor(ctx, `!document.getElementById("help").open`))
			c.run("inspect", chromedp.Click(`#things-list button.ty-thing`, chromedp.ByQuery),
				waitFor(ctx, `document.querySelector("#inspector h3") !== null && document.querySelector("#recent button") !== null`))
			c.axe("device inspected")
			c.run("a message", chromedp.Click(`#recent button`, chromedp.ByQuery), waitFor(ctx, `document.querySelector("#inspector .ty-hex") !== null`))
			c.axe("message inspected")
			c.run("editor", chromedp.Click("#editor summary", chromedp.ByQuery), waitFor(ctx, `document.getElementById("editor").open`))
			c.axe("editor open")
			c.run("share", chromedp.Click("#share", chromedp.ByID), waitFor(ctx, `document.querySelector("#share-qr svg") !== null`))
			c.axe("share link")
			c.run("room", chromedp.Click("#new-room", chromedp.ByID), waitFor(ctx, `document.querySelector("#room .ty-live") !== null`),
				waitFor(ctx, `document.querySelector("#inspector h3") !== null || true`))
			c.axe("live room")
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
		// The simulation mode's panels: the event list and a look back.
		t.Run(scheme+"/simulation", func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", theme(scheme), chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 30`),
				chromedp.Click("#events-toggle", chromedp.ByID),
				waitFor(ctx, `document.querySelectorAll("#event-rows tbody tr").length > 0`))
			c.axe("event list")
			c.run("look back", chromedp.Click("#play", chromedp.ByID), chromedp.Click("#back-frame", chromedp.ByID),
				waitFor(ctx, `document.getElementById("behind") !== null`))
			c.axe("looking back")
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
		// A phone held upright: each tab of the sheet.
		t.Run(scheme+"/phone", func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", theme(scheme), viewport(390, 844, 3, true), chromedp.Navigate(baseURL),
				waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 5`),
				waitFor(ctx, `document.getElementById("tab-controls") !== null`))
			c.axe("phone: lesson")
			for _, tab := range []string{"controls", "inspector", "share"} {
				c.run("tab "+tab, chromedp.Click("#tab-"+tab, chromedp.ByID),
					waitFor(ctx, `document.getElementById("tab-`+tab+`").getAttribute("aria-selected") === "true"`))
				c.axe("phone: " + tab)
			}
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
	}
}

// The theme toggle switches the page and the canvas, is remembered, and
// a theme= in the URL wins over both the system and the memory.
func TestThemeToggle(t *testing.T) {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	ground := func() color.RGBA {
		img := c.shot()
		r, g, b, _ := img.At(6, 400).RGBA() // the canvas's left edge, clear of the world's sides
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
	}
	c.run("load dark", theme("dark"), chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 5`))
	if g := ground(); luminance(g) > 0.1 {
		t.Fatalf("the dark theme's canvas is %v", g)
	}
	c.run("toggle", chromedp.Click("#theme", chromedp.ByID), waitFor(ctx, `window.thingyard.theme === "light"`))
	c.settle(3)
	if g := ground(); luminance(g) < 0.8 {
		t.Errorf("after the toggle the canvas is %v, want it light", g)
	}
	var pressed string
	c.run("pressed", chromedp.AttributeValue("#theme", "aria-pressed", &pressed, nil, chromedp.ByID))
	if pressed != "true" {
		t.Errorf("the toggle is aria-pressed=%q in the light theme", pressed)
	}
	c.run("reload", chromedp.Reload(), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.theme === "light"`))
	c.run("theme=dark", chromedp.Navigate(baseURL+"?theme=dark"), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 5`))
	var th string
	c.run("theme", js(`window.thingyard.theme`, &th))
	if th != "dark" {
		t.Errorf("?theme=dark opened in the %s theme", th)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

func luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

func contrast(a, b color.RGBA) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

type textBox struct {
	S              string
	X0, Y0, X1, Y1 float64
	Color          string
}

// Every text on the canvas, names, side titles, link captions, hints and
// the legend, and the name of a device switched off, reads at WCAG AA
// (4.5:1) in both themes, as measured in the pixels: the ground is the
// colour most seen just around the text, the ink the pixel inside it
// farthest from the ground. A theme chosen after the world was drawn (the
// system's setting changing) writes its texts as well as one chosen first.
func TestCanvasTextContrast(t *testing.T) {
	for _, tt := range []struct{ name, from, scheme string }{
		{"dark", "dark", "dark"}, {"light", "light", "light"}, {"dark-to-light", "dark", "light"},
	} {
		scheme := tt.scheme
		t.Run(tt.name, func(t *testing.T) {
			ctx, errs := browser(t)
			c := &canvas{t: t, ctx: ctx, errs: errs}
			c.run("load", theme(tt.from), chromedp.ActionFunc(func(ctx context.Context) error {
				return emulation.SetDeviceMetricsOverride(1280, 800, 2, false).Do(ctx)
			}), chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 5`),
				waitFor(ctx, `window.thingyard.theme === "`+tt.from+`"`))
			if tt.from != scheme {
				c.run("switch theme", theme(scheme), waitFor(ctx, `window.thingyard.theme === "`+scheme+`"`))
			}
			// A device switched off has its name in the palette's Off.
			c.run("pause and switch the PLC off", chromedp.Click("#play", chromedp.ByID),
				js(`window.thingyard.where("plc") !== null`, nil))
			at := c.where("plc")
			c.click(at)
			c.run("inspected", waitFor(ctx, `document.getElementById("power") !== null`), chromedp.Click("#power", chromedp.ByID),
				waitFor(ctx, `document.getElementById("power").textContent === "Power on"`))
			c.run("deselect", js(`document.querySelector("body > canvas").focus(), true`, nil))
			c.press(kb.Escape)
			c.settle(3)
			var boxes []textBox
			c.run("texts", js(`window.thingyard.textBoxes()`, &boxes))
			img := c.shot()
			checked, off := 0, false
			for _, b := range boxes {
				x0, y0, x1, y1 := int(b.X0*2), int(b.Y0*2), int(math.Ceil(b.X1*2)), int(math.Ceil(b.Y1*2))
				if x1-x0 < 6 || y1-y0 < 6 || !image.Rect(x0-4, y0-4, x1+4, y1+4).In(img.Bounds()) || x1 > 2*(1280-360) {
					continue
				}
				ground, ink := groundAndInk(img, image.Rect(x0, y0, x1, y1))
				if r := contrast(ground, ink); r < 4.5 {
					t.Errorf("%q (%s) at (%.0f, %.0f): ink %v on %v is %.2f:1, want 4.5:1", b.S, b.Color, b.X0, b.Y0, ink, ground, r)
				}
				checked++
				if b.S == "PLC" {
					off = true
				}
			}
			if checked < 10 || !off {
				t.Errorf("checked %d texts (the PLC's among them: %v), want the world's names, the PLC's and the legend", checked, off)
			}
			saveShot(t, "contrast-"+tt.name+".png", encodePNG(t, img))
			if len(*errs) > 0 {
				t.Errorf("console errors: %v", *errs)
			}
		})
	}
}

// groundAndInk reads a text's box: the colour most seen in a band three
// pixels wide around it, and the pixel inside it of most contrast to that.
func groundAndInk(img image.Image, box image.Rectangle) (ground, ink color.RGBA) {
	at := func(x, y int) color.RGBA {
		r, g, b, _ := img.At(x, y).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
	}
	seen := map[color.RGBA]int{}
	out := box.Inset(-3)
	for y := out.Min.Y; y < out.Max.Y; y++ {
		for x := out.Min.X; x < out.Max.X; x++ {
			if !(image.Point{x, y}).In(box) {
				seen[at(x, y)]++
			}
		}
	}
	keys := make([]color.RGBA, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b color.RGBA) int { return seen[b] - seen[a] })
	ground = keys[0]
	best := 0.0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if r := contrast(at(x, y), ground); r > best {
				best, ink = r, at(x, y)
			}
		}
	}
	return ground, ink
}
