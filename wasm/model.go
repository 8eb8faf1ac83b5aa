//go:build js && wasm

package main

import (
	"strconv"
	"syscall/js"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
	"github.com/thingyard/thingyard/wasm/ui"
)

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
	if txt, at := w.LastRefusal(); txt != "" && w.Tick()-at < refusalShown {
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
		a.roomModel(m)
	}
	a.hashModel(w)
	a.accessModel(m)
	a.inspectorModel(w)
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

// refusalShown is how long the panel shows the world's last refusal: 20,000
// ticks (20 simulated seconds).
const refusalShown = 20_000

// roomModel fills what the panels show of the live room: its link, the
// connection, its members and where its MQTT broker answers.
func (a *app) roomModel(m *ui.Model) {
	m.Room, m.RoomStatus, m.Members = a.room.ID, a.room.Status(), a.memberCount()
	m.Origin = js.Global().Get("location").Get("origin").String()
	m.RoomLink = roomLink(a.room.ID)
	m.MQTTToken = a.room.Token
	m.MQTTHost, m.MQTTPort = a.room.Broker(js.Global().Get("location").Get("hostname").String())
}

// memberCount is how many browsers share the live room, 0 alone.
func (a *app) memberCount() int {
	if a.room == nil {
		return 0
	}
	return len(a.room.Members)
}

// markKept is how many of the world's latest hash marks window.thingyard
// holds.
const markKept = 120

// hashModel gives the panel and window.thingyard the world's hash, and
// window.thingyard its latest hash marks, by tick.
func (a *app) hashModel(w *sim.World) {
	m := a.model
	m.Hash = sim.HashString(w.Hash())
	a.state.Set("hash", m.Hash)
	a.state.Set("tick", m.Tick)
	marks := js.Global().Get("Object").New()
	hs := w.Hashes()
	for _, h := range hs[max(0, len(hs)-markKept):] {
		marks.Set(strconv.FormatInt(h.Tick, 10), sim.HashString(h.Hash))
	}
	a.state.Set("marks", marks)
}

// inspectorModel fills the inspector: the device selected, its recent
// messages, and the message picked with its dissection.
func (a *app) inspectorModel(w *sim.World) {
	m := a.model
	m.Device, m.Message, m.Fields, m.Hex = nil, nil, nil, ""
	m.Reveal = a.reveal
	m.Recent = append(m.Recent[:0], a.recent...)
	if a.r.Selected != "" {
		if d, ok := w.Device(a.r.Selected); ok {
			m.Device = &d
		}
	}
	if a.r.SelectedMsg == 0 && a.events.picked == 0 {
		return
	}
	// A row picked in the event list shows that frame, not the hop its
	// message travels now.
	if mi, ok := w.Message(a.r.SelectedMsg); ok && a.events.picked == 0 {
		a.msg = &mi
	}
	if a.msg != nil {
		m.Message = a.msg
		// A frame Dissect cannot read gets a field that says what is
		// wrong with it, shown with the rest: its error says no more.
		m.Fields, _ = proto.Dissect(a.msg.Protocol, a.msg.Bytes)
		m.Hex = proto.HexDump(a.msg.Bytes)
	}
}

// heldNotes are the boards other members of the room hold, as the Real
// board panel lists them.
func (a *app) heldNotes() []ui.HeldBoard {
	if a.room == nil {
		return nil
	}
	var out []ui.HeldBoard
	for _, b := range a.room.Held() {
		out = append(out, ui.HeldBoard{Device: b.Device, Note: b.Note, Silent: b.Silent})
	}
	return out
}

// trackRecent notes the messages in flight to or from the selected device
// that it has not seen yet.
func (a *app) trackRecent() {
	a.recent = ui.TrackRecent(a.recent, &a.view, a.r.Selected, a.shown().Message)
}
