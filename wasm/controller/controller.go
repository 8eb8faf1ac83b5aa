// Package controller is the page's controller: it owns the world the page
// shows and carries out what people ask of it (the panels' commands, share
// links, live rooms, the world's hash reports, a real board's link). It
// holds no browser handle: the page (package main for GOOS=js) gives it
// the browser through Page, Net and Serial and the renderer through
// Screen, so go test reaches all of it natively.
package controller

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wasm/ui"
	"github.com/thingyard/thingyard/wire"
)

// Loop timing.
const (
	// TPS is how many game updates run a second.
	TPS = 60
	// SlowDown is how much slower than real time the world runs at speed
	// 1×, so a 9600-baud Modbus poll or a 20 ms internet hop can be
	// followed by eye. The speed control multiplies on top of it. A live
	// room's clock runs at the same rate for every member and the server.
	SlowDown = wire.MsPerTick
	// modelEvery is how many updates pass between panel refreshes (4 a
	// second), so the panels never stall the canvas.
	modelEvery = TPS / 4
)

// Page is the browser page as the controller uses it. Its methods return
// at once: none waits on the network or the person.
type Page interface {
	// Now is the clock of the browser's events (performance.now()), ms.
	Now() float64
	// Notice shows msg on the page (its notice bar) and logs it.
	Notice(msg string)
	// Info logs what a person need not see, such as an action the world
	// refused.
	Info(msg string)
	// SetURL puts u in the address bar without loading it.
	SetURL(u string)
	// Copy puts text on the clipboard; false when the page has no
	// clipboard (then the person selects and copies it).
	Copy(text string) bool
	// Hook sets window.thingyard's name to v, what tests and tools read
	// of the page. v is a bool, number, string, []any or map[string]any.
	Hook(name string, v any)
	// Say puts text in the page's live region id (screen readers).
	Say(id, text string)
	// Dock docks the event list below the world (open) or undocks it.
	Dock(open bool)
	// Offer gives the browser b as a file download named name.
	Offer(b []byte, name, mime string)
	// Progress tells the page's loader the step under way (title, when
	// not "") and how far it is, done of total.
	Progress(title string, done, total int64, detail string)
	// Picture saves a picture of the world at the next frame; Record
	// starts recording the world or stops and saves the clip.
	Picture()
	Record()
}

// Net is how the page reaches its server.
type Net interface {
	// Post sends body, JSON, to path on the page's server and returns the
	// reply's status and body. It blocks: it is called on a goroutine of
	// its own.
	Post(path string, body []byte) (status int, reply []byte, err error)
	// Dial starts joining room id.
	Dial(id string) *room.Client
}

// Port is a real board's serial port.
type Port interface {
	io.ReadWriteCloser
	// Unplugged reports whether the port ended because the board went.
	Unplugged() bool
}

// Serial is the browser's Web Serial.
type Serial interface {
	// Request asks the person for a port and opens it at baud; done gets
	// it, or why not. It is called inside the person's click.
	Request(baud int, done func(Port, error))
	// OnReconnect calls done with the port of a board plugged in again,
	// until stop is called.
	OnReconnect(baud int, done func(Port, error)) (stop func())
}

// Screen is the drawing of the world as the controller steers it: the
// selection, the marked hop, the camera. The page's renderer is one.
type Screen interface {
	// Input takes what the person did in the world since the last
	// update (picking, dragging, keys) and returns the actions it asked
	// for.
	Input(v *sim.View) []sim.Action
	// Selection is the device and the message (0: none) selected.
	Selection() (device string, msg uint64)
	// Select selects device ("": none) and message msg (0: none).
	Select(device string, msg uint64)
	// TakeInspect reports, once, that the person asked to inspect the
	// selection (Enter on the world).
	TakeInspect() bool
	// MarkHop marks a message's hop in the world; nil clears it.
	MarkHop(h *Hop)
	// Refit fits a new world's sides, titled titles, to the screen.
	Refit(titles []string)
	// Camera is the part of the world on screen (x, y its centre);
	// framed is false until the camera frames this scene, so a link made
	// before then does not carry the last scene's view.
	Camera() (x, y, w, h float64, framed bool)
	// Show puts the part of the world at x, y (centre), w by h on screen.
	Show(x, y, w, h float64)
	// SetSlowDown sets how much slower than real time the world runs.
	SetSlowDown(s float64)
}

// Hop is a message's hop, marked in the world.
type Hop struct {
	From, To string
	Lost     bool
}

// Locker is the panels' lock: the model changes only under it, and
// unlocking renders the panels.
type Locker interface {
	Lock()
	UnlockRender()
}

