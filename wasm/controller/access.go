package controller

import (
	"time"

	"github.com/thingyard/thingyard/wasm/ui"
)

// access is what makes the world usable without a mouse and without
// sight: the theme, what the keyboard selects, the announcements of the
// live region and the world as text (the panel's list).
type access struct {
	ann    *ui.Announcer
	watch  ui.Watch
	name   string // the theme drawn: "light" or "dark"
	themed bool   // the theme changed since the last update
	said   string // the device the selection region last named
	// announced is every announcement made, for window.thingyard.
	announced []any

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
const listEvery = TPS / 2

func newAccess() access {
	return access{ann: ui.NewAnnouncer(ui.AnnounceEvery),
		last: map[string]string{}, inList: map[string]bool{}, listDue: true}
}

// accessUpdate runs every update after the renderer's: a new theme, and
// Enter on the canvas, which brings the inspector into view.
func (c *Controller) accessUpdate() (changed bool) {
	if c.a11y.themed {
		c.a11y.themed = false
		changed = true
	}
	if c.screen.TakeInspect() {
		c.revealInspector()
		changed = true
	}
	if sel, _ := c.screen.Selection(); sel != c.a11y.said {
		c.a11y.said = sel
		c.a11y.listDue = true
		c.page.Say("selection-live", c.selectionText())
	}
	return changed
}

// selectionText names the selected device for the selection's live
// region: what it is and how to inspect it.
func (c *Controller) selectionText() string {
	sel, _ := c.screen.Selection()
	if sel == "" {
		return "Nothing selected."
	}
	d, ok := c.world.Device(sel)
	if !ok {
		return ""
	}
	state := "online"
	if !d.Powered {
		state = "switched off"
	} else if v, ok := c.viewDevice(d.ID); ok && !v {
		state = "offline"
	}
	return "Selected " + d.Label + ": " + d.Kind + " on the " + d.Side + " side, " + state + ". Enter inspects it."
}

func (c *Controller) viewDevice(id string) (online, ok bool) {
	for i := range c.view.Devices {
		if c.view.Devices[i].ID == id {
			return c.view.Devices[i].Online, true
		}
	}
	return false, false
}

// selectDevice selects a device from the list, as a click in the world
// does, without moving the panel away from the list.
func (c *Controller) selectDevice(id string) {
	if _, ok := c.world.Device(id); !ok {
		return
	}
	c.screen.Select(id, 0)
	c.msg = nil
	c.recent = c.recent[:0]
	c.hookSelection()
}

// accessModel fills what the panel shows of the list and the theme, and
// makes the announcement due: called by refreshModel, under the panels'
// lock.
func (c *Controller) accessModel(m *ui.Model) {
	m.Theme = c.a11y.name
	txt, at := c.world.LastRefusal()
	for _, s := range c.a11y.watch.Changes(c.scene.Title, &c.view, txt, at, c.memberCount()) {
		c.a11y.ann.Say(s)
	}
	if s := c.a11y.ann.Next(time.Now()); s != "" {
		c.page.Say("announce", s)
		c.a11y.announced = append(c.a11y.announced, s)
		c.page.Hook("announced", c.a11y.announced)
	}
	if !c.a11y.listDue && c.updates-c.a11y.listAt < listEvery {
		return
	}
	c.a11y.listDue, c.a11y.listAt = false, c.updates
	c.noteLast()
	sel, _ := c.screen.Selection()
	m.Things = ui.BuildThings(&c.view, c.titles, sel, c.a11y.listFrom, c.world.Device,
		func(id string) string { return c.a11y.last[id] })
	clear(c.a11y.inList)
	for _, r := range m.Things.Rows {
		if r.ID != "" {
			c.a11y.inList[r.ID] = true
		}
	}
	for id := range c.a11y.last {
		if !c.a11y.inList[id] {
			delete(c.a11y.last, id)
		}
	}
}

// noteLast remembers the messages in flight to or from the devices of
// the list's window.
func (c *Controller) noteLast() {
	v := &c.view
	for i := range v.Messages {
		m := &v.Messages[i]
		if m.From < 0 || m.To < 0 || int(m.From) >= len(v.Devices) || int(m.To) >= len(v.Devices) {
			continue
		}
		from, to := v.Devices[m.From].ID, v.Devices[m.To].ID
		if !c.a11y.inList[from] && !c.a11y.inList[to] {
			continue
		}
		info, ok := c.world.Message(m.ID)
		if !ok {
			continue
		}
		what := info.Protocol + " " + info.Kind
		at := " at " + ui.Clock(v.Tick)
		if c.a11y.inList[from] {
			c.a11y.last[from] = "sent " + what + " to " + v.Devices[m.To].Label + at
		}
		if c.a11y.inList[to] {
			c.a11y.last[to] = "got " + what + " from " + v.Devices[m.From].Label + at
		}
	}
}
