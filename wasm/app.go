//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"image/color"
	"slices"
	"strings"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/vugu/vugu"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
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
	ready   bool
	msg     *sim.MessageInfo // the selected message, kept after it arrived
	reveal  int              // counts selections made in the world (ui.Model.Reveal)
	// recent are the selected device's last messages, newest first, as
	// they were when first seen in flight.
	recent []sim.MessageInfo

	// A live room: the world is a timeline fed by the room's ordered log,
	// and its clock follows the room's.
	room      *room.Client
	roomID    string
	tl        *sim.Timeline
	roomBase  int64   // room tick at roomStart
	roomStart float64 // performance.now() at the welcome, ms
	members   int
	// held are the room's real boards that other members (or the
	// server's serial gateway) hold, by device, as their announcements
	// said: a board that does not answer has a note saying so.
	held      map[string]heldBoard
	reported  int64  // tick of the last hash mark reported to the room
	seq       uint64 // seq of the last room envelope applied: the world has every action up to it
	mqttAddr  string // the server's MQTT broker, from the welcome
	mqttToken string // the room's MQTT password, from the welcome

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
	state js.Value // window.thingyard, read by tests
}

func newApp() *app {
	a := &app{r: render.New(), speed: 1, cmds: make(chan ui.Command, 64), brd: newBoardLink(), a11y: newAccess(), events: newEventList(),
		model: &ui.Model{Speed: 1, Scenes: scenes.Summaries()}}
	a.r.SlowDown = slowDown
	if mq := js.Global().Call("matchMedia", "(prefers-reduced-motion: reduce)"); mq.Truthy() {
		a.r.ReducedMotion = mq.Get("matches").Bool()
		// The setting can change while the page is open.
		mq.Call("addEventListener", "change", js.FuncOf(func(_ js.Value, args []js.Value) any {
			a.r.ReducedMotion = args[0].Get("matches").Bool()
			return nil
		}))
	}
	a.board.Supported, a.board.Why = webserial.Supported(), webserial.Why()
	a.state = js.Global().Get("Object").New()
	a.state.Set("ready", false)
	a.state.Set("frames", 0)
	a.state.Set("marks", js.Global().Get("Object").New())
	a.state.Set("selected", "")
	a.state.Set("selectedMessage", 0)
	a.state.Set("where", js.FuncOf(a.where))
	a.state.Set("device", js.FuncOf(a.deviceJS))
	a.state.Set("log", js.FuncOf(a.logJS))
	a.state.Set("messages", js.FuncOf(a.messagesJS))
	a.state.Set("texts", js.FuncOf(a.textsJS))
	a.state.Set("textBoxes", js.FuncOf(a.textBoxesJS))
	a.state.Set("fit", js.FuncOf(a.fitJS))
	a.state.Set("seek", js.FuncOf(a.seekJS))
	a.state.Set("seekDone", 0)
	js.Global().Set("thingyard", a.state)
	a.watchTheme()
	return a
}

// where is window.thingyard.where(id): the device's centre in page (CSS)
// pixels, or null, so tests and tools can click and drag it.
func (a *app) where(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	x, y, ok := a.r.ScreenOf(&a.view, args[0].String())
	canvas := js.Global().Get("document").Call("querySelector", "body > canvas")
	if !ok || !canvas.Truthy() {
		return nil
	}
	box := canvas.Call("getBoundingClientRect")
	dpr := a.r.DPR()
	return map[string]any{"x": box.Get("left").Float() + x/dpr, "y": box.Get("top").Float() + y/dpr}
}

// messagesJS is window.thingyard.messages(): every message drawn in
// flight as {id, x, y} in page (CSS) pixels, so tests can see how messages
// move.
func (a *app) messagesJS(js.Value, []js.Value) any {
	canvas := js.Global().Get("document").Call("querySelector", "body > canvas")
	if !canvas.Truthy() {
		return nil
	}
	box := canvas.Call("getBoundingClientRect")
	left, top, dpr := box.Get("left").Float(), box.Get("top").Float(), a.r.DPR()
	out := []any{}
	a.r.EachMessage(&a.view, func(id uint64, x, y float64) {
		out = append(out, map[string]any{"id": id, "x": left + x/dpr, "y": top + y/dpr})
	})
	return out
}

