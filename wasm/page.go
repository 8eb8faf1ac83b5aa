//go:build js && wasm

package main

import (
	"html"
	"math"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/wasm/ui"
)

// pageOptions are the URL's options for a course page: embed=1 (in a
// frame: the world with a bar, and a link to open it in a page of its
// own), view=world|full, scene=NAME (a built-in scene, when the link
// carries no scenario), speed=N (one of the speed control's choices) and
// theme=, passed on to the links this page makes.
type pageOptions struct {
	scene string
	theme string
	// phone matches while a narrow upright screen shows the panels as a
	// sheet below the world, whose height the world sets (fitWorldArea).
	phone js.Value
	// worldH is the height last given to the world's area, CSS pixels.
	worldH float64
}

// readOptions applies the URL's options that the boot needs and explains
// any it cannot read; the page's script has set the body's classes from
// embed= and view= already.
func (a *app) readOptions() {
	q := js.Global().Get("URLSearchParams").New(js.Global().Get("location").Get("search"))
	get := func(k string) string {
		if v := q.Call("get", k); v.Truthy() {
			return v.String()
		}
		return ""
	}
	m := a.model
	m.Embed = get("embed") == "1"
	switch v := get("view"); v {
	case "", "world", "full":
		m.WorldOnly = v == "world" || (m.Embed && v != "full")
	default:
		notice("view=" + v + " is not a view: use view=world (the world and a bar of its controls) or view=full (the panels too).")
	}
	a.page.scene = get("scene")
	if t := get("theme"); t == "light" || t == "dark" {
		a.page.theme = t
	}
	if s := get("speed"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !isSpeed(v) {
			notice("speed=" + s + " is not one of the speeds: " + speedList() + ".")
		} else {
			a.speed = v
		}
	}
	a.page.phone = js.Global().Call("matchMedia", "(max-width: 760px) and (orientation: portrait)")
}

func isSpeed(v float64) bool {
	for _, s := range ui.Speeds {
		if s == v {
			return true
		}
	}
	return false
}

func speedList() string {
	var b strings.Builder
	for i, s := range ui.Speeds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatFloat(s, 'g', -1, 64))
	}
	return b.String()
}

// sceneOption loads the scene named by scene=, for a link without a
// scenario; it reports whether it did.
func (a *app) sceneOption() bool {
	name := a.page.scene
	if name == "" {
		return false
	}
	sc, err := scenes.Builtin(name)
	if err == nil {
		err = a.load(sc, name, sc.Seed, nil)
	}
	if err != nil {
		notice("scene=" + name + " cannot be shown: " + err.Error() + ". Showing the default scene instead.")
		return false
	}
	return true
}

// withQuery puts a query parameter into a link, before its fragment.
func withQuery(link, param string) string {
	if param == "" {
		return link
	}
	frag := ""
	if i := strings.IndexByte(link, '#'); i >= 0 {
		link, frag = link[:i], link[i:]
	}
	sep := "?"
	if strings.Contains(link, "?") {
		sep = "&"
	}
	return link + sep + param + frag
}

// themeParam is theme= as this page got it, to pass on, or "".
func (a *app) themeParam() string {
	if a.page.theme == "" {
		return ""
	}
	return "theme=" + a.page.theme
}

// fullLink is a link to this world as it is, in a page of its own: the
// room's link in a live room, else the share link.
func (a *app) fullLink() string {
	if a.room != nil {
		return withQuery(roomLink(a.room.ID), a.themeParam())
	}
	return withQuery(a.link(), a.themeParam())
}

// Size of the iframe the embed code proposes, CSS pixels.
const embedW, embedH = 800, 500

// embedCode makes the iframe element that shows this world in a course
// page, puts it in the share panel and copies it.
func (a *app) embedCode() {
	src := withQuery(a.fullLink(), "embed=1")
	title := "Thingyard"
	if a.scene != nil && a.scene.Title != "" {
		title += ": " + a.scene.Title
	}
	code := `<iframe src="` + html.EscapeString(src) + `" width="` + strconv.Itoa(embedW) + `" height="` + strconv.Itoa(embedH) +
		`" title="` + html.EscapeString(title) + `" style="border:0" loading="lazy" allow="fullscreen"></iframe>`
	a.model.EmbedCode = code
	a.model.EmbedNote = "Copied: paste it into the course page's HTML."
	if !copyText(code) {
		a.model.EmbedNote = "Select the code and copy it."
	}
	if a.room != nil {
		a.model.EmbedNote += " A live room shows only in the pages of sites the server allows (-frame-origin)."
	}
}

// fitWorldArea makes the world's area on a phone held upright as tall as
// the world fitted to its width needs (within minWorldH and maxWorldShare
// of the window), so the world fills the top of the screen with no band
// above or below, and the panels' sheet gets the rest.
func (a *app) fitWorldArea() {
	if a.model.WorldOnly || !a.page.phone.Truthy() || !a.page.phone.Get("matches").Bool() {
		return
	}
	win := js.Global()
	want := a.r.WantHeight(&a.view, win.Get("innerWidth").Float())
	if want <= 0 {
		return
	}
	want = math.Round(math.Max(minWorldH, math.Min(want, maxWorldShare*win.Get("innerHeight").Float())))
	if want == a.page.worldH {
		return
	}
	a.page.worldH = want
	win.Get("document").Get("documentElement").Get("style").Call("setProperty", "--world-fit", strconv.Itoa(int(want))+"px")
}

// The world's area on an upright phone is at least minWorldH CSS pixels
// tall (200) and at most maxWorldShare of the window (0.62).
const (
	minWorldH     = 200
	maxWorldShare = 0.62
)
