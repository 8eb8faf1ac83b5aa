//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/vugu/vugu"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/render"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wasm/ui"
	"github.com/thingyard/thingyard/wasm/webserial"
	"github.com/thingyard/thingyard/wire"
)

// Loop timing.
const (
	tps = 60 // game updates per second
	// slowDown is how much slower than real time the world runs at speed
	// 1×, so a 9600-baud Modbus poll or a 20 ms internet hop can be followed
	// by eye. The speed control multiplies on top of it. A live room's
	// clock runs at the same rate for every member and the server.
	slowDown = wire.MsPerTick
	// modelEvery is how many updates pass between panel refreshes (4 a
	// second), so the panels never stall the canvas.
	modelEvery = tps / 4
)

// app is the ebiten.Game: it owns the world. Panels and the renderer read
// from it; their changes come back as commands and actions applied here, on
// the game loop, and nowhere else.
type app struct {
	scene *scenes.Scene
	name  string // built-in name, "" once edited
	seed  uint64
	log   []sim.Action // every action applied since load, with its tick
	world *sim.World   // the live world
	// The run's recent past (time.go): past is the world shown while
	// looking back, nil at live; pastStale says an action reached the
	// live world before past's tick, so past is taken again from hist.
	hist      *sim.History
	past      *sim.World
	pastStale bool
	seekTo    *int64 // the scrubber's last tick, taken once an update
	timeNote  string
	seeks     int // seeks done, for window.thingyard.seekDone
	view      sim.View
	r         *render.Renderer

	// viewStale says the world moved since view was read.
	viewStale bool

	paused  bool
	speed   float64
	acc     float64 // ticks owed to the world, fractional
	updates int
	frames  int
	ready   bool             // the first frame was drawn
	drawn   chan struct{}    // closed at the second frame
	msg     *sim.MessageInfo // the selected message, kept after it arrived
	reveal  int              // counts selections made in the world (ui.Model.Reveal)
	// recent are the selected device's last messages, newest first, as
	// they were when first seen in flight.
	recent []sim.MessageInfo

	// A live room (room.go): the world is the session's timeline, fed by
	// the room's ordered log, and its clock follows the room's.
	room *room.Session

	page pageOptions // the URL's options for a course page (page.go)
	pics pictures    // pictures and clips of the world (picture.go)
	// The event list (see events.go).
	events eventList

	// A real board through Web Serial (see board.go).
	brd   boardLink
	board ui.Board

	a11y *access // keyboard, theme, announcements, the world as text

	cmds  chan ui.Command
	model *ui.Model
	env   vugu.EventEnv
	state js.Value // window.thingyard, read by tests (hooks.go)
	// stops remove the page's listeners and release their js.Func.
	stops []func()
}

func newApp() *app {
	a := &app{r: render.New(), speed: 1, cmds: make(chan ui.Command, 64), brd: newBoardLink(), a11y: newAccess(), events: newEventList(),
		model: &ui.Model{Speed: 1}, drawn: make(chan struct{})}
	a.r.SlowDown = slowDown
	if mq := js.Global().Call("matchMedia", "(prefers-reduced-motion: reduce)"); mq.Truthy() {
		a.r.ReducedMotion = mq.Get("matches").Bool()
		// The setting can change while the page is open.
		a.stops = append(a.stops, listen(mq, "change", func(ev js.Value) {
			a.r.ReducedMotion = ev.Get("matches").Bool()
		}))
	}
	a.board.Supported, a.board.Why = webserial.Supported(), webserial.Why()
	a.hooks()
	a.watchTheme()
	return a
}

// close removes the page's listeners and leaves the room.
func (a *app) close() {
	for _, stop := range a.stops {
		stop()
	}
	a.stops = nil
	if a.room != nil {
		a.room.Close()
	}
}

// perfNow is performance.now(): the clock of the browser's events, ms.
func perfNow() float64 { return js.Global().Get("performance").Call("now").Float() }

// send is how panels hand the game loop a command; it never blocks the
// panel's event handler.
func (a *app) send(c ui.Command) {
	select {
	case a.cmds <- c:
	default:
		js.Global().Get("console").Call("warn", "Thingyard: too many commands at once; one was dropped")
	}
}

