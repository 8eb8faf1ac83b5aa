package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Host is what a page does when its room changes the world it shows.
type Host interface {
	// Load shows built-in scene sc, named name, afresh: the room's world
	// is rebuilt from it (a first welcome, another scene, or a welcome
	// with a folded log).
	Load(sc *scenes.Scene, name string) error
	// Applied is called with each action of the room after the timeline
	// took it; err says why the world refused it (every member refuses
	// it alike).
	Applied(act sim.Action, err error)
	// Command is a command for a real board (one held by this page).
	Command(body json.RawMessage)
}

// Session is the room's world in a page: a timeline fed by the room's
// ordered log, the room's clock, its members and the real boards they
// hold. Handle takes the envelopes of the Client in order; the welcome,
// the one envelope that (re)starts the world, is handled in welcome.
type Session struct {
	ID     string
	Client *Client
	h      Host

	// TL is the room's world, nil until the first welcome.
	TL    *sim.Timeline
	Scene string // the room's scene
	// World is the room's world state TL started from (packed,
	// wire.PackWorld), nil when it started from the scene at tick 0:
	// TL's log holds only the actions after it.
	World []byte
	// Seq is the seq of the last envelope applied: the world has every
	// action up to it.
	Seq     uint64
	You     string   // this page's member id
	Members []string // the members present, this page included
	// MQTT is the server's MQTT broker ("host:port", "" without one) and
	// Token the room's password there.
	MQTT, Token string

	held map[string]held
	// The room's clock: room tick base at start (Conn.Read's clock, ms).
	base  int64
	start float64
	// reported is the tick of the last hash mark reported to the room.
	reported int64
}

// held is another member's real board: who holds it and what its
// announcement said.
type held struct {
	by string
	wire.Board
}

// NewSession is the room id over client c, shown by h.
func NewSession(id string, c *Client, h Host) *Session {
	return &Session{ID: id, Client: c, h: h}
}

// Handle applies one envelope of the room. now is the time on the
// transport's clock. An error says what could not be read.
func (s *Session) Handle(e wire.Envelope, now float64) error {
	var err error
	switch e.Kind {
	case wire.KindWelcome:
		err = s.welcome(e)
	case wire.KindPresence:
		var p wire.Presence
		if err = json.Unmarshal(e.Body, &p); err != nil {
			err = fmt.Errorf("room: read a presence: %w", err)
			break
		}
		s.Members = p.Members
		s.keepHeld()
	case wire.KindError:
		var er wire.Error
		if err = json.Unmarshal(e.Body, &er); err != nil {
			err = fmt.Errorf("room: read an error of the room: %w", err)
			break
		}
		err = fmt.Errorf("The room refused a message: %s", er.Msg)
	default:
		s.keepUp(e.At, now)
		err = s.logged(e)
	}
	// Envelopes come in the room's order; a command for another
	// member's board is the only kind not sent to all, and it changes
	// no world.
	s.Seq = max(s.Seq, e.Seq)
	return err
}

