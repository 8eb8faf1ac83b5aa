package controller

import (
	"html"
	"strconv"
	"strings"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/wasm/ui"
)

// options are the URL's options for a course page: embed=1 (in a frame:
// the world with a bar, and a link to open it in a page of its own),
// view=world|full, scene=NAME (a built-in scene, when the link carries no
// scenario), speed=N (one of the speed control's choices) and theme=,
// passed on to the links this page makes.
type options struct {
	scene string
	theme string
}

// readOptions applies the URL's options that the boot needs and explains
// any it cannot read; the page's script has set the body's classes from
// embed= and view= already.
func (c *Controller) readOptions() {
	q := c.loc.Query()
	get := q.Get
	m := c.model
	m.Embed = get("embed") == "1"
	switch v := get("view"); v {
	case "", "world", "full":
		m.WorldOnly = v == "world" || (m.Embed && v != "full")
	default:
		c.page.Notice("view=" + v + " is not a view: use view=world (the world and a bar of its controls) or view=full (the panels too).")
	}
	c.opts.scene = get("scene")
	if t := get("theme"); t == "light" || t == "dark" {
		c.opts.theme = t
	}
	if s := get("speed"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !isSpeed(v) {
			c.page.Notice("speed=" + s + " is not one of the speeds: " + speedList() + ".")
		} else {
			c.speed = v
		}
	}
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
func (c *Controller) sceneOption() bool {
	name := c.opts.scene
	if name == "" {
		return false
	}
	sc, err := scenes.Builtin(name)
	if err == nil {
		err = c.load(sc, name, sc.Seed, nil)
	}
	if err != nil {
		c.page.Notice("scene=" + name + " cannot be shown: " + err.Error() + ". Showing the default scene instead.")
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
func (c *Controller) themeParam() string {
	if c.opts.theme == "" {
		return ""
	}
	return "theme=" + c.opts.theme
}

// fullLink is a link to this world as it is, in a page of its own: the
// room's link in a live room, else the share link.
func (c *Controller) fullLink() string {
	if c.room != nil {
		return withQuery(c.roomLink(c.room.ID), c.themeParam())
	}
	return withQuery(c.link(), c.themeParam())
}

// Size of the iframe the embed code proposes, CSS pixels.
const embedW, embedH = 800, 500

// embedCode makes the iframe element that shows this world in a course
// page, puts it in the share panel and copies it.
func (c *Controller) embedCode() {
	src := withQuery(c.fullLink(), "embed=1")
	title := "Thingyard"
	if c.scene != nil && c.scene.Title != "" {
		title += ": " + c.scene.Title
	}
	code := `<iframe src="` + html.EscapeString(src) + `" width="` + strconv.Itoa(embedW) + `" height="` + strconv.Itoa(embedH) +
		`" title="` + html.EscapeString(title) + `" style="border:0" loading="lazy" allow="fullscreen"></iframe>`
	c.model.EmbedCode = code
	c.model.EmbedNote = "Copied: paste it into the course page's HTML."
	if !c.page.Copy(code) {
		c.model.EmbedNote = "Select the code and copy it."
	}
	if c.room != nil {
		c.model.EmbedNote += " A live room shows only in the pages of sites the server allows (-frame-origin)."
	}
}