// textsJS is window.thingyard.texts(): every text written in the world
// (device names, side titles, link captions) as {s, x, y} in page (CSS)
// pixels, so tests can see which names are shown.
func (a *app) textsJS(js.Value, []js.Value) any {
	canvas := js.Global().Get("document").Call("querySelector", "body > canvas")
	if !canvas.Truthy() {
		return nil
	}
	box := canvas.Call("getBoundingClientRect")
	left, top, dpr := box.Get("left").Float(), box.Get("top").Float(), a.r.DPR()
	out := []any{}
	a.r.EachText(func(s string, x, y float64) {
		out = append(out, map[string]any{"s": s, "x": left + x/dpr, "y": top + y/dpr})
	})
	return out
}

// textBoxesJS is window.thingyard.textBoxes(): every text on the canvas,
// the legend's included, as {s, x0, y0, x1, y1, color} with its box in
// page (CSS) pixels and its colour as #rrggbb, so tests can read the
// contrast of each against the pixels around it.
func (a *app) textBoxesJS(js.Value, []js.Value) any {
	canvas := js.Global().Get("document").Call("querySelector", "body > canvas")
	if !canvas.Truthy() {
		return nil
	}
	box := canvas.Call("getBoundingClientRect")
	left, top, dpr := box.Get("left").Float(), box.Get("top").Float(), a.r.DPR()
	out := []any{}
	const hex = "0123456789abcdef"
	a.r.EachTextBox(func(s string, x0, y0, x1, y1 float64, c color.RGBA) {
		col := []byte{'#', hex[c.R>>4], hex[c.R&15], hex[c.G>>4], hex[c.G&15], hex[c.B>>4], hex[c.B&15]}
		out = append(out, map[string]any{"s": s, "x0": left + x0/dpr, "y0": top + y0/dpr, "x1": left + x1/dpr, "y1": top + y1/dpr,
			"color": string(col)})
	})
	return out
}

