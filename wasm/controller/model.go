package controller

import (
	"strconv"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
	"github.com/thingyard/thingyard/wasm/ui"
)

// refreshModel copies what the panels show, under the panels' lock, and
// asks them to render.
func (c *Controller) refreshModel() {
	if c.env != nil {
		c.env.Lock()
	}
	m := c.model
	w := c.shown()
	c.timeModel()
	m.Scene, m.Title, m.Lesson, m.Try = c.name, c.scene.Title, c.scene.Lesson, c.scene.Try
	m.Tick = w.Tick()
	m.Paused, m.Speed = c.paused, c.speed
	m.Sides = w.Metrics()
	m.Series = w.Series()
	if txt, at := w.LastRefusal(); txt != "" && w.Tick()-at < refusalShown {
		m.Refusal = "Refused: " + txt
	} else {
		m.Refusal = ""
	}
	m.HasInternet, m.InternetUp = false, false
	for i := range c.view.Links {
		if c.view.Links[i].Medium == sim.MediumInternet {
			m.HasInternet = true
			m.InternetUp = m.InternetUp || c.view.Links[i].Up
		}
	}
	m.Board = c.board
	m.Board.Held = c.heldNotes()
	if c.Refreshed != nil {
		c.Refreshed(m)
	}
	if m.Embed {
		m.OpenLink = c.fullLink()
	}
	if c.room != nil {
		c.roomModel(m)
	}
	c.hashModel(w)
	c.accessModel(m)
	c.inspectorModel(w)
	c.eventsModel(m)
	hop := ""
	if h := c.hop; h != nil {
		hop = h.From + " → " + h.To
	}
	c.page.Hook("hop", hop) // the hop marked in the world, for tests
	if c.env != nil {
		c.env.UnlockRender()
	}
}

// refusalShown is how long the panel shows the world's last refusal: 20,000
// ticks (20 simulated seconds).
const refusalShown = 20_000

// roomModel fills what the panels show of the live room: its link, the
// connection, its members and where its MQTT broker answers.
func (c *Controller) roomModel(m *ui.Model) {
	m.Room, m.RoomStatus, m.Members = c.room.ID, c.room.Status(), c.memberCount()
	m.Origin = c.origin()
	m.RoomLink = c.roomLink(c.room.ID)
	m.MQTTToken = c.room.Token
	m.MQTTHost, m.MQTTPort = c.room.Broker(c.loc.Hostname())
}

// memberCount is how many browsers share the live room, 0 alone.
func (c *Controller) memberCount() int {
	if c.room == nil {
		return 0
	}
	return len(c.room.Members)
}

// markKept is how many of the world's latest hash marks window.thingyard
// holds.
const markKept = 120

// hashModel gives the panel and window.thingyard the world's hash, and
// window.thingyard its latest hash marks, by tick.
func (c *Controller) hashModel(w *sim.World) {
	m := c.model
	// The shown world's hash is taken while it stands still (paused, or
	// looking back), where it can be read beside its tick; while the
	// world runs it is "". Hashing 10,000 devices at each refresh cost
	// about 2% of the page's main thread while they ran.
	m.Hash = ""
	if c.paused || c.past != nil {
		m.Hash = sim.HashString(w.Hash())
	}
	c.page.Hook("hash", m.Hash)
	c.page.Hook("tick", m.Tick)
	hs := w.Hashes()
	marks := make(map[string]any, min(len(hs), markKept))
	for _, h := range hs[max(0, len(hs)-markKept):] {
		marks[strconv.FormatInt(h.Tick, 10)] = sim.HashString(h.Hash)
	}
	c.page.Hook("marks", marks)
}

// inspectorModel fills the inspector: the device selected, its recent
// messages, and the message picked with its dissection.
func (c *Controller) inspectorModel(w *sim.World) {
	m := c.model
	m.Device, m.Message, m.Fields, m.Hex = nil, nil, nil, ""
	m.Reveal = c.reveal
	m.Recent = append(m.Recent[:0], c.recent...)
	sel, selMsg := c.screen.Selection()
	if sel != "" {
		if d, ok := w.Device(sel); ok {
			m.Device = &d
		}
	}
	if selMsg == 0 && c.events.picked == 0 {
		return
	}
	// A row picked in the event list shows that frame, not the hop its
	// message travels now.
	if mi, ok := w.Message(selMsg); ok && c.events.picked == 0 {
		c.msg = &mi
	}
	if c.msg != nil {
		m.Message = c.msg
		// A frame Dissect cannot read gets a field that says what is
		// wrong with it, shown with the rest: its error says no more.
		m.Fields, _ = proto.Dissect(c.msg.Protocol, c.msg.Bytes)
		m.Hex = proto.HexDump(c.msg.Bytes)
	}
}

// heldNotes are the boards other members of the room hold, as the Real
// board panel lists them.
func (c *Controller) heldNotes() []ui.HeldBoard {
	if c.room == nil {
		return nil
	}
	var out []ui.HeldBoard
	for _, b := range c.room.Held() {
		out = append(out, ui.HeldBoard{Device: b.Device, Note: b.Note, Silent: b.Silent})
	}
	return out
}

// trackRecent notes the messages in flight to or from the selected device
// that it has not seen yet.
func (c *Controller) trackRecent() {
	sel, _ := c.screen.Selection()
	c.recent = ui.TrackRecent(c.recent, &c.view, sel, c.shown().Message)
}
