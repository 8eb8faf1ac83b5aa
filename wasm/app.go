//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/vugu/vugu"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/render"
	"github.com/thingyard/thingyard/wasm/ui"
)

// Loop timing.
const (
	tps = 60 // game updates per second
	// slowDown is how much slower than real time the world runs at speed
	// 1×, so a 9600-baud Modbus poll or a 20 ms internet hop can be followed
	// by eye. The speed control multiplies on top of it.
	slowDown = 10
	// modelEvery is how many updates pass between panel refreshes (4 a
	// second), so the panels never stall the canvas.
	modelEvery = tps / 4
)

// app is the ebiten.Game: it owns the world. Panels and the renderer read
// from it; their changes come back as commands and actions applied here, on
// the game loop, and nowhere else.
type app struct {
	spec  sim.Spec
	seed  uint64
	world *sim.World
	view  sim.View
	r     *render.Renderer

	paused  bool
	speed   float64
	acc     float64 // ticks owed to the world, fractional
	updates int
	frames  int
	ready   bool

	cmds  chan ui.Command
	model *ui.Model
	env   vugu.EventEnv
	state js.Value // window.thingyard, read by tests
}

func newApp(spec sim.Spec, seed uint64) (*app, error) {
	w, err := sim.New(spec, seed)
	if err != nil {
		return nil, err
	}
	a := &app{spec: spec, seed: seed, world: w, r: render.New(), speed: 1,
		cmds: make(chan ui.Command, 64), model: &ui.Model{Speed: 1}}
	a.r.SlowDown = slowDown
	for _, s := range spec.Sides {
		a.r.Titles = append(a.r.Titles, s.Title)
	}
	if mq := js.Global().Call("matchMedia", "(prefers-reduced-motion: reduce)"); mq.Truthy() {
		a.r.ReducedMotion = mq.Get("matches").Bool()
	}
	a.state = js.Global().Get("Object").New()
	a.state.Set("ready", false)
	a.state.Set("frames", 0)
	js.Global().Set("thingyard", a.state)
	w.View(&a.view)
	a.refreshModel()
	return a, nil
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

func (a *app) Update() error {
	for done := false; !done; {
		select {
		case c := <-a.cmds:
			a.run(c)
		default:
			done = true
		}
	}
	if !a.paused {
		a.acc += float64(1000/sim.TickMicros) * 1000 / tps * a.speed / slowDown
		if n := int(a.acc); n > 0 {
			a.acc -= float64(n)
			a.world.Step(n)
		}
	}
	a.world.View(&a.view)
	for _, act := range a.r.Update(&a.view) {
		a.apply(act)
	}
	a.updates++
	if a.updates%modelEvery == 0 {
		a.refreshModel()
	}
	return nil
}

func (a *app) run(c ui.Command) {
	switch {
	case c.Action != nil:
		a.apply(*c.Action)
	case c.Pause != nil:
		a.paused = *c.Pause
	case c.Speed > 0:
		a.speed = c.Speed
	case c.Reset:
		if w, err := sim.New(a.spec, a.seed); err == nil {
			a.world = w
		}
	}
}

func (a *app) apply(act sim.Action) {
	if err := a.world.Apply(act); err != nil {
		js.Global().Get("console").Call("info", "Thingyard: "+err.Error())
	}
}

// refreshModel copies what the panels show, under the panels' lock, and
// asks them to render.
func (a *app) refreshModel() {
	if a.env != nil {
		a.env.Lock()
	}
	m := a.model
	m.Scene, m.Title, m.Lesson = a.spec.Name, a.spec.Title, a.spec.Lesson
	m.Tick = a.world.Tick()
	m.Paused, m.Speed = a.paused, a.speed
	m.Sides = a.world.Metrics()
	m.Refusal, _ = a.world.LastRefusal()
	if a.updates%(modelEvery*2) == 0 {
		m.Hash = sim.HashString(a.world.Hash())
		a.state.Set("hash", m.Hash)
	}
	m.Selected = nil
	if a.r.Selected != "" {
		if d, ok := a.world.Device(a.r.Selected); ok {
			m.Selected = &d
		}
	}
	a.state.Set("tick", m.Tick)
	if a.env != nil {
		a.env.UnlockRender()
	}
}

func (a *app) Draw(screen *ebiten.Image) {
	a.r.Draw(screen, &a.view)
	a.frames++
	a.state.Set("frames", a.frames)
	if !a.ready {
		a.ready = true
		a.state.Set("ready", true)
		a.state.Set("hash", sim.HashString(a.world.Hash()))
		doc := js.Global().Get("document")
		doc.Call("dispatchEvent", js.Global().Get("Event").New("thingyard:ready"))
	}
}

func (a *app) Layout(w, h int) (int, int) { return a.r.Layout(w, h) }
