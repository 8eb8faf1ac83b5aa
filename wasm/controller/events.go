package controller

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/thingyard/thingyard/capture"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
)

// eventList is the page's event list: every frame the world sends, kept
// in a bounded ring (ui.EventList), and what the panel chose to see of it.
type eventList struct {
	list    *ui.EventList
	watched *sim.World // the world whose frames it records
	tick    int64      // that world's tick when last seen
	open    bool
	filter  ui.EventFilter
	before  uint64 // the window's place: 0 for the newest rows
	picked  uint64 // the row shown in the inspector, 0 for none
	page    ui.EventPage
	rows    []ui.Event
}

func newEventList() eventList { return eventList{list: ui.NewEventList(ui.EventHistory)} }

// watchEvents keeps the list on the world the page shows: a new world (a
// scene loaded, a room's world rebuilt, a moment gone back to) is watched
// from now on, and when the clock went back the rows after it go.
func (c *Controller) watchEvents() {
	e := &c.events
	if c.world != e.watched {
		if e.watched != nil {
			e.watched.OnFrame(nil)
			e.watched.OnFrameEnd(nil)
		}
		e.list.Watch(c.world)
		e.watched = c.world
	}
	if t := c.world.Tick(); t < e.tick {
		e.list.Rewind(t * sim.TickMicros)
		if _, ok := e.list.Row(e.picked); !ok {
			e.picked = 0
		}
	}
	e.tick = c.world.Tick()
	e.list.SetNow(e.tick * sim.TickMicros)
}

// resetEvents empties the list for a new scene.
func (c *Controller) resetEvents() {
	e := &c.events
	e.list.Reset()
	e.before, e.picked, e.tick = 0, 0, 0
	c.hop = nil
	c.screen.MarkHop(nil)
}

// eventCommand runs a command of the event list; it reports whether c was
// one.
func (c *Controller) eventCommand(cmd ui.Command) bool {
	e := &c.events
	switch cmd := cmd.(type) {
	case ui.OpenEvents:
		e.open = cmd.Open
		// On a wide screen the list docks below the world, whose area
		// (the body, index.html) gives it the room rather than lying
		// under it.
		c.page.Dock(e.open)
	case ui.FilterEvents:
		// The device filter is the selection's, not the panel's.
		f := cmd.Filter
		e.filter.Side, e.filter.Protocol, e.filter.Outcome, e.filter.Search = f.Side, f.Protocol, f.Outcome, f.Search
		e.before = 0
	case ui.EventsAt:
		e.before = cmd.Before
	case ui.PickEvent:
		if cmd.N > 0 {
			c.pickEvent(cmd.N)
		}
	case ui.AllDevices:
		_, msg := c.screen.Selection()
		c.screen.Select("", msg)
		c.hookSelection()
		e.before = 0
	default:
		return false
	}
	return true
}

// pickEvent shows row n's frame in the inspector and marks its hop in the
// world, and its dot too while it is on its way.
func (c *Controller) pickEvent(n uint64) {
	ev, ok := c.events.list.Row(n)
	if !ok {
		return
	}
	info := ev.Info()
	c.events.picked = n
	c.msg = &info
	sel, msg := c.screen.Selection()
	msg = 0
	if m, ok := c.world.Message(info.ID); ok && m.From == info.From && m.To == info.To {
		msg = info.ID
	}
	c.screen.Select(sel, msg)
	c.page.Hook("selectedMessage", info.ID)
	c.markHop(info)
	c.revealInspector()
}

// markHop marks a message's hop in the world.
func (c *Controller) markHop(m sim.MessageInfo) {
	c.hop = &Hop{From: m.From, To: m.To, Lost: m.Lost}
	c.screen.MarkHop(c.hop)
}

// eventsModel puts the list's window in the panels' model.
func (c *Controller) eventsModel(m *ui.Model) {
	e := &c.events
	v := &m.Events
	sel, _ := c.screen.Selection()
	v.Open, v.Device, v.Picked = e.open, sel, e.picked
	v.Kept, v.FellOff = e.list.Len(), e.list.FellOff()
	v.Rows = v.Rows[:0]
	if !e.open {
		return
	}
	f := e.filter
	f.Device = sel
	e.page = e.list.Page(f, e.before, ui.EventWindow, e.rows)
	e.rows = e.page.Rows
	for _, r := range e.page.Rows {
		v.Rows = append(v.Rows, r.Row())
	}
	v.Matching, v.Newer = e.page.Matching, e.page.Newer
	v.Before, v.Older, v.NewerBefore = e.before, e.page.Older, e.page.NewerBefore
}

// DownloadCapture offers a pcapng file of the frames of the list's window
// as the panel shows it (all: of every frame kept), in time order. It
// runs inside the click, so the browser lets it download.
func (c *Controller) DownloadCapture(all bool) {
	e := &c.events
	var frames []sim.Frame
	if all {
		p := e.list.Page(ui.EventFilter{}, 0, e.list.Len(), nil)
		frames = framesOf(p.Rows)
	} else {
		f := e.filter
		f.Device, _ = c.screen.Selection()
		frames = framesOf(e.list.Page(f, e.before, ui.EventWindow, nil).Rows)
	}
	// The list is newest first; a capture is in the order of time, which
	// TCP's sequence numbers follow.
	slices.Reverse(frames)
	slices.SortStableFunc(frames, func(x, y sim.Frame) int {
		switch {
		case x.At < y.At:
			return -1
		case x.At > y.At:
			return 1
		}
		return 0
	})
	scene := c.name
	if scene == "" {
		scene = "edited"
	}
	tick := strconv.FormatInt(c.world.Tick(), 10)
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.Options{Comment: "Thingyard, scene " + scene + ", seed " + strconv.FormatUint(c.seed, 10) + ", at tick " + tick})
	if err == nil {
		for i := range frames {
			if err = w.Write(&frames[i]); err != nil {
				break
			}
		}
	}
	if err != nil {
		c.page.Notice("The capture could not be written: " + err.Error())
		return
	}
	name := "thingyard-" + scene + "-" + tick + ".pcapng"
	c.page.Offer(buf.Bytes(), name, "application/x-pcapng")
	c.page.Hook("lastCapture", map[string]any{"name": name, "frames": w.Frames(), "bytes": buf.Len()})
}

// framesOf copies the frames of rows that have bytes: a dropped message
// never went on a medium.
func framesOf(rows []ui.Event) []sim.Frame {
	out := make([]sim.Frame, 0, len(rows))
	for _, r := range rows {
		if r.Frame.Medium == 0 || len(r.Frame.Bytes) == 0 {
			continue
		}
		f := r.Frame
		f.Bytes = slices.Clone(f.Bytes)
		out = append(out, f)
	}
	return out
}