// Controller owns the world. Panels and the renderer read from it; their
// changes come back as commands and actions applied here, on the game
// loop, and nowhere else.
type Controller struct {
	page   Page
	net    Net
	serial Serial
	screen Screen
	href   string   // the page's address as the browser gave it
	loc    *url.URL // the page's address but its fragment
	env    Locker
	// lazyEditor: the editor's YAML waits for the panels (SetLocker);
	// editorOf is the scene it waits with.
	lazyEditor bool
	editorOf   *scenes.Scene
	// modelHeld keeps the panels' model as it is (HoldModel); modelOwed
	// says a refresh came due meanwhile.
	modelHeld, modelOwed bool

	scene *scenes.Scene
	name  string // built-in name, "" once edited
	seed  uint64
	log   []sim.Action // every action applied since load, with its tick
	from  []byte       // the world state (sim.World.State) log starts from; nil: the scene's tick 0
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
	// viewStale says the world moved since view was read.
	viewStale bool

	paused  bool
	speed   float64
	acc     float64 // ticks owed to the world, fractional
	updates int
	msg     *sim.MessageInfo // the selected message, kept after it arrived
	reveal  int              // counts selections made in the world (ui.Model.Reveal)
	hop     *Hop             // the hop marked in the world
	titles  []string         // the sides' titles
	// recent are the selected device's last messages, newest first, as
	// they were when first seen in flight.
	recent []sim.MessageInfo

	// A live room (room.go): the world is the session's timeline, fed by
	// the room's ordered log, and its clock follows the room's.
	room *room.Session

	opts   options // the URL's options (boot.go)
	events eventList
	// A real board through Web Serial (see board.go).
	brd   boardLink
	board ui.Board
	a11y  access

	cmds  chan ui.Command
	made  chan made // the server's answers to requests for a room
	model *ui.Model
	// Refreshed is called under the panels' lock at each refresh of the
	// model, for what the page adds to it.
	Refreshed func(m *ui.Model)
}

// New is a controller of the page at href, empty until Boot. The
// fragment, a share link's scenario, is read by Boot, which explains what
// is wrong with it; an address that is not a URL before it is an error.
func New(href string, page Page, net Net, serial Serial, screen Screen) (*Controller, error) {
	base, _, _ := strings.Cut(href, "#")
	loc, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("controller: the page's address: %w", err)
	}
	c := &Controller{page: page, net: net, serial: serial, screen: screen, href: href, loc: loc, speed: 1,
		cmds: make(chan ui.Command, 64), made: make(chan made, 1), brd: newBoardLink(), a11y: newAccess(), events: newEventList(),
		model: &ui.Model{Speed: 1}} // the page lists the scenes once its first frame is drawn
	screen.SetSlowDown(SlowDown)
	return c, nil
}

// Model is what the panels show; it changes under the panels' lock.
func (c *Controller) Model() *ui.Model { return c.model }

// SetLocker gives the controller the panels' lock, once they run, and
// fills the scene editor if it waited for them (LazyEditor).
func (c *Controller) SetLocker(l Locker) {
	c.env = l
	if c.editorOf != nil {
		l.Lock()
		c.fillEditor(c.editorOf)
		c.editorOf = nil
		l.UnlockRender()
	}
}

// LazyEditor makes the scene editor's YAML wait until the panels run
// (SetLocker): a scene loaded before them, as the page's first is, does
// not hold up the world's first frame writing YAML nobody sees yet.
func (c *Controller) LazyEditor() { c.lazyEditor = true }

// HoldModel keeps the panels' model as it is until ReleaseModel. The page
// holds it until the world's first frame is drawn: its panels mount after
// that frame, and the model's first refresh (the world's metrics, the
// list of its devices and links, what is announced) would hold the frame
// up for nobody.
func (c *Controller) HoldModel() { c.modelHeld = true }

// ReleaseModel lets the model refresh again: at the next update, when a
// refresh came due while it was held.
func (c *Controller) ReleaseModel() { c.modelHeld = false }

// fillEditor puts sc as YAML in the scene editor.
func (c *Controller) fillEditor(sc *scenes.Scene) {
	if y, err := scenes.Marshal(sc); err == nil {
		c.model.Editor = string(y)
	}
}

// SetBoardSupport says whether the browser has Web Serial, and why not.
func (c *Controller) SetBoardSupport(ok bool, why string) { c.board.Supported, c.board.Why = ok, why }

// Name is the built-in scene's name, "" once edited.
func (c *Controller) Name() string { return c.name }