// deviceJS is window.thingyard.device(id): what the inspector knows of a
// device (position, power, stats), or null.
func (a *app) deviceJS(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	d, ok := a.shown().Device(args[0].String())
	if !ok {
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

// logJS is window.thingyard.log(): every action applied since the scene
// loaded, as the share link carries them, so tests can see that what a
// person did became an action.
func (a *app) logJS(js.Value, []js.Value) any {
	b, err := json.Marshal(append([]sim.Action{}, a.log...)) // [] rather than null
	if err != nil {
		return nil
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

// roomLead is how far ahead of now a browser in a room schedules its own
// actions, so they reach every member before their tick (0.2 s at 1×).
const roomLead = 20

// boot loads the scenario in the page's URL, the scene of scene=, or the
// default scene. A link that cannot be read is explained and the default
// scene loads anyway. A room= parameter joins that live room.
func (a *app) boot() {
	a.readOptions()
	href := js.Global().Get("location").Get("href").String()
	if id := js.Global().Get("URLSearchParams").New(js.Global().Get("location").Get("search")).Call("get", "room"); id.Truthy() {
		def, _ := scenes.Builtin(scenes.Default)
		a.load(def, scenes.Default, def.Seed, nil)
		a.joinRoom(id.String())
		return
	}
	sc, err := scenes.FromURL(href)
	if errors.Is(err, scenes.ErrNoScenario) && a.sceneOption() {
		return
	}
	if err == nil {
		if err = a.load(sc.Scene, sc.Name, sc.Seed, sc.Actions); err == nil {
			a.runTo(sc.Tick) // open at the moment it was shared
			a.moment(&sc)
		}
	}
	if err != nil {
		if !errors.Is(err, scenes.ErrNoScenario) {
			notice("This share link could not be opened: " + err.Error() + ". Showing the default scene instead.")
		}
		def, _ := scenes.Builtin(scenes.Default)
		if err := a.load(def, scenes.Default, def.Seed, nil); err != nil {
			notice("Thingyard could not build its world: " + err.Error())
		}
	}
}

// Replaying a share link to its moment is stepped replayChunk ticks at a
// time (default 1,000: a simulated second), and the loader is told how far
// it got at most every replayReport milliseconds (default 250), so a long
// replay shows its progress without costing much of it.
const (
	replayChunk  = 1000
	replayReport = 250.0
)

// runTo steps the world to tick, showing on the loader how far it got.
func (a *app) runTo(tick int64) {
	if tick <= 0 {
		return
	}
	title := "Running the shared world to " + clockText(tick) + "…"
	phase(title, "")
	perf := js.Global().Get("performance")
	last := perf.Call("now").Float()
	for a.world.Tick() < tick {
		a.world.Step(int(min(tick-a.world.Tick(), replayChunk, max(1, a.hist.Due()-a.world.Tick()))))
		a.hist.Record(a.world)
		if now := perf.Call("now").Float(); now-last >= replayReport && a.world.Tick() < tick {
			progress(a.world.Tick(), tick, clockText(a.world.Tick())+" of "+clockText(tick))
			last = perf.Call("now").Float()
		}
	}
}

// clockText is a tick as the panel's clock shows it: m:ss.d.
func clockText(ms int64) string {
	d := ms / 100 % 10
	s := ms / 1000 % 60
	return itoa(ms/60000) + ":" + string(rune('0'+s/10)) + string(rune('0'+s%10)) + "." + string(rune('0'+d))
}

// moment brings back what the sharer of a link saw besides the world:
// paused or running, the device or message inspected (when it is there at
// that moment) and the part of the world on screen.
func (a *app) moment(sc *scenes.Scenario) {
	a.paused = sc.Paused
	if _, ok := a.world.Device(sc.Selected); ok && sc.Selected != "" {
		a.r.Selected = sc.Selected
	}
	if mi, ok := a.world.Message(sc.Message); ok && sc.Message != 0 {
		a.r.SelectedMsg, a.msg = sc.Message, &mi
	}
	if a.r.Selected != "" || a.r.SelectedMsg != 0 {
		a.reveal++
		a.state.Set("selected", a.r.Selected)
		a.state.Set("selectedMessage", a.r.SelectedMsg)
	}
	if v := sc.View; v != nil {
		a.r.Show(v.X, v.Y, v.W, v.H)
	}
}

// load replaces the world with a scene and, for a share link, the actions
// taken in it.
func (a *app) load(sc *scenes.Scene, name string, seed uint64, actions []sim.Action) error {
	w, err := sim.New(scenes.Fold(sc, actions).Spec, seed)
	if err != nil {
		return err
	}
	a.scene, a.name, a.seed, a.world = sc, name, seed, w
	a.hist, a.past, a.pastStale, a.seekTo, a.timeNote = sim.NewHistory(w, sim.HistoryWindow, sim.HistoryBudget), nil, false, nil, ""
	a.log = append([]sim.Action(nil), actions...)
	a.msg, a.r.Selected, a.r.SelectedMsg = nil, "", 0
	a.resetEvents()
	a.watchEvents()
	a.recent = a.recent[:0]
	a.state.Set("selected", "")
	a.state.Set("selectedMessage", 0)
	a.r.Titles = a.r.Titles[:0]
	for _, s := range sc.Sides {
		a.r.Titles = append(a.r.Titles, s.Title)
	}
	a.r.Refit()
	a.board.InScene = a.boardDevice()
	a.a11y.listFrom, a.a11y.listDue = 0, true
	m := a.model
	m.Links = m.Links[:0]
	for _, l := range sc.Links {
		if l.Medium != "internet" {
			m.Links = append(m.Links, ui.LinkChoice{ID: l.ID, Label: l.ID + " (" + l.Medium + ")"})
		}
	}
	if y, err := scenes.Marshal(sc); err == nil {
		m.Editor = string(y)
	}
	m.Share, m.ShareNote, m.EditorError = "", "", ""
	w.View(&a.view)
	return nil
}

func notice(msg string) {
	if f := js.Global().Get("thingyardNotice"); f.Type() == js.TypeFunction {
		f.Invoke(msg)
	}
}

// send is how panels hand the game loop a command; it never blocks the
// panel's event handler.
func (a *app) send(c ui.Command) {
	select {
	case a.cmds <- c:
	default:
		js.Global().Get("console").Call("warn", "Thingyard: too many commands at once; one was dropped")
	}
}

func (a *app) joinRoom(id string) {
	if a.room != nil {
		a.room.Close()
	}
	a.roomID, a.tl, a.seq, a.held = id, nil, 0, nil
	a.room = room.Dial(id)
	a.paused, a.speed = false, 1
}

// roomEnvelopes applies what the room sent since the last update.
func (a *app) roomEnvelopes() bool {
	changed := false
	for {
		e, ok := a.room.Poll()
		if !ok {
			return changed
		}
		changed = true
		switch e.Kind {
		case wire.KindWelcome:
			var w wire.Welcome
			if json.Unmarshal(e.Body, &w) != nil {
				continue
			}
			a.room.You = w.You
			a.mqttAddr, a.mqttToken = w.MQTT, w.Token
			a.members = len(w.Members)
			a.keepHeld(w.Members)
			if a.tl == nil || a.name != w.Scene || w.FoldedSeq > 0 {
				// A long-lived room sends the actions of its log folded
				// out of their envelopes: the world is rebuilt from them.
				sc, err := scenes.Builtin(w.Scene)
				if err != nil {
					notice("This room's scene cannot be shown: " + err.Error())
					continue
				}
				a.load(sc, w.Scene, sc.Seed, nil)
				a.tl, _ = sim.NewTimeline(sc.Spec, sc.Seed)
				if w.World != nil {
					// A room's log folded into its world state: the world
					// starts there, not at tick 0.
					world, err := wire.UnpackWorld(w.World)
					if err != nil {
						notice("This room's world cannot be read: " + err.Error())
						continue
					}
					a.tl = sim.NewTimelineAt(world)
				}
				a.hist, a.past = nil, nil // taken again once the room's world is at now
				if err := a.foldedActions(w.Actions); err != nil {
					notice("This room's history cannot be read: " + err.Error())
				}
			}
			for _, le := range w.Log {
				a.roomEnvelope(le)
			}
			a.seq = w.Seq
			a.roomBase = w.Now / slowDown
			a.roomStart = a.room.WelcomeAt()
		case wire.KindPresence:
			var p wire.Presence
			if json.Unmarshal(e.Body, &p) == nil {
				a.members = len(p.Members)
				a.keepHeld(p.Members)
			}
		case wire.KindError:
			var er wire.Error
			json.Unmarshal(e.Body, &er)
			notice("The room refused a message: " + er.Msg)
		default:
			a.keepUp(e.At)
			a.roomEnvelope(e)
		}
		// Envelopes come in the room's order; a command for another
		// member's board is the only kind not sent to all, and it changes
		// no world.
		a.seq = max(a.seq, e.Seq)
	}
}

// keepUp moves the room's clock forward when an envelope stamped at room
// time at (ms) shows it behind: the server stamped it before it arrived, so
// the room is at least there. It never moves the clock back.
func (a *app) keepUp(at int64) {
	if a.tl == nil || at <= 0 {
		return
	}
	now := js.Global().Get("performance").Call("now").Float()
	if local := a.roomBase + int64(now-a.roomStart)/slowDown; at/slowDown > local {
		a.roomBase, a.roomStart = at/slowDown, now
	}
}

// heldBoard notes another member's board announcement: that it holds the
// board driving a device, and what it says of it.
func (a *app) heldBoard(e wire.Envelope) {
	var b wire.Board
	if json.Unmarshal(e.Body, &b) != nil || b.Device == "" || e.From == a.room.You {
		return
	}
	if a.held == nil {
		a.held = map[string]heldBoard{}
	}
	a.held[b.Device] = heldBoard{by: e.From, Board: b}
}

// keepHeld forgets the boards of members that left.
func (a *app) keepHeld(members []string) {
	for dev, h := range a.held {
		if !slices.Contains(members, h.by) {
			delete(a.held, dev)
		}
	}
}

// heldNotes are the held boards as the Real board panel lists them.
func (a *app) heldNotes() []ui.HeldBoard {
	var out []ui.HeldBoard
	for _, h := range a.held {
		out = append(out, ui.HeldBoard{Device: h.Device, Note: h.Note, Silent: h.Silent})
	}
	slices.SortFunc(out, func(x, y ui.HeldBoard) int { return strings.Compare(x.Device, y.Device) })
	return out
}

type heldBoard struct {
	by string // the member holding it
	wire.Board
}

// foldedActions applies the actions of a welcome's folded log.
func (a *app) foldedActions(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var acts []sim.Action
	if err := json.Unmarshal(raw, &acts); err != nil {
		return err
	}
	for _, act := range acts {
		a.tl.Add(act) // a refused action is refused by every member alike
	}
	a.log = a.tl.Log()
	return nil
}

// roomEnvelope applies one logged envelope of the room to its timeline.
func (a *app) roomEnvelope(e wire.Envelope) {
	if e.Kind == wire.KindCommand {
		a.boardCommand(e.Body)
		return
	}
	if e.Kind == wire.KindBoard {
		a.heldBoard(e)
		return
	}
	if a.tl == nil || (e.Kind != wire.KindAction && e.Kind != wire.KindReading) {
		return
	}
	var act sim.Action
	if json.Unmarshal(e.Body, &act) != nil {
		return
	}
	a.toBoard(act)
	if err := a.tl.Add(act); err != nil {
		js.Global().Get("console").Call("info", "Thingyard: "+err.Error())
	}
	a.log = a.tl.Log()
	a.pastAdd(act)
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
	if a.room != nil && a.tl != nil {
		// The room's clock: every member runs the same tick at the same
		// moment, at 1×.
		el := js.Global().Get("performance").Call("now").Float() - a.roomStart
		a.roomAdvance(a.roomBase + int64(el)/slowDown)
		a.reportHash()
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
	sel, selMsg := a.r.Selected, a.r.SelectedMsg
	for _, act := range a.r.Update(&a.view) {
		a.apply(act)
	}
	if sel != a.r.Selected {
		a.recent = a.recent[:0]
		a.events.before = 0 // the list filters to the new selection from its newest row
	}
	changed = a.accessUpdate() || changed
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
	a.fitWorldArea()
	a.updates++
	if changed || a.updates%modelEvery == 0 {
		a.refreshModel()
	}
	return nil
}

// reportHash sends the room the latest hash mark old enough to be final,
// once, with the seq of the last envelope applied, so the server's replica
// can tell whether this world diverged.
func (a *app) reportHash() {
	t := wire.ReportTick(a.world.Tick())
	if t <= a.reported || t <= 0 {
		return
	}
	h, ok := a.world.HashAt(t)
	if ok && a.room.Send(wire.KindHash, wire.Hash{Tick: t, Seq: a.seq, Hash: sim.HashString(h)}) {
		a.reported = t
	} else if !ok {
		a.reported = t
	}
}

// trackRecent notes the messages in flight to or from the selected device
// that it has not seen yet.
func (a *app) trackRecent() {
	if a.r.Selected == "" {
		return
	}
	idx := int32(-1)
	for i := range a.view.Devices {
		if a.view.Devices[i].ID == a.r.Selected {
			idx = int32(i)
			break
		}
	}
	for i := range a.view.Messages {
		m := &a.view.Messages[i]
		if idx < 0 || (m.From != idx && m.To != idx) || m.From < 0 || int(m.From) >= len(a.view.Devices) ||
			a.seen(m.ID, a.view.Devices[m.From].ID) {
			continue
		}
		info, ok := a.shown().Message(m.ID)
		if !ok {
			continue
		}
		if len(a.recent) < ui.MaxRecent {
			a.recent = append(a.recent, sim.MessageInfo{})
		}
		copy(a.recent[1:], a.recent)
		a.recent[0] = info
	}
}

// seen reports whether a hop of a message is in the recent list: a poll
// and its reply are one message going back.
func (a *app) seen(id uint64, from string) bool {
	for i := range a.recent {
		if a.recent[i].ID == id && a.recent[i].From == from {
			return true
		}
	}
	return false
}

func (a *app) run(c ui.Command) {
	if a.room != nil && (c.Speed > 0 && a.past == nil || c.Reset || c.LoadScene != "" || c.ApplyYAML != nil) {
		notice("In a live room everyone shares one clock and one scene: open Thingyard without room= to change them.")
		return
	}
	if a.eventCommand(c) || a.timeCommand(c) {
		return
	}
	switch {
	case c.Action != nil:
		a.apply(*c.Action)
	case c.Select != "":
		a.selectDevice(c.Select)
	case c.ListFrom != nil:
		a.a11y.listFrom, a.a11y.listDue = *c.ListFrom, true
	case c.Recent > 0:
		// The panel's list is a copy of a.recent made at its last refresh;
		// newer messages may have pushed this one along since.
		if c.Recent <= len(a.model.Recent) {
			m := a.model.Recent[c.Recent-1]
			a.r.SelectedMsg, a.msg, a.events.picked = m.ID, &m, 0
			a.state.Set("selectedMessage", m.ID)
			a.markHop(m)
		}
	case c.Speed > 0:
		a.speed = c.Speed
	case c.Reset:
		a.load(a.scene, a.name, a.seed, nil)
	case c.LoadScene != "":
		sc, err := scenes.Builtin(c.LoadScene)
		if err == nil {
			err = a.load(sc, c.LoadScene, sc.Seed, nil)
		}
		if err != nil {
			notice(err.Error())
			return
		}
		a.setURL(a.link())
	case c.ApplyYAML != nil:
		sc, err := scenes.Parse("scene.yaml", []byte(*c.ApplyYAML))
		if err == nil {
			err = a.load(sc, "", sc.Seed, nil)
		}
		if err != nil {
			a.model.EditorError = err.Error()
			return
		}
		a.model.Editor = *c.ApplyYAML
		a.setURL(a.link())
	case c.NewRoom:
		a.createRoom()
	case c.JoinRoom != "":
		a.joinRoom(c.JoinRoom)
	case c.SendBoard != "":
		a.sendBoard(c.SendBoard)
	case c.EmbedCode:
		a.embedCode()
	case c.Picture:
		a.pics.want = true // taken when the next frame is drawn
	case c.Record:
		a.toggleRecord()
	case c.Share:
		l := a.link()
		a.setURL(l)
		a.model.Share = l
		a.model.ShareNote = "Copied: whoever opens it sees this world."
		if cb := js.Global().Get("navigator").Get("clipboard"); cb.Truthy() {
			cb.Call("writeText", l)
		} else {
			a.model.ShareNote = "Select the link and copy it."
		}
	}
}

// apply applies an action now and logs it with its tick, so a share link
// replays it at the same moment. A refused action is logged too: a replay
// refuses it the same way.
func (a *app) apply(act sim.Action) {
	if a.past != nil {
		a.timeNote = "Looking back: actions are off. Press Live to act on the world."
		return
	}
	if a.room != nil {
		// In a room an action is applied when the room relays it back,
		// by every member at the same tick.
		act.At = a.world.Tick() + roomLead
		if err := act.Check(); err != nil {
			notice(err.Error())
			return
		}
		kind := wire.KindAction
		if act.Kind == sim.ActReading {
			kind = wire.KindReading
		}
		if !a.room.Send(kind, act) {
			notice("Not connected to the room right now; try again in a moment.")
		}
		return
	}
	act.At = a.world.Tick()
	if err := act.Check(); err != nil {
		notice(err.Error())
		return
	}
	a.toBoard(act)
	a.log = append(a.log, act)
	a.hist.Add(act)
	if err := a.world.Apply(act); err != nil {
		js.Global().Get("console").Call("info", "Thingyard: "+err.Error())
	}
}

// link is the share link of the world as it is.
func (a *app) link() string {
	loc := js.Global().Get("location")
	base := loc.Get("origin").String() + loc.Get("pathname").String()
	sc := scenes.Scenario{Name: a.name, Scene: a.scene, Seed: a.seed, Actions: a.log, Tick: a.shown().Tick(),
		Paused: a.paused, Selected: a.r.Selected, Message: a.r.SelectedMsg}
	if a.r.Framed() {
		cx, cy, w, h := a.r.Cam.Rect()
		sc.View = &scenes.View{X: cx, Y: cy, W: w, H: h}
	}
	l, err := scenes.Link(base, sc)
	if err != nil {
		return base
	}
	return l
}

func (a *app) setURL(u string) {
	js.Global().Get("history").Call("replaceState", nil, "", u)
}

// refreshModel copies what the panels show, under the panels' lock, and
// asks them to render.
func (a *app) refreshModel() {
	if a.env != nil {
		a.env.Lock()
	}
	m := a.model
	w := a.shown()
	a.timeModel()
	m.Scene, m.Title, m.Lesson, m.Try = a.name, a.scene.Title, a.scene.Lesson, a.scene.Try
	m.Tick = w.Tick()
	m.Paused, m.Speed = a.paused, a.speed
	m.Sides = w.Metrics()
	m.Series = w.Series()
	if txt, at := w.LastRefusal(); txt != "" && w.Tick()-at < 20_000 {
		m.Refusal = "Refused: " + txt
	} else {
		m.Refusal = ""
	}
	m.HasInternet, m.InternetUp = false, false
	for i := range a.view.Links {
		if a.view.Links[i].Medium == sim.MediumInternet {
			m.HasInternet = true
			m.InternetUp = m.InternetUp || a.view.Links[i].Up
		}
	}
	m.Board = a.board
	m.Board.Held = a.heldNotes()
	a.refreshPictures()
	if m.Embed {
		m.OpenLink = a.fullLink()
	}
	if a.room != nil {
		m.Room, m.RoomStatus, m.Members = a.roomID, a.room.Status(), a.members
		m.Origin = js.Global().Get("location").Get("origin").String()
		m.RoomLink = m.Origin + "/?room=" + a.roomID
		m.MQTTHost, m.MQTTPort, m.MQTTToken = "", "", a.mqttToken
		// Split "host:port" by hand: package net would grow the download.
		if i := strings.LastIndexByte(a.mqttAddr, ':'); i >= 0 {
			m.MQTTHost, m.MQTTPort = strings.Trim(a.mqttAddr[:i], "[]"), a.mqttAddr[i+1:]
			if m.MQTTHost == "" || m.MQTTHost == "0.0.0.0" || m.MQTTHost == "::" {
				m.MQTTHost = js.Global().Get("location").Get("hostname").String()
			}
		}
	}
	m.Hash = sim.HashString(w.Hash())
	a.state.Set("hash", m.Hash)
	a.state.Set("tick", m.Tick)
	marks := js.Global().Get("Object").New()
	hs := w.Hashes()
	for _, h := range hs[max(0, len(hs)-120):] {
		marks.Set(itoa(h.Tick), sim.HashString(h.Hash))
	}
	a.state.Set("marks", marks)

	a.accessModel(m)
	m.Device, m.Message, m.Fields, m.Hex = nil, nil, nil, ""
	m.Reveal = a.reveal
	m.Recent = append(m.Recent[:0], a.recent...)
	if a.r.Selected != "" {
		if d, ok := w.Device(a.r.Selected); ok {
			m.Device = &d
		}
	}
	if a.r.SelectedMsg != 0 || a.events.picked != 0 {
		// A row picked in the event list shows that frame, not the hop
		// its message travels now.
		if mi, ok := w.Message(a.r.SelectedMsg); ok && a.events.picked == 0 {
			a.msg = &mi
		}
		if a.msg != nil {
			m.Message = a.msg
			m.Fields, _ = proto.Dissect(a.msg.Protocol, a.msg.Bytes)
			m.Hex = proto.HexDump(a.msg.Bytes)
		}
	}
	a.eventsModel(m)
	hop := ""
	if h := a.r.Hop; h != nil {
		hop = h.From + " → " + h.To
	}
	a.state.Set("hop", hop) // the hop marked in the world, for tests
	if a.env != nil {
		a.env.UnlockRender()
	}
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
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
	if !a.ready {
		a.ready = true
		a.state.Set("ready", true)
		a.state.Set("hash", sim.HashString(a.world.Hash()))
		doc := js.Global().Get("document")
		describeCanvas(doc)
		doc.Call("dispatchEvent", js.Global().Get("Event").New("thingyard:ready"))
	}
}

func (a *app) Layout(w, h int) (int, int) { return a.r.Layout(w, h) }

// describeCanvas names Ebitengine's canvas for screen readers and puts it
// in the page's order of keyboard focus like any control: first, as it is
// left of the panel (Ebitengine appends it last, with tabindex 1, which
// would put it before everything). The page keeps Tab from it and shows
// its focus (index.html).
func describeCanvas(doc js.Value) {
	c := doc.Call("querySelector", "body > canvas")
	if !c.Truthy() {
		return
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
	c.Call("addEventListener", "pointerdown", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if e := args[0]; e.Get("pointerType").String() == "mouse" {
			c.Call("setPointerCapture", e.Get("pointerId"))
		}
		return nil
	}))
}

// createRoom asks the server for a new room on this scene and joins it.
func (a *app) createRoom() {
	name := a.name
	if name == "" {
		notice("A live room starts from a built-in scene; an edited scene can be shared with a link.")
		return
	}
	opts := js.Global().Get("Object").New()
	opts.Set("method", "POST")
	opts.Set("headers", js.ValueOf(map[string]any{"Content-Type": "application/json"}))
	opts.Set("body", `{"scene":"`+name+`"}`)
	var onJSON, onErr js.Func
	release := func() { onJSON.Release(); onErr.Release() }
	onJSON = js.FuncOf(func(this js.Value, args []js.Value) any {
		defer release()
		id := args[0].Get("id")
		if !id.Truthy() {
			notice("The server could not make a room: " + args[0].Get("detail").String())
			return nil
		}
		js.Global().Get("history").Call("replaceState", nil, "", "/?room="+id.String())
		a.send(ui.Command{JoinRoom: id.String()})
		return nil
	})
	onErr = js.FuncOf(func(this js.Value, args []js.Value) any {
		defer release()
		notice("The server could not make a room: " + args[0].Call("toString").String())
		return nil
	})
	js.Global().Call("fetch", "/rooms", opts).
		Call("then", js.FuncOf(func(this js.Value, args []js.Value) any { return args[0].Call("json") })).
		Call("then", onJSON).Call("catch", onErr)
}
