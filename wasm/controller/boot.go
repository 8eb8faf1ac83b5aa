package controller

import (
	"errors"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
)

// Boot loads the scenario in the page's URL, the scene of scene=, or the
// default scene. A link that cannot be read is explained and the default
// scene loads anyway. A room= parameter joins that live room.
func (c *Controller) Boot() {
	c.readOptions()
	if id := c.loc.Query().Get("room"); id != "" {
		c.loadDefault() // shown until the room's welcome
		c.joinRoom(id)
		return
	}
	sc, err := scenes.FromURL(c.href)
	if errors.Is(err, scenes.ErrNoScenario) && c.sceneOption() {
		return
	}
	switch {
	case err == nil && sc.Start != nil:
		if err = c.loadFrom(&sc); err == nil {
			c.moment(&sc)
		}
	case err == nil:
		if err = c.load(sc.Scene, sc.Name, sc.Seed, sc.Actions); err == nil {
			c.runTo(sc.Tick) // open at the moment it was shared
			c.moment(&sc)
		}
	}
	if err != nil {
		if !errors.Is(err, scenes.ErrNoScenario) {
			c.page.Notice("This share link could not be opened: " + err.Error() + ". Showing the default scene instead.")
		}
		c.loadDefault()
	}
}

// loadDefault loads the default scene.
func (c *Controller) loadDefault() {
	def, err := scenes.Builtin(scenes.Default)
	if err == nil {
		err = c.load(def, scenes.Default, def.Seed, nil)
	}
	if err != nil {
		c.page.Notice("Thingyard could not build its world: " + err.Error())
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
func (c *Controller) runTo(tick int64) {
	if tick <= 0 {
		return
	}
	title := "Running the shared world to " + ui.Clock(tick) + "…"
	c.page.Progress(title, 0, 0, "")
	last := c.page.Now()
	for c.world.Tick() < tick {
		c.world.Step(int(min(tick-c.world.Tick(), replayChunk, max(1, c.hist.Due()-c.world.Tick()))))
		c.hist.Record(c.world)
		if now := c.page.Now(); now-last >= replayReport && c.world.Tick() < tick {
			c.page.Progress("", c.world.Tick(), tick, ui.Clock(c.world.Tick())+" of "+ui.Clock(tick))
			last = c.page.Now()
		}
	}
}

// moment brings back what the sharer of a link saw besides the world:
// paused or running, the device or message inspected (when it is there at
// that moment) and the part of the world on screen.
func (c *Controller) moment(sc *scenes.Scenario) {
	c.paused = sc.Paused
	sel, msg := "", uint64(0)
	if _, ok := c.world.Device(sc.Selected); ok && sc.Selected != "" {
		sel = sc.Selected
	}
	if mi, ok := c.world.Message(sc.Message); ok && sc.Message != 0 {
		msg, c.msg = sc.Message, &mi
	}
	if sel != "" || msg != 0 {
		c.screen.Select(sel, msg)
		c.revealInspector()
		c.hookSelection()
	}
	if v := sc.View; v != nil {
		c.screen.Show(v.X, v.Y, v.W, v.H)
	}
}

// loadFrom replaces the world with a share link's world state and the
// actions after it, run to the link's moment.
func (c *Controller) loadFrom(sc *scenes.Scenario) error {
	if err := c.load(sc.Scene, sc.Name, sc.Seed, nil); err != nil {
		return err
	}
	c.page.Progress("Running the shared world to "+ui.Clock(sc.Tick)+"…", 0, 0, "")
	tl := sim.NewTimelineAt(sc.Start)
	tl.AddAll(sc.Actions)
	tl.AdvanceTo(sc.Tick)
	c.world, c.from, c.log = tl.World(), sc.World, append([]sim.Action(nil), sc.Actions...)
	c.hist = sim.NewHistory(c.world, sim.HistoryWindow, sim.HistoryBudget)
	c.watchEvents()
	c.world.View(&c.view)
	return nil
}

// load replaces the world with a scene and, for a share link, the actions
// taken in it.
func (c *Controller) load(sc *scenes.Scene, name string, seed uint64, actions []sim.Action) error {
	w, err := sim.New(scenes.Fold(sc, actions).Spec, seed)
	if err != nil {
		return err
	}
	c.scene, c.name, c.seed, c.world = sc, name, seed, w
	c.hist, c.past, c.pastStale, c.seekTo, c.timeNote = sim.NewHistory(w, sim.HistoryWindow, sim.HistoryBudget), nil, false, nil, ""
	c.log, c.from = append([]sim.Action(nil), actions...), nil
	c.msg = nil
	c.screen.Select("", 0)
	c.resetEvents()
	c.watchEvents()
	c.recent = c.recent[:0]
	c.hookSelection()
	c.titles = c.titles[:0]
	for _, s := range sc.Sides {
		c.titles = append(c.titles, s.Title)
	}
	c.screen.Refit(c.titles)
	c.board.InScene = c.boardDevice()
	c.a11y.listFrom, c.a11y.listDue = 0, true
	m := c.model
	m.Links = m.Links[:0]
	for _, l := range sc.Links {
		if l.Medium != "internet" {
			m.Links = append(m.Links, ui.LinkChoice{ID: l.ID, Label: l.ID + " (" + l.Medium + ")"})
		}
	}
	if c.lazyEditor && c.env == nil {
		c.editorOf, m.Editor = sc, ""
	} else {
		c.fillEditor(sc)
	}
	m.Share, m.ShareNote, m.EditorError = "", "", ""
	w.View(&c.view)
	return nil
}