// Log is every action applied since the scene loaded, as the share link
// carries them.
func (c *Controller) Log() []sim.Action { return c.log }

// World is the live world.
func (c *Controller) World() *sim.World { return c.world }

// View is the world on screen as it was last read; Draw reads it afresh
// through ReadView when the world moved.
func (c *Controller) View() *sim.View { return &c.view }

// ReadView reads the view of the world on screen when it moved since it
// was last read.
func (c *Controller) ReadView() {
	if c.viewStale {
		c.shown().View(&c.view)
		c.viewStale = false
	}
}

// Close leaves the room and ends the board's link.
func (c *Controller) Close() {
	c.brd.stop()
	if c.room != nil {
		c.room.Close()
	}
}

// Send is how panels hand the game loop a command; it never blocks the
// panel's event handler.
func (c *Controller) Send(cmd ui.Command) {
	select {
	case c.cmds <- cmd:
	default:
		c.page.Info("too many commands at once; one was dropped")
	}
}

// Update runs one game update: what the room, the board and the panels
// sent, the world's clock, and what the person did in the world. It
// reports whether the panels' model was refreshed.
func (c *Controller) Update() (refreshed bool) {
	changed := false
	if c.room != nil {
		changed = c.roomEnvelopes()
	}
	changed = c.boardEvents() || changed
	changed = c.madeRooms() || changed
	for done := false; !done; {
		select {
		case cmd := <-c.cmds:
			c.run(cmd)
			changed = true
		default:
			done = true
		}
	}
	c.screen.SetSlowDown(SlowDown / c.speed)
	c.watchEvents()
	if c.room != nil && c.room.TL != nil {
		// The room's clock: every member runs the same tick at the same
		// moment, at 1×.
		c.roomAdvance(c.room.Tick(c.page.Now()))
		c.room.ReportHash()
	}
	if !c.paused && (c.room == nil || c.past != nil) {
		c.acc += 1000.0 / TPS * c.speed / SlowDown
		if n := int(c.acc); n > 0 {
			c.acc -= float64(n)
			c.stepShown(n)
		}
	}
	c.watchEvents()
	c.seekPending()
	// The view is read once a frame, in Draw: at a low frame rate several
	// updates run per frame, and reading 5,000 devices each time costs
	// more than drawing them. The selected device's messages are followed
	// every update, so then it is read here too.
	c.viewStale = true
	if sel, _ := c.screen.Selection(); sel != "" {
		c.shown().View(&c.view)
		c.viewStale = false
	}
	changed = c.worldInput() || changed
	c.updates++
	if changed || c.modelOwed || c.updates%modelEvery == 0 {
		if c.modelHeld {
			c.modelOwed = true
			return false
		}
		c.modelOwed = false
		c.refreshModel()
		return true
	}
	return false
}

// SetTheme notes the theme the world is drawn in, "light" or "dark";
// the panels show it at the next update.
func (c *Controller) SetTheme(name string) {
	c.a11y.name, c.a11y.themed = name, true
	c.page.Hook("theme", name)
}

// worldInput takes what the person did in the world (picking, dragging,
// keys) and reports whether the selection changed.
func (c *Controller) worldInput() bool {
	sel, selMsg := c.screen.Selection()
	for _, act := range c.screen.Input(&c.view) {
		c.apply(act)
	}
	nsel, nmsg := c.screen.Selection()
	if sel != nsel {
		c.recent = c.recent[:0]
		c.events.before = 0 // the list filters to the new selection from its newest row
	}
	changed := c.accessUpdate()
	c.trackRecent() // shown at the next periodic refresh: a busy broker must not re-render the panel every frame
	if sel != nsel || selMsg != nmsg {
		c.msg, c.events.picked = nil, 0
		changed = true
		if nsel != "" || nmsg != 0 {
			c.revealInspector() // show the inspector of what was picked
		}
		c.hookSelection()
	}
	return changed
}

// revealInspector asks the panel to bring the inspector into view, and
// tells window.thingyard how many times it was asked: the panel's
// data-revealed attribute reaches that count once the inspector is there.
func (c *Controller) revealInspector() {
	c.reveal++
	c.page.Hook("reveal", c.reveal)
}

// hookSelection tells window.thingyard the selection.
func (c *Controller) hookSelection() {
	sel, msg := c.screen.Selection()
	c.page.Hook("selected", sel)
	c.page.Hook("selectedMessage", msg)
}

// Shown is the world on screen: the past while looking back, else the
// live one.
func (c *Controller) Shown() *sim.World { return c.shown() }
