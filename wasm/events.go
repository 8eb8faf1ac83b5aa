//go:build js && wasm

package main

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/thingyard/thingyard/capture"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/render"
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
func (a *app) watchEvents() {
	e := &a.events
	if a.world != e.watched {
		if e.watched != nil {
			e.watched.OnFrame(nil)
			e.watched.OnFrameEnd(nil)
		}
		e.list.Watch(a.world)
		e.watched = a.world
	}
	if t := a.world.Tick(); t < e.tick {
		e.list.Rewind(t * sim.TickMicros)
		if _, ok := e.list.Row(e.picked); !ok {
			e.picked = 0
		}
	}
	e.tick = a.world.Tick()
	e.list.SetNow(e.tick * sim.TickMicros)
}

// resetEvents empties the list for a new scene.
func (a *app) resetEvents() {
	e := &a.events
	e.list.Reset()
	e.before, e.picked, e.tick = 0, 0, 0
	a.r.Hop = nil
}

// eventCommand runs a command of the event list; it reports whether c was
// one.
func (a *app) eventCommand(c ui.Command) bool {
	e := &a.events
	switch c := c.(type) {
	case ui.OpenEvents:
		e.open = c.Open
		// On a wide screen the list docks below the world, whose area
		// (the body, index.html) gives it the room rather than lying
		// under it.
		js.Global().Get("document").Get("body").Get("classList").Call("toggle", "docked", e.open)
	case ui.FilterEvents:
		// The device filter is the selection's, not the panel's.
		f := c.Filter
		e.filter.Side, e.filter.Protocol, e.filter.Outcome, e.filter.Search = f.Side, f.Protocol, f.Outcome, f.Search
		e.before = 0
	case ui.EventsAt:
		e.before = c.Before
	case ui.PickEvent:
		if c.N > 0 {
			a.pickEvent(c.N)
		}
	case ui.AllDevices:
		a.r.Selected = ""
		a.state.Set("selected", "")
		e.before = 0
	default:
		return false
	}
	return true
}

// pickEvent shows row n's frame in the inspector and marks its hop in the
// world, and its dot too while it is on its way.
func (a *app) pickEvent(n uint64) {
	ev, ok := a.events.list.Row(n)
	if !ok {
		return
	}
	info := ev.Info()
	a.events.picked = n
	a.msg = &info
	a.r.SelectedMsg = 0
	if m, ok := a.world.Message(info.ID); ok && m.From == info.From && m.To == info.To {
		a.r.SelectedMsg = info.ID
	}
	a.state.Set("selectedMessage", info.ID)
	a.markHop(info)
	a.reveal++
}

// markHop marks a message's hop in the world.
func (a *app) markHop(m sim.MessageInfo) {
	a.r.Hop = &render.Hop{From: m.From, To: m.To, FromIndex: -1, ToIndex: -1, Lost: m.Lost}
}

// eventsModel puts the list's window in the panels' model.
func (a *app) eventsModel(m *ui.Model) {
	e := &a.events
	v := &m.Events
	v.Open, v.Device, v.Picked = e.open, a.r.Selected, e.picked
	v.Kept, v.FellOff = e.list.Len(), e.list.FellOff()
	v.Rows = v.Rows[:0]
	if !e.open {
		return
	}
	f := e.filter
	f.Device = a.r.Selected
	e.page = e.list.Page(f, e.before, ui.EventWindow, e.rows)
	e.rows = e.page.Rows
	for _, r := range e.page.Rows {
		v.Rows = append(v.Rows, r.Row())
	}
	v.Matching, v.Newer = e.page.Matching, e.page.Newer
	v.Before, v.Older, v.NewerBefore = e.before, e.page.Older, e.page.NewerBefore
}

// downloadCapture offers a pcapng file of the frames of the list's window
// as the panel shows it (all: of every frame kept), in time order. It
// runs inside the click, so the browser lets it download.
func (a *app) downloadCapture(all bool) {
	e := &a.events
	var frames []sim.Frame
	if all {
		p := e.list.Page(ui.EventFilter{}, 0, e.list.Len(), nil)
		frames = framesOf(p.Rows)
	} else {
		f := e.filter
		f.Device = a.r.Selected
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
	scene := a.name
	if scene == "" {
		scene = "edited"
	}
	tick := strconv.FormatInt(a.world.Tick(), 10)
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.Options{Comment: "Thingyard, scene " + scene + ", seed " + strconv.FormatUint(a.seed, 10) + ", at tick " + tick})
	if err == nil {
		for i := range frames {
			if err = w.Write(&frames[i]); err != nil {
				break
			}
		}
	}
	if err != nil {
		notice("The capture could not be written: " + err.Error())
		return
	}
	name := "thingyard-" + scene + "-" + tick + ".pcapng"
	offer(buf.Bytes(), name, "application/x-pcapng")
	a.state.Set("lastCapture", map[string]any{"name": name, "frames": w.Frames(), "bytes": buf.Len()})
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

// offer gives the browser b as a file download named name.
func offer(b []byte, name, mime string) {
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	opts := js.Global().Get("Object").New()
	opts.Set("type", mime)
	blob := js.Global().Get("Blob").New([]any{arr}, opts)
	url := js.Global().Get("URL").Call("createObjectURL", blob)
	doc := js.Global().Get("document")
	link := doc.Call("createElement", "a")
	link.Set("href", url)
	link.Set("download", strings.ReplaceAll(name, "/", "-"))
	link.Get("style").Set("display", "none")
	doc.Get("body").Call("appendChild", link)
	link.Call("click")
	link.Call("remove")
	var release js.Func
	release = js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", url)
		release.Release()
		return nil
	})
	js.Global().Call("setTimeout", release, keepBlobMs)
}

// keepBlobMs is how long a download's object URL is kept before it is
// released (default 60 s): long enough for the browser to have fetched it
// on the slowest machine.
const keepBlobMs = 60_000
