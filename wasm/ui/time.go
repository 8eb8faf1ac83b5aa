package ui

import (
	"fmt"
	"strconv"

	"github.com/vugu/vugu"
)

// The time controls: go back a frame, on a frame, scrub through the run
// kept, return to live. What they show is in Model.Time.

// BackFrame shows the world at the last frame sent before the one shown.
func (c *Root) BackFrame(vugu.DOMEvent) { c.Send(Back{}) }

// NextFrame steps the world shown on to the next frame sent.
func (c *Root) NextFrame(vugu.DOMEvent) { c.Send(Next{}) }

// GoLive returns to the live world.
func (c *Root) GoLive(vugu.DOMEvent) { c.Send(Live{}) }

// Scrub shows the world at the scrubber's tick.
func (c *Root) Scrub(e vugu.DOMEvent) {
	v, err := strconv.ParseInt(e.PropString("target", "value"), 10, 64)
	if err != nil {
		return
	}
	c.Send(Seek{Tick: v})
}

func (c *Root) tickValue() string { return strconv.FormatInt(c.Model.Tick, 10) }

// behindText says how far behind live the world shown is, in simulated
// seconds, and what that means for actions.
func (c *Root) behindText() string {
	return BehindText(c.Model.Time.Live-c.Model.Tick, c.Model.Room != "")
}

// BehindText is the banner shown while looking back, behind ticks behind
// live.
func BehindText(behind int64, room bool) string {
	s := fmt.Sprintf("Looking back: %.1f s behind live.", float64(behind)/1000)
	if room {
		return s + " The room runs on without you; actions are off until you return to live."
	}
	return s + " Actions are off until you return to live."
}

// keptText says how much of the run the scrubber reaches.
func (c *Root) keptText() string {
	ms := c.Model.Time.Live - c.Model.Time.Oldest
	return fmt.Sprintf("scrub back %d:%02d", ms/60000, ms/1000%60)
}
