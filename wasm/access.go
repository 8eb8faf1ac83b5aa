//go:build js && wasm

package main

import (
	"syscall/js"
	"time"

	"github.com/thingyard/thingyard/wasm/render"
	"github.com/thingyard/thingyard/wasm/ui"
)

// access is what makes the world usable without a mouse and without
// sight: the theme, what the keyboard selects, the announcements of the
// live region and the world as text (the panel's list).
type access struct {
	ann   *ui.Announcer
	watch ui.Watch
	theme chan string // the page's new theme, from its thingyard:theme event
	name  string      // the theme drawn: "light" or "dark"
	said  string      // the device the selection region last named

	// The list: its first row, when it was last built (in updates), and
	// whether something asks for it sooner.
	listFrom int
	listAt   int
	listDue  bool
	// last is the last message seen to or from a device of the list's
	// window, as text; inList are the ids of that window.
	last   map[string]string
	inList map[string]bool
}

// listEvery is how many updates pass between rebuilds of the list while
// nothing asks for one sooner (default 30: twice a second), so a world of
// 10,000 busy devices costs the panel little.
const listEvery = tps / 2

func newAccess() *access {
	return &access{ann: ui.NewAnnouncer(ui.AnnounceEvery), theme: make(chan string, 1),
		last: map[string]string{}, inList: map[string]bool{}, listDue: true}
}

// watchTheme draws the world in the page's theme and follows it: the page
// tells of a change with a thingyard:theme event (the toggle, theme=, the
// system's setting).
func (a *app) watchTheme() {
	read := func() string {
		if t := js.Global().Get("document").Get("documentElement").Get("dataset").Get("theme"); t.Truthy() && t.String() == "light" {
			return "light"
		}
		return "dark"
	}
	a.setTheme(read())
	js.Global().Get("document").Call("addEventListener", "thingyard:theme", js.FuncOf(func(js.Value, []js.Value) any {
		select { // never block the page: the game loop takes it at its next update
		case a.a11y.theme <- read():
		default:
			<-a.a11y.theme
			a.a11y.theme <- read()
		}
		return nil
	}))
}

func (a *app) setTheme(name string) {
	a.a11y.name = name
	if name == "light" {
		a.r.SetTheme(&render.Light)
	} else {
		a.r.SetTheme(&render.Dark)
	}
	a.state.Set("theme", name)
}

// accessUpdate runs every update after the renderer's: a new theme, and
// Enter on the canvas, which brings the inspector into view.
func (a *app) accessUpdate() (changed bool) {
	select {
	case t := <-a.a11y.theme:
		a.setTheme(t)
		changed = true
	default:
	}
	if a.r.Inspect {
		a.r.Inspect = false
		a.reveal++
		changed = true
	}
	if a.r.Selected != a.a11y.said {
		a.a11y.said = a.r.Selected
		a.a11y.listDue = true
		a.sayTo("selection-live", a.selectionText())
	}
	return changed
}

// selectionText names the selected device for the selection's live
// region: what it is and how to inspect it.
func (a *app) selectionText() string {
	if a.r.Selected == "" {
		return "Nothing selected."
	}
	d, ok := a.world.Device(a.r.Selected)
	if !ok {
		return ""
	}
	state := "online"
	if !d.Powered {
		state = "switched off"
	} else if v, ok := a.viewDevice(d.ID); ok && !v {
		state = "offline"
	}
	return "Selected " + d.Label + ": " + d.Kind + " on the " + d.Side + " side, " + state + ". Enter inspects it."
}

func (a *app) viewDevice(id string) (online, ok bool) {
	for i := range a.view.Devices {
		if a.view.Devices[i].ID == id {
			return a.view.Devices[i].Online, true
		}
	}
	return false, false
}

// selectDevice selects a device from the list, as a click in the world
// does, without moving the panel away from the list.
func (a *app) selectDevice(id string) {
	if _, ok := a.world.Device(id); !ok {
		return
	}
	a.r.Selected, a.r.SelectedMsg, a.msg = id, 0, nil
	a.recent = a.recent[:0]
	a.state.Set("selected", id)
	a.state.Set("selectedMessage", 0)
}

// accessModel fills what the panel shows of the list and the theme, and
// makes the announcement due: called by refreshModel, under the panels'
// lock.
func (a *app) accessModel(m *ui.Model) {
	m.Theme = a.a11y.name
	txt, at := a.world.LastRefusal()
	for _, s := range a.a11y.watch.Changes(a.scene.Title, &a.view, txt, at, a.memberCount()) {
		a.a11y.ann.Say(s)
	}
	if s := a.a11y.ann.Next(time.Now()); s != "" {
		a.sayTo("announce", s)
		said := a.state.Get("announced")
		if !said.Truthy() {
			said = js.Global().Get("Array").New()
			a.state.Set("announced", said)
		}
		said.Call("push", s)
	}
	if !a.a11y.listDue && a.updates-a.a11y.listAt < listEvery {
		return
	}
	a.a11y.listDue, a.a11y.listAt = false, a.updates
	a.noteLast()
	m.Things = ui.BuildThings(&a.view, a.r.Titles, a.r.Selected, a.a11y.listFrom, a.world.Device,
		func(id string) string { return a.a11y.last[id] })
	clear(a.a11y.inList)
	for _, r := range m.Things.Rows {
		if r.ID != "" {
			a.a11y.inList[r.ID] = true
		}
	}
	for id := range a.a11y.last {
		if !a.a11y.inList[id] {
			delete(a.a11y.last, id)
		}
	}
}

// noteLast remembers the messages in flight to or from the devices of
// the list's window.
func (a *app) noteLast() {
	v := &a.view
	for i := range v.Messages {
		m := &v.Messages[i]
		if m.From < 0 || m.To < 0 || int(m.From) >= len(v.Devices) || int(m.To) >= len(v.Devices) {
			continue
		}
		from, to := v.Devices[m.From].ID, v.Devices[m.To].ID
		if !a.a11y.inList[from] && !a.a11y.inList[to] {
			continue
		}
		info, ok := a.world.Message(m.ID)
		if !ok {
			continue
		}
		what := info.Protocol + " " + info.Kind
		at := " at " + ui.Clock(v.Tick)
		if a.a11y.inList[from] {
			a.a11y.last[from] = "sent " + what + " to " + v.Devices[m.To].Label + at
		}
		if a.a11y.inList[to] {
			a.a11y.last[to] = "got " + what + " from " + v.Devices[m.From].Label + at
		}
	}
}

// sayTo puts text in a live region of the page.
func (a *app) sayTo(id, text string) {
	if el := js.Global().Get("document").Call("getElementById", id); el.Truthy() {
		el.Set("textContent", text)
	}
}