// welcome (re)starts the room's world: the room's members and clock, and,
// on a first welcome, another scene, or a folded log, the world rebuilt
// from the scene and the folded actions; then the log after what this page
// had.
func (s *Session) welcome(e wire.Envelope) error {
	var w wire.Welcome
	if err := json.Unmarshal(e.Body, &w); err != nil {
		return fmt.Errorf("room: read the welcome: %w", err)
	}
	s.You, s.MQTT, s.Token, s.Members = w.You, w.MQTT, w.Token, w.Members
	s.keepHeld()
	var errs []string
	if s.TL == nil || s.Scene != w.Scene || w.FoldedSeq > 0 {
		if err := s.rebuild(w.Scene, w.World); err != nil {
			return err
		}
		if err := s.folded(w.Actions); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, le := range w.Log {
		if err := s.logged(le); err != nil {
			errs = append(errs, err.Error())
		}
	}
	s.Seq = w.Seq
	s.base, s.start = wire.Tick(w.Now), s.Client.WelcomeAt()
	if errs != nil {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// rebuild makes the room's world afresh from its scene, and from its
// world state when the room's log was folded into one (nil: none): the
// world starts there, not at tick 0.
func (s *Session) rebuild(scene string, state []byte) error {
	sc, err := scenes.Builtin(scene)
	if err != nil {
		return fmt.Errorf("This room's scene cannot be shown: %w", err)
	}
	if err := s.h.Load(sc, scene); err != nil {
		return fmt.Errorf("This room's scene cannot be shown: %w", err)
	}
	tl, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		return fmt.Errorf("This room's scene cannot be shown: %w", err)
	}
	if state != nil {
		world, err := wire.UnpackWorld(state)
		if err != nil {
			return fmt.Errorf("This room's world cannot be read: %w", err)
		}
		tl = sim.NewTimelineAt(world)
	}
	s.TL, s.Scene, s.World = tl, scene, state
	return nil
}

// folded applies the actions of a welcome's folded log (a JSON array of
// sim.Action, or nothing).
func (s *Session) folded(actions json.RawMessage) error {
	if len(actions) == 0 {
		return nil
	}
	var acts []sim.Action
	if err := json.Unmarshal(actions, &acts); err != nil {
		return fmt.Errorf("This room's history cannot be read: %w", err)
	}
	for _, act := range acts {
		s.TL.Add(act) // a refused action is refused by every member alike
	}
	return nil
}

// logged applies one logged envelope of the room.
func (s *Session) logged(e wire.Envelope) error {
	switch e.Kind {
	case wire.KindCommand:
		s.h.Command(e.Body)
	case wire.KindBoard:
		return s.heldBoard(e)
	case wire.KindAction, wire.KindReading:
		if s.TL == nil {
			return nil
		}
		var act sim.Action
		if err := json.Unmarshal(e.Body, &act); err != nil {
			return fmt.Errorf("room: read the %s of seq %d: %w", e.Kind, e.Seq, err)
		}
		s.h.Applied(act, s.TL.Add(act))
	}
	return nil
}

// Tick is the room's tick at now (the transport's clock, ms): every member
// runs the same tick at the same moment.
func (s *Session) Tick(now float64) int64 {
	return s.base + int64(now-s.start)/wire.MsPerTick
}

// keepUp moves the room's clock forward when an envelope stamped at room
// time at (ms) shows it behind: the server stamped it before it arrived,
// so the room is at least there. It never moves the clock back.
func (s *Session) keepUp(at int64, now float64) {
	if s.TL == nil || at <= 0 {
		return
	}
	if wire.Tick(at) > s.Tick(now) {
		s.base, s.start = wire.Tick(at), now
	}
}

// heldBoard notes another member's board announcement: that it holds the
// board driving a device, and what it says of it.
func (s *Session) heldBoard(e wire.Envelope) error {
	var b wire.Board
	if err := json.Unmarshal(e.Body, &b); err != nil {
		return fmt.Errorf("room: read a board's announcement: %w", err)
	}
	if b.Device == "" || e.From == s.You {
		return nil
	}
	if s.held == nil {
		s.held = map[string]held{}
	}
	s.held[b.Device] = held{by: e.From, Board: b}
	return nil
}

// keepHeld forgets the boards of members that left.
func (s *Session) keepHeld() {
	for dev, h := range s.held {
		if !slices.Contains(s.Members, h.by) {
			delete(s.held, dev)
		}
	}
}

// Held is the boards other members hold, by device.
func (s *Session) Held() []wire.Board {
	out := make([]wire.Board, 0, len(s.held))
	for _, h := range s.held {
		out = append(out, h.Board)
	}
	slices.SortFunc(out, func(x, y wire.Board) int { return strings.Compare(x.Device, y.Device) })
	return out
}

// ReportHash sends the room the latest hash mark of its world old enough
// to be final, once, with the seq of the last envelope applied, so the
// server's replica can tell whether this world diverged.
func (s *Session) ReportHash() {
	if s.TL == nil {
		return
	}
	w := s.TL.World()
	t := wire.ReportTick(w.Tick())
	if t <= s.reported || t <= 0 {
		return
	}
	h, ok := w.HashAt(t)
	if !ok || s.Client.Send(wire.KindHash, wire.Hash{Tick: t, Seq: s.Seq, Hash: sim.HashString(h)}) {
		s.reported = t
	}
}

// Broker is where the server's MQTT broker answers, as the page shows it
// for outside clients: host and port of MQTT, the page's host (pageHost)
// when the broker listens on every address; "", "" when there is none.
// "host:port" is split by hand: package net would grow the download.
func (s *Session) Broker(pageHost string) (host, port string) {
	i := strings.LastIndexByte(s.MQTT, ':')
	if i < 0 {
		return "", ""
	}
	host, port = strings.Trim(s.MQTT[:i], "[]"), s.MQTT[i+1:]
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = pageHost
	}
	return host, port
}

// Send sends an envelope of kind with body to the room; false when not
// connected.
func (s *Session) Send(kind string, body any) bool { return s.Client.Send(kind, body) }

// Status is the connection's: Connecting, Live or Reconnecting.
func (s *Session) Status() string { return s.Client.Status() }

// Close leaves the room.
func (s *Session) Close() { s.Client.Close() }
