package controller

import (
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
)

// Time controls. The live world runs on (alone, or with the room); the
// history keeps its recent past. Looking back shows a world taken from
// the history (c.past) instead, privately: in a room the live world keeps
// taking the room's envelopes, and this page's actions are off until it
// returns to live.

// maxFrameWait is the most ticks "next frame" steps looking for one (a
// simulated minute), so a silent world does not hang the page.
const maxFrameWait = 60_000

// shown is the world on screen: the past while looking back, else the
// live one.
func (c *Controller) shown() *sim.World {
	if c.past != nil {
		return c.past
	}
	return c.world
}

// stepShown steps the world on screen n ticks. A past that reaches the
// live world's tick has become it: the page is live again. Alone, the
// live world waited at its tick meanwhile.
func (c *Controller) stepShown(n int) {
	if c.past == nil {
		c.world.Step(n)
		c.hist.Record(c.world)
		return
	}
	c.freshPast()
	if c.past == nil {
		return
	}
	c.past.Step(int(min(int64(n), c.world.Tick()-c.past.Tick())))
	if c.past.Tick() >= c.world.Tick() {
		c.goLive()
	}
}

// roomAdvance runs a room's live world to its clock's tick, stopping at
// each copy the history takes on the way. The history starts once the
// room's world is at now: what came before the page joined is not kept.
func (c *Controller) roomAdvance(tick int64) {
	tl := c.room.TL
	if c.hist == nil {
		tl.AdvanceTo(tick)
		c.world = tl.World()
		c.hist = sim.NewHistory(c.world, sim.HistoryWindow, sim.HistoryBudget)
		return
	}
	for tl.World().Tick() < tick {
		tl.AdvanceTo(min(tick, max(c.hist.Due(), tl.World().Tick()+1)))
		c.world = tl.World() // replaced when a late action rebuilt it
		c.hist.Record(c.world)
	}
	c.world = tl.World()
}

// pastAdd gives an action of the room to the history and to the past on
// screen: one due after the past's tick waits there for it; one before
// means the past is no longer what the room's world was, and is taken
// again.
func (c *Controller) pastAdd(act sim.Action) {
	if c.hist == nil {
		return // the history starts from a world that has it
	}
	c.hist.Add(act)
	if c.past == nil {
		return
	}
	if act.At > c.past.Tick() {
		c.past.Apply(act) // a refusal is the live world's too
	} else {
		c.pastStale = true
	}
}

// freshPast takes the past again from the history when an action made it
// wrong.
func (c *Controller) freshPast() {
	if !c.pastStale || c.past == nil {
		return
	}
	c.pastStale = false
	c.showAt(c.past.Tick())
}

// timeCommand carries out a command of the time controls (pause and step
// included), and reports whether c was one.
func (c *Controller) timeCommand(cmd ui.Command) bool {
	switch cmd.(type) {
	case ui.Pause, ui.Step, ui.Seek, ui.Back, ui.Next:
		if c.hist == nil {
			c.timeNote = "The room's world is still catching up with the room; try again in a moment."
			return true
		}
	}
	switch cmd := cmd.(type) {
	case ui.Pause:
		c.pause(cmd.Paused)
	case ui.Step:
		if c.room != nil && c.past == nil {
			c.timeNote = "This is live: the room's world steps on with the room's clock."
			return true
		}
		c.stepShown(1)
	case ui.Seek:
		c.seekTo = &cmd.Tick // once an update, however fast the scrubber moves
	case ui.Back:
		c.freshPast()
		w, err := c.hist.Back(c.shown().Tick())
		if err != nil {
			c.timeNote = "This is the oldest moment kept (" + ui.Clock(c.hist.Oldest()) + ")."
			return true
		}
		c.showPast(w)
	case ui.Next:
		c.nextFrame()
	case ui.Live:
		c.goLive()
	default:
		return false
	}
	return true
}

// pause pauses the world on screen or runs it on. Pausing a room's world
// is a private look back at now; running it on again runs it at 1×.
func (c *Controller) pause(paused bool) {
	c.paused = paused
	if c.room != nil && c.paused && c.past == nil {
		c.past = c.world.Clone()
	}
	if c.room != nil && !c.paused && c.past == nil {
		c.speed = 1
	}
}

// nextFrame steps the world on screen to the next frame it sends.
func (c *Controller) nextFrame() {
	switch {
	case c.past != nil:
		c.freshPast()
		if c.past == nil {
			return
		}
		c.past.StepToFrame(int(min(maxFrameWait, c.world.Tick()-c.past.Tick())))
		if c.past.Tick() >= c.world.Tick() {
			c.goLive()
		}
	case c.room != nil:
		c.timeNote = "This is live: the next frame comes when the room's world gets there."
	default:
		c.paused = true
		if c.world.StepToFrame(maxFrameWait) == maxFrameWait {
			c.timeNote = "No frame was sent in a simulated minute."
		}
		c.hist.Record(c.world)
	}
}

// seekPending shows the scrubber's last tick.
func (c *Controller) seekPending() {
	if c.seekTo == nil {
		return
	}
	tick := *c.seekTo
	c.seekTo = nil
	start := c.page.Now()
	if tick >= c.world.Tick() {
		c.goLive()
	} else {
		c.showAt(max(tick, c.hist.Oldest()))
	}
	c.seeks++
	c.page.Hook("seekMs", c.page.Now()-start)
	c.page.Hook("seekDone", c.seeks)
}

// showAt shows the world as it was at tick.
func (c *Controller) showAt(tick int64) {
	w, err := c.hist.At(tick)
	if err != nil {
		c.timeNote = err.Error()
		c.goLive()
		return
	}
	c.showPast(w)
}

func (c *Controller) showPast(w *sim.World) {
	c.past, c.paused, c.viewStale = w, true, true
	c.msg = nil // a message of another moment
}

// goLive shows the live world again.
func (c *Controller) goLive() {
	if c.past == nil {
		return
	}
	c.past, c.pastStale, c.viewStale = nil, false, true
	if c.room != nil {
		c.paused, c.speed = false, 1
	}
}

// timeModel fills what the time controls show and the page's hooks.
func (c *Controller) timeModel() {
	t := &c.model.Time
	t.Live, t.Back, t.Note = c.world.Tick(), c.past != nil, c.timeNote
	t.Oldest = t.Live
	if c.hist != nil {
		t.Oldest = c.hist.Oldest()
		c.page.Hook("history", map[string]any{"oldest": t.Oldest, "every": c.hist.Every(), "copies": c.hist.Len(), "bytes": c.hist.Bytes()})
	}
	c.page.Hook("live", t.Live)
	c.page.Hook("back", t.Back)
}
