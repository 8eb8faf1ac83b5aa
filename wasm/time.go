//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
)

// Time controls. The live world runs on (alone, or with the room); the
// history keeps its recent past. Looking back shows a world taken from
// the history (a.past) instead, privately: in a room the live world keeps
// taking the room's envelopes, and this page's actions are off until it
// returns to live.

// maxFrameWait is the most ticks "next frame" steps looking for one (a
// simulated minute), so a silent world does not hang the page.
const maxFrameWait = 60_000

// shown is the world on screen: the past while looking back, else the
// live one.
func (a *app) shown() *sim.World {
	if a.past != nil {
		return a.past
	}
	return a.world
}

// stepShown steps the world on screen n ticks. A past that reaches the
// live world's tick has become it: the page is live again. Alone, the
// live world waited at its tick meanwhile.
func (a *app) stepShown(n int) {
	if a.past == nil {
		a.world.Step(n)
		a.hist.Record(a.world)
		return
	}
	a.freshPast()
	if a.past == nil {
		return
	}
	a.past.Step(int(min(int64(n), a.world.Tick()-a.past.Tick())))
	if a.past.Tick() >= a.world.Tick() {
		a.goLive()
	}
}

// roomAdvance runs a room's live world to its clock's tick, stopping at
// each copy the history takes on the way. The history starts once the
// room's world is at now: what came before the page joined is not kept.
func (a *app) roomAdvance(tick int64) {
	tl := a.room.TL
	if a.hist == nil {
		tl.AdvanceTo(tick)
		a.world = tl.World()
		a.hist = sim.NewHistory(a.world, sim.HistoryWindow, sim.HistoryBudget)
		return
	}
	for tl.World().Tick() < tick {
		tl.AdvanceTo(min(tick, max(a.hist.Due(), tl.World().Tick()+1)))
		a.world = tl.World() // replaced when a late action rebuilt it
		a.hist.Record(a.world)
	}
	a.world = tl.World()
}

// pastAdd gives an action of the room to the history and to the past on
// screen: one due after the past's tick waits there for it; one before
// means the past is no longer what the room's world was, and is taken
// again.
func (a *app) pastAdd(act sim.Action) {
	if a.hist == nil {
		return // the history starts from a world that has it
	}
	a.hist.Add(act)
	if a.past == nil {
		return
	}
	if act.At > a.past.Tick() {
		a.past.Apply(act) // a refusal is the live world's too
	} else {
		a.pastStale = true
	}
}

// freshPast takes the past again from the history when an action made it
// wrong.
func (a *app) freshPast() {
	if !a.pastStale || a.past == nil {
		return
	}
	a.pastStale = false
	a.showAt(a.past.Tick())
}

// timeCommand carries out a command of the time controls (pause and step
// included), and reports whether c was one.
func (a *app) timeCommand(c ui.Command) bool {
	switch c.(type) {
	case ui.Pause, ui.Step, ui.Seek, ui.Back, ui.Next:
		if a.hist == nil {
			a.timeNote = "The room's world is still catching up with the room; try again in a moment."
			return true
		}
	}
	switch c := c.(type) {
	case ui.Pause:
		a.pause(c.Paused)
	case ui.Step:
		if a.room != nil && a.past == nil {
			a.timeNote = "This is live: the room's world steps on with the room's clock."
			return true
		}
		a.stepShown(1)
	case ui.Seek:
		a.seekTo = &c.Tick // once an update, however fast the scrubber moves
	case ui.Back:
		a.freshPast()
		w, err := a.hist.Back(a.shown().Tick())
		if err != nil {
			a.timeNote = "This is the oldest moment kept (" + ui.Clock(a.hist.Oldest()) + ")."
			return true
		}
		a.showPast(w)
	case ui.Next:
		a.nextFrame()
	case ui.Live:
		a.goLive()
	default:
		return false
	}
	return true
}

// pause pauses the world on screen or runs it on. Pausing a room's world
// is a private look back at now; running it on again runs it at 1×.
func (a *app) pause(paused bool) {
	a.paused = paused
	if a.room != nil && a.paused && a.past == nil {
		a.past = a.world.Clone()
	}
	if a.room != nil && !a.paused && a.past == nil {
		a.speed = 1
	}
}

// nextFrame steps the world on screen to the next frame it sends.
func (a *app) nextFrame() {
	switch {
	case a.past != nil:
		a.freshPast()
		if a.past == nil {
			return
		}
		a.past.StepToFrame(int(min(maxFrameWait, a.world.Tick()-a.past.Tick())))
		if a.past.Tick() >= a.world.Tick() {
			a.goLive()
		}
	case a.room != nil:
		a.timeNote = "This is live: the next frame comes when the room's world gets there."
	default:
		a.paused = true
		if a.world.StepToFrame(maxFrameWait) == maxFrameWait {
			a.timeNote = "No frame was sent in a simulated minute."
		}
		a.hist.Record(a.world)
	}
}

// seekPending shows the scrubber's last tick.
func (a *app) seekPending() {
	if a.seekTo == nil {
		return
	}
	tick := *a.seekTo
	a.seekTo = nil
	start := perfNow()
	if tick >= a.world.Tick() {
		a.goLive()
	} else {
		a.showAt(max(tick, a.hist.Oldest()))
	}
	a.seeks++
	a.state.Set("seekMs", perfNow()-start)
	a.state.Set("seekDone", a.seeks)
}

// showAt shows the world as it was at tick.
func (a *app) showAt(tick int64) {
	w, err := a.hist.At(tick)
	if err != nil {
		a.timeNote = err.Error()
		a.goLive()
		return
	}
	a.showPast(w)
}

func (a *app) showPast(w *sim.World) {
	a.past, a.paused, a.viewStale = w, true, true
	a.msg = nil // a message of another moment
}

// goLive shows the live world again.
func (a *app) goLive() {
	if a.past == nil {
		return
	}
	a.past, a.pastStale, a.viewStale = nil, false, true
	if a.room != nil {
		a.paused, a.speed = false, 1
	}
}

// timeModel fills what the time controls show and the page's hooks.
func (a *app) timeModel() {
	t := &a.model.Time
	t.Live, t.Back, t.Note = a.world.Tick(), a.past != nil, a.timeNote
	t.Oldest = t.Live
	if a.hist != nil {
		t.Oldest = a.hist.Oldest()
		hs := js.Global().Get("Object").New()
		hs.Set("oldest", t.Oldest)
		hs.Set("every", a.hist.Every())
		hs.Set("copies", a.hist.Len())
		hs.Set("bytes", a.hist.Bytes())
		a.state.Set("history", hs)
	}
	a.state.Set("live", t.Live)
	a.state.Set("back", t.Back)
}

// seekJS is window.thingyard.seek(tick): scrub to tick as the scrubber
// does. seekDone counts the seeks done and seekMs says how long the last
// took, for tests and benchmarks.
func (a *app) seekJS(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	t := int64(args[0].Float())
	a.send(ui.Seek{Tick: t})
	return nil
}
