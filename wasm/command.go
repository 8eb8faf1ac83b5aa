//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
	"github.com/thingyard/thingyard/wire"
)

// run carries out a command of the panels, on the game loop.
func (a *app) run(c ui.Command) {
	if a.room != nil && a.sharedInRoom(c) {
		notice("In a live room everyone shares one clock and one scene: open Thingyard without room= to change them.")
		return
	}
	if a.eventCommand(c) {
		return
	}
	a.timeNote = "" // what the time controls said is about the last command
	if a.timeCommand(c) {
		return
	}
	switch c := c.(type) {
	case ui.Act:
		a.apply(c.Action)
	case ui.Select:
		a.selectDevice(c.Device)
	case ui.ListFrom:
		a.a11y.listFrom, a.a11y.listDue = c.From, true
	case ui.PickRecent:
		a.pickRecent(c.Index)
	case ui.SetSpeed:
		a.speed = c.Speed
	case ui.Reset:
		if err := a.load(a.scene, a.name, a.seed, nil); err != nil {
			notice(err.Error())
		}
	case ui.LoadScene:
		sc, err := scenes.Builtin(c.Name)
		if err == nil {
			err = a.load(sc, c.Name, sc.Seed, nil)
		}
		if err != nil {
			notice(err.Error())
			return
		}
		a.setURL(a.link())
	case ui.ApplyYAML:
		a.applyYAML(c.YAML)
	case ui.NewRoom:
		a.createRoom()
	case ui.JoinRoom:
		a.joinRoom(c.ID)
	case ui.SendBoard:
		a.sendBoard(c.Text)
	case ui.EmbedCode:
		a.embedCode()
	case ui.Picture:
		a.pics.want = true // taken when the next frame is drawn
	case ui.Record:
		a.toggleRecord()
	case ui.Share:
		a.share()
	}
}

// sharedInRoom reports whether c would change what the members of a live
// room share: its clock or its scene.
func (a *app) sharedInRoom(c ui.Command) bool {
	switch c.(type) {
	case ui.SetSpeed:
		return a.past == nil // looking back, the speed is this page's own
	case ui.Reset, ui.LoadScene, ui.ApplyYAML:
		return true
	}
	return false
}

// pickRecent inspects message i of the panel's recent list. That list is
// a copy of a.recent made at its last refresh; newer messages may have
// pushed this one along since.
func (a *app) pickRecent(i int) {
	if i < 0 || i >= len(a.model.Recent) {
		return
	}
	m := a.model.Recent[i]
	a.r.SelectedMsg, a.msg, a.events.picked = m.ID, &m, 0
	a.state.Set("selectedMessage", m.ID)
	a.markHop(m)
}

// applyYAML loads the scene of the editor, or shows why it cannot.
func (a *app) applyYAML(text string) {
	sc, err := scenes.Parse("scene.yaml", []byte(text))
	if err == nil {
		err = a.load(sc, "", sc.Seed, nil)
	}
	if err != nil {
		a.model.EditorError = err.Error()
		return
	}
	a.model.Editor = text
	a.setURL(a.link())
}

// share puts the share link in the address bar and the share panel, and
// copies it.
// A world too large for a link is said so, and, in a live room, the
// room's link is offered instead.
func (a *app) share() {
	l, err := a.shareLink()
	if err != nil {
		a.model.Share, a.model.ShareNote = "", "No link can hold this world: "+err.Error()+"."
		if a.room != nil {
			a.model.Share = roomLink(a.room.ID)
			a.model.ShareNote += " Share the live room's link instead (copied): whoever opens it joins this world as it is now."
			copyText(a.model.Share)
		}
		return
	}
	a.setURL(l)
	a.model.Share = l
	a.model.ShareNote = "Copied: whoever opens it sees this world."
	if !copyText(l) {
		a.model.ShareNote = "Select the link and copy it."
	}
}

// roomLead is how far ahead of now a browser in a room schedules its own
// actions, so they reach every member before their tick (0.2 s at 1×).
const roomLead = 20

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
		consoleInfo(err.Error())
	}
}

// link is the share link of the world as it is, or the page's own URL
// when no link can hold it.
func (a *app) link() string {
	l, err := a.shareLink()
	if err != nil {
		consoleInfo("share link: " + err.Error())
		loc := js.Global().Get("location")
		return loc.Get("origin").String() + loc.Get("pathname").String()
	}
	return l
}

// shareLink is the share link of the world as it is: the scene and the
// actions since load or, when the page's world started from a world state
// (a live room's, or a link's), that state and the actions after it.
func (a *app) shareLink() (string, error) {
	loc := js.Global().Get("location")
	base := loc.Get("origin").String() + loc.Get("pathname").String()
	sc := scenes.Scenario{Name: a.name, Scene: a.scene, Seed: a.seed, Actions: a.log, Tick: a.shown().Tick(),
		Paused: a.paused, Selected: a.r.Selected, Message: a.r.SelectedMsg, World: a.from}
	if a.room != nil && a.room.World != nil {
		w, err := wire.UnpackWorld(a.room.World)
		if err != nil {
			return "", err
		}
		sc.World = w.State()
	}
	if a.r.Framed() {
		cx, cy, w, h := a.r.Cam.Rect()
		sc.View = &scenes.View{X: cx, Y: cy, W: w, H: h}
	}
	return scenes.Link(base, sc)
}

func (a *app) setURL(u string) {
	js.Global().Get("history").Call("replaceState", nil, "", u)
}
