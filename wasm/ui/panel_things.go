package ui

import (
	"strconv"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/js"
)

// thingsSummary counts what the list holds.
func (c *Root) thingsSummary() string {
	n := 0
	for i := range c.Model.Sides {
		n += c.Model.Sides[i].Devices
	}
	return "The world as text: " + count(n, "device") + " and their links, by side. Choose a name to select the device in the world."
}

// thingsPad keeps the list as tall as all its rows, of which only the
// window is in the page: the rest is padding above and below it.
func (c *Root) thingsPad() string {
	t := &c.Model.Things
	below := max(t.Total-t.From-len(t.Rows), 0)
	return "padding-top: " + strconv.Itoa(t.From*ThingRowPx) + "px; padding-bottom: " + strconv.Itoa(below*ThingRowPx) + "px"
}

func (c *Root) rowClass(r ThingRow) string {
	switch {
	case r.Head:
		return "ty-th"
	case r.Selected:
		return "ty-dev ty-sel"
	case r.ID != "":
		return "ty-dev"
	}
	return ""
}

func (c *Root) downClass(r ThingRow) string {
	if r.Down {
		return "ty-down"
	}
	return ""
}

// rowMore is a row's second line: readings and the last message.
func (c *Root) rowMore(r ThingRow) string {
	switch {
	case r.Readings != "" && r.Last != "":
		return r.Readings + " · " + r.Last
	case r.Readings != "":
		return r.Readings
	case r.Last != "":
		return r.Last
	}
	return "no readings yet"
}

// PickThing selects a device from the list, as a click in the world does.
func (c *Root) PickThing(_ vugu.DOMEvent, id string) { c.Send(Select{Device: id}) }

// ScrollThings asks for the rows now in view.
func (c *Root) ScrollThings(e vugu.DOMEvent) {
	t := e.JSEventTarget()
	if !t.Truthy() {
		return
	}
	from := ThingsFrom(t.Get("scrollTop").Float())
	if from != c.Model.Things.From {
		c.Send(ListFrom{From: from})
	}
}

// scrollThings brings the selected device's row into the list's view when
// the selection changed, so a device picked in the world shows in the list.
func (c *Root) scrollThings(doc js.Value) {
	at := c.Model.Things.SelectedAt
	if at == c.thingsSel {
		return
	}
	c.thingsSel = at
	list := doc.Call("getElementById", "things-list")
	if at < 0 || !list.Truthy() {
		return
	}
	top, h, y := list.Get("scrollTop").Float(), list.Get("clientHeight").Float(), float64(at*ThingRowPx)
	if y < top || y+ThingRowPx > top+h {
		list.Set("scrollTop", max(y-2*ThingRowPx, 0))
	}
}

// ToggleTheme switches between the light and the dark theme and remembers
// the choice (the page's thingyardTheme).
func (c *Root) ToggleTheme(vugu.DOMEvent) {
	next := "light"
	if c.Model.Theme == "light" {
		next = "dark"
	}
	c.Model.Theme = next
	if f := js.Global().Get("thingyardTheme"); f.Truthy() {
		f.Invoke(next)
	}
}

// ShowHelp opens the list of keys (the page's thingyardHelp).
func (c *Root) ShowHelp(vugu.DOMEvent) {
	if f := js.Global().Get("thingyardHelp"); f.Truthy() {
		f.Invoke()
	}
}
