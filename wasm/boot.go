//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
)

// boot loads the scenario in the page's URL, the scene of scene=, or the
// default scene. A link that cannot be read is explained and the default
// scene loads anyway. A room= parameter joins that live room.
func (a *app) boot() {
	a.readOptions()
	href := js.Global().Get("location").Get("href").String()
	if id := js.Global().Get("URLSearchParams").New(js.Global().Get("location").Get("search")).Call("get", "room"); id.Truthy() {
		a.loadDefault() // shown until the room's welcome
		a.joinRoom(id.String())
		return
	}
	sc, err := scenes.FromURL(href)
	if errors.Is(err, scenes.ErrNoScenario) && a.sceneOption() {
		return
	}
	switch {
	case err == nil && sc.Start != nil:
		if err = a.loadFrom(&sc); err == nil {
			a.moment(&sc)
		}
	case err == nil:
		if err = a.load(sc.Scene, sc.Name, sc.Seed, sc.Actions); err == nil {
			a.runTo(sc.Tick) // open at the moment it was shared
			a.moment(&sc)
		}
	}
	if err != nil {
		if !errors.Is(err, scenes.ErrNoScenario) {
			notice("This share link could not be opened: " + err.Error() + ". Showing the default scene instead.")
		}
		a.loadDefault()
	}
}

// loadDefault loads the default scene.
func (a *app) loadDefault() {
	def, err := scenes.Builtin(scenes.Default)
	if err == nil {
		err = a.load(def, scenes.Default, def.Seed, nil)
	}
	if err != nil {
		notice("Thingyard could not build its world: " + err.Error())
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
	title := "Running the shared world to " + ui.Clock(tick) + "…"
	phase(title, "")
	last := perfNow()
	for a.world.Tick() < tick {
		a.world.Step(int(min(tick-a.world.Tick(), replayChunk, max(1, a.hist.Due()-a.world.Tick()))))
		a.hist.Record(a.world)
		if now := perfNow(); now-last >= replayReport && a.world.Tick() < tick {
			progress(a.world.Tick(), tick, ui.Clock(a.world.Tick())+" of "+ui.Clock(tick))
			last = perfNow()
		}
	}
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

// loadFrom replaces the world with a share link's world state and the
// actions after it, run to the link's moment.
func (a *app) loadFrom(sc *scenes.Scenario) error {
	if err := a.load(sc.Scene, sc.Name, sc.Seed, nil); err != nil {
		return err
	}
	phase("Running the shared world to "+ui.Clock(sc.Tick)+"…", "")
	tl := sim.NewTimelineAt(sc.Start)
	tl.AddAll(sc.Actions)
	tl.AdvanceTo(sc.Tick)
	a.world, a.from, a.log = tl.World(), sc.World, append([]sim.Action(nil), sc.Actions...)
	a.hist = sim.NewHistory(a.world, sim.HistoryWindow, sim.HistoryBudget)
	a.watchEvents()
	a.world.View(&a.view)
	return nil
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
	a.log, a.from = append([]sim.Action(nil), actions...), nil
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