func (a *app) Update() error {
	changed := false
	if a.room != nil {
		changed = a.roomEnvelopes()
	}
	changed = a.boardEvents() || changed
	for done := false; !done; {
		select {
		case c := <-a.cmds:
			a.run(c)
			changed = true
		default:
			done = true
		}
	}
	a.r.SlowDown = slowDown / a.speed
	a.watchEvents()
	if a.room != nil && a.room.TL != nil {
		// The room's clock: every member runs the same tick at the same
		// moment, at 1×.
		a.roomAdvance(a.room.Tick(perfNow()))
		a.room.ReportHash()
	}
	if !a.paused && (a.room == nil || a.past != nil) {
		a.acc += 1000.0 / tps * a.speed / slowDown
		if n := int(a.acc); n > 0 {
			a.acc -= float64(n)
			a.stepShown(n)
		}
	}
	a.watchEvents()
	a.seekPending()
	// The view is read once a frame, in Draw: at a low frame rate several
	// updates run per frame, and reading 5,000 devices each time costs
	// more than drawing them. The selected device's messages are followed
	// every update, so then it is read here too.
	a.viewStale = true
	if a.r.Selected != "" {
		a.shown().View(&a.view)
		a.viewStale = false
	}
	changed = a.worldInput() || changed
	a.fitWorldArea()
	a.updates++
	if changed || a.updates%modelEvery == 0 {
		a.refreshModel()
	}
	return nil
}

// worldInput takes what the person did in the world (picking, dragging,
// keys) and reports whether the selection changed.
func (a *app) worldInput() bool {
	sel, selMsg := a.r.Selected, a.r.SelectedMsg
	for _, act := range a.r.Update(&a.view) {
		a.apply(act)
	}
	if sel != a.r.Selected {
		a.recent = a.recent[:0]
		a.events.before = 0 // the list filters to the new selection from its newest row
	}
	changed := a.accessUpdate()
	a.trackRecent() // shown at the next periodic refresh: a busy broker must not re-render the panel every frame
	if sel != a.r.Selected || selMsg != a.r.SelectedMsg {
		a.msg, a.events.picked = nil, 0
		changed = true
		if a.r.Selected != "" || a.r.SelectedMsg != 0 {
			a.reveal++ // show the inspector of what was picked
		}
		a.state.Set("selected", a.r.Selected)
		a.state.Set("selectedMessage", a.r.SelectedMsg)
	}
	return changed
}

func (a *app) Draw(screen *ebiten.Image) {
	if a.viewStale {
		a.shown().View(&a.view)
		a.viewStale = false
	}
	a.r.Draw(screen, &a.view)
	if a.pics.want {
		a.takePicture(screen)
	}
	a.frames++
	a.state.Set("frames", a.frames)
	if a.frames == 2 {
		// The first frame is on screen (the browser shows a frame once
		// its task ends): the panels mount now (main.go).
		close(a.drawn)
	}
	if !a.ready {
		// The first frame: the loader makes way for the world.
		a.ready = true
		a.state.Set("hash", sim.HashString(a.world.Hash()))
		doc := js.Global().Get("document")
		a.stops = append(a.stops, describeCanvas(doc))
		doc.Call("dispatchEvent", js.Global().Get("Event").New("thingyard:ready"))
	}
}

func (a *app) Layout(w, h int) (int, int) { return a.r.Layout(w, h) }

// describeCanvas names Ebitengine's canvas for screen readers and puts it
// in the page's order of keyboard focus like any control: first, as it is
// left of the panel (Ebitengine appends it last, with tabindex 1, which
// would put it before everything). The page keeps Tab from it and shows
// its focus (index.html).
// The returned stop removes its listener.
func describeCanvas(doc js.Value) (stop func()) {
	c := doc.Call("querySelector", "body > canvas")
	if !c.Truthy() {
		return func() {}
	}
	c.Call("setAttribute", "tabindex", "0")
	if panel := doc.Call("getElementById", "panel"); panel.Truthy() {
		doc.Get("body").Call("insertBefore", c, panel)
	}
	c.Call("setAttribute", "role", "application")
	c.Call("setAttribute", "aria-roledescription", "device world")
	c.Call("setAttribute", "aria-label", "The device world. Arrow keys select the nearest device that way, Enter inspects it in the panel, "+
		"Escape clears the selection; Shift and the arrows pan, plus and minus zoom, F fits the world; question mark lists the keys. "+
		"The panel's list of devices and links is the world as text.")
	// Ebitengine listens for the mouse on the canvas only: a drag released
	// over the panel would leave its button held, and the next move would
	// pan with no button down. Capturing the pointer keeps a drag's moves
	// and its release on the canvas wherever the pointer goes.
	return listen(c, "pointerdown", func(e js.Value) {
		if e.Get("pointerType").String() == "mouse" {
			c.Call("setPointerCapture", e.Get("pointerId"))
		}
	})
}
