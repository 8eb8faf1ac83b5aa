package controller

import (
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
	"github.com/thingyard/thingyard/wire"
)

// run carries out a command of the panels, on the game loop.
func (c *Controller) run(cmd ui.Command) {
	if c.room != nil && c.sharedInRoom(cmd) {
		c.page.Notice("In a live room everyone shares one clock and one scene: open Thingyard without room= to change them.")
		return
	}
	if c.eventCommand(cmd) {
		return
	}
	c.timeNote = "" // what the time controls said is about the last command
	if c.timeCommand(cmd) {
		return
	}
	switch cmd := cmd.(type) {
	case ui.Act:
		c.apply(cmd.Action)
	case ui.Select:
		c.selectDevice(cmd.Device)
	case ui.ListFrom:
		c.a11y.listFrom, c.a11y.listDue = cmd.From, true
	case ui.PickRecent:
		c.pickRecent(cmd.Index)
	case ui.SetSpeed:
		c.speed = cmd.Speed
	case ui.Reset:
		if err := c.load(c.scene, c.name, c.seed, nil); err != nil {
			c.page.Notice(err.Error())
		}
	case ui.LoadScene:
		sc, err := scenes.Builtin(cmd.Name)
		if err == nil {
			err = c.load(sc, cmd.Name, sc.Seed, nil)
		}
		if err != nil {
			c.page.Notice(err.Error())
			return
		}
		c.setURL(c.link())
	case ui.ApplyYAML:
		c.applyYAML(cmd.YAML)
	case ui.NewRoom:
		c.createRoom()
	case ui.JoinRoom:
		c.joinRoom(cmd.ID)
	case ui.SendBoard:
		c.sendBoard(cmd.Text)
	case ui.EmbedCode:
		c.embedCode()
	case ui.Picture:
		c.page.Picture()
	case ui.Record:
		c.page.Record()
	case ui.Share:
		c.share()
	}
}

// sharedInRoom reports whether c would change what the members of a live
// room share: its clock or its scene.
func (c *Controller) sharedInRoom(cmd ui.Command) bool {
	switch cmd.(type) {
	case ui.SetSpeed:
		return c.past == nil // looking back, the speed is this page's own
	case ui.Reset, ui.LoadScene, ui.ApplyYAML:
		return true
	}
	return false
}

// pickRecent inspects message i of the panel's recent list. That list is
// a copy of c.recent made at its last refresh; newer messages may have
// pushed this one along since.
func (c *Controller) pickRecent(i int) {
	if i < 0 || i >= len(c.model.Recent) {
		return
	}
	m := c.model.Recent[i]
	sel, _ := c.screen.Selection()
	c.screen.Select(sel, m.ID)
	c.msg, c.events.picked = &m, 0
	c.hookSelection()
	c.markHop(m)
}

// applyYAML loads the scene of the editor, or shows why it cannot.
func (c *Controller) applyYAML(text string) {
	sc, err := scenes.Parse("scene.yaml", []byte(text))
	if err == nil {
		err = c.load(sc, "", sc.Seed, nil)
	}
	if err != nil {
		c.model.EditorError = err.Error()
		return
	}
	c.model.Editor = text
	c.setURL(c.link())
}

// share puts the share link in the address bar and the share panel, and
// copies it.
//
// A world too large for a link is said so, and, in a live room, the
// room's link is offered instead.
func (c *Controller) share() {
	l, err := c.shareLink()
	if err != nil {
		c.model.Share, c.model.ShareNote = "", "No link can hold this world: "+err.Error()+"."
		if c.room != nil {
			c.model.Share = c.roomLink(c.room.ID)
			c.model.ShareNote += " Share the live room's link instead (copied): whoever opens it joins this world as it is now."
			c.page.Copy(c.model.Share)
		}
		return
	}
	c.setURL(l)
	c.model.Share = l
	c.model.ShareNote = "Copied: whoever opens it sees this world."
	if !c.page.Copy(l) {
		c.model.ShareNote = "Select the link and copy it."
	}
}

// roomLead is how far ahead of now a browser in a room schedules its own
// actions, so they reach every member before their tick (0.2 s at 1×).
const roomLead = 20

// apply applies an action now and logs it with its tick, so a share link
// replays it at the same moment. A refused action is logged too: a replay
// refuses it the same way.
func (c *Controller) apply(act sim.Action) {
	if c.past != nil {
		c.timeNote = "Looking back: actions are off. Press Live to act on the world."
		return
	}
	if c.room != nil {
		// In a room an action is applied when the room relays it back,
		// by every member at the same tick.
		act.At = c.world.Tick() + roomLead
		if err := act.Check(); err != nil {
			c.page.Notice(err.Error())
			return
		}
		kind := wire.KindAction
		if act.Kind == sim.ActReading {
			kind = wire.KindReading
		}
		if !c.room.Send(kind, act) {
			c.page.Notice("Not connected to the room right now; try again in a moment.")
		}
		return
	}
	act.At = c.world.Tick()
	if err := act.Check(); err != nil {
		c.page.Notice(err.Error())
		return
	}
	c.toBoard(act)
	c.log = append(c.log, act)
	c.hist.Add(act)
	if err := c.world.Apply(act); err != nil {
		c.page.Info(err.Error())
	}
}

// origin is the page's origin: scheme, host and port.
func (c *Controller) origin() string { return c.loc.Scheme + "://" + c.loc.Host }

// link is the share link of the world as it is.
func (c *Controller) link() string {
	l, err := c.shareLink()
	if err != nil {
		c.page.Info("share link: " + err.Error())
		return c.origin() + c.loc.EscapedPath()
	}
	return l
}

// shareLink is the share link of the world as it is: the scene and the
// actions since load or, when the page's world started from a world state
// (a live room's, or a link's), that state and the actions after it.
func (c *Controller) shareLink() (string, error) {
	base := c.origin() + c.loc.EscapedPath()
	sel, msg := c.screen.Selection()
	sc := scenes.Scenario{Name: c.name, Scene: c.scene, Seed: c.seed, Actions: c.log, Tick: c.shown().Tick(),
		Paused: c.paused, Selected: sel, Message: msg, World: c.from}
	if c.room != nil && c.room.World != nil {
		w, err := wire.UnpackWorld(c.room.World)
		if err != nil {
			return "", err
		}
		sc.World = w.State()
	}
	if cx, cy, w, h, framed := c.screen.Camera(); framed {
		sc.View = &scenes.View{X: cx, Y: cy, W: w, H: h}
	}
	return scenes.Link(base, sc)
}

func (c *Controller) setURL(u string) { c.page.SetURL(u) }
