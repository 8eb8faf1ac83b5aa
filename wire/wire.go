// Package wire is what browsers and the Thingyard server say to each other
// in a live room: one JSON envelope per WebSocket text frame,
//
//	{"room":"…","seq":7,"from":"m3","kind":"action","at":1234,"body":{…}}
//
// A browser sends only kind and body. The server stamps room, seq (per
// room, from 1, without gaps), from (the sender's member id) and at
// (milliseconds since the room was made), keeps the envelope in the room's
// log and sends it to every member, the sender included.
//
// Kinds a browser may send:
//   - action: a sim.Action, applied by every browser at its tick
//   - reading: a sim.Action of kind reading from a real board
//   - command: {"device":…,"on":…} for a real board; delivered only to the
//     member that holds the board
//   - board: {"device":…} announces that this member holds that board
//   - hash: {"tick":…,"seq":…,"hash":…} this browser's state hash at a
//     mark, with the last seq it had applied, for divergence checks
//
// Kinds only the server sends: welcome (first, on join), presence (a member
// joined or left), error (a frame was refused; the connection stays).
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/thingyard/thingyard/sim"
)

// Envelope is one message of a room.
type Envelope struct {
	Room string          `json:"room,omitempty"`
	Seq  uint64          `json:"seq,omitempty"`
	From string          `json:"from,omitempty"`
	Kind string          `json:"kind"`
	At   int64           `json:"at,omitempty"`
	Body json.RawMessage `json:"body,omitempty"`
}

// The kinds.
const (
	KindAction   = "action"
	KindReading  = "reading"
	KindCommand  = "command"
	KindBoard    = "board"
	KindHash     = "hash"
	KindWelcome  = "welcome"
	KindPresence = "presence"
	KindError    = "error"
)

// MsPerTick is how many milliseconds of a room's clock one world tick
// takes: a room's world runs ten times slower than real time, so a 9600-baud
// Modbus poll can be followed by eye. Every member and the server's replica
// run tick at/MsPerTick at room time at.
const MsPerTick = 10

// Lead is how many ticks ahead of its room's clock a member schedules what
// it sends, so it reaches every member before its tick.
const Lead = 20

// Tick is the tick of a room's world at ms of the room's clock.
func Tick(ms int64) int64 { return ms / MsPerTick }

// MaxFrame is the largest frame either side accepts.
const MaxFrame = 64 << 10

// Errors of Decode.
var (
	ErrTooLarge = errors.New("wire: frame too large")
	ErrBadJSON  = errors.New("wire: frame is not a JSON envelope")
	ErrKind     = errors.New("wire: kind not allowed")
)

var fromClient = map[string]bool{KindAction: true, KindReading: true, KindCommand: true, KindBoard: true, KindHash: true}

// FromClient reports whether a browser may send kind.
func FromClient(kind string) bool { return fromClient[kind] }

// Decode reads an envelope a browser sent: bounded, strict JSON, a kind a
// browser may send, and a body that is a JSON object.
func Decode(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) > MaxFrame {
		return e, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(b), MaxFrame)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	if dec.More() {
		return e, fmt.Errorf("%w: more than one value in the frame", ErrBadJSON)
	}
	if !fromClient[e.Kind] {
		return e, fmt.Errorf("%w: %q (a browser may send action, reading, command, board, hash)", ErrKind, e.Kind)
	}
	if len(e.Body) == 0 || e.Body[0] != '{' {
		return e, fmt.Errorf("%w: body must be a JSON object", ErrBadJSON)
	}
	return e, nil
}

// Welcome is the body of the first envelope a member receives.
type Welcome struct {
	Room    string     `json:"room"`
	Scene   string     `json:"scene"`
	You     string     `json:"you"`
	Seq     uint64     `json:"seq"`     // the room's latest seq
	Now     int64      `json:"now"`     // ms since the room was made
	Members []string   `json:"members"` // ids present, you included
	Log     []Envelope `json:"log"`     // envelopes after the since the member asked for
	// Actions, when set, is the room's log up to FoldedSeq folded into
	// the bodies of its action and reading envelopes (a JSON array of
	// sim.Action, in order): the member rebuilds its world from the scene
	// and these, then applies Log, which holds what came after FoldedSeq.
	Actions   json.RawMessage `json:"actions,omitempty"`
	FoldedSeq uint64          `json:"folded_seq,omitempty"`
	// World, when set, is the room's world state with every action of
	// its log up to WorldSeq (PackWorld of sim.World.State, base64 in
	// JSON): the member starts its world from it (sim.NewTimelineAt)
	// instead of from the scene at tick 0, and Actions holds only the
	// actions after WorldSeq. An action of a tick before the state's is
	// refused by the room from then on.
	World    []byte `json:"world,omitempty"`
	WorldSeq uint64 `json:"world_seq,omitempty"`
	// MQTT is the address of the server's MQTT broker ("host:port"), when
	// it runs one: the page shows it in the inspector of open devices.
	MQTT string `json:"mqtt,omitempty"`
	// Token is the room's MQTT password (the user name is the room id): it
	// lets an outside MQTT client see and command this room and no other.
	Token string `json:"token,omitempty"`
}

// Presence is the body of a presence envelope.
type Presence struct {
	Member  string   `json:"member"`
	Joined  bool     `json:"joined"`
	Members []string `json:"members"`
}

// Command is the body of a command for a real board.
type Command struct {
	Device string `json:"device"`
	On     bool   `json:"on"`
}

// Board is the body of a board announcement: the member that sends it
// holds the real board that drives Device, and the room sends it the
// commands for it.
type Board struct {
	Device string `json:"device"`
	// Note, when set, is what the member holding the board says of it to
	// the people in the room, in words they can act on: that it does not
	// answer (Silent), what it was asked and what to check, or that it
	// answers now. The server's -serial gateway sends one, since no page
	// holds that board's console.
	Note   string `json:"note,omitempty"`
	Silent bool   `json:"silent,omitempty"`
}

// Hash is the body of a hash report: the state hash of a member's world at
// the mark of tick Tick, when it had applied every envelope of the room up
// to Seq. The mark holds exactly the room's actions up to Seq whose tick is
// before Tick, so the server can tell a member that is wrong from one that
// had not yet got an action of an earlier tick (a late one): its report is
// stale, and its next marks, replayed with the action, are checked.
type Hash struct {
	Tick int64  `json:"tick"`
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// HashDelay is how long after a hash mark a member reports it: 500 ticks,
// 5 s of the room's clock, so an action that reached it late has usually
// been replayed into the mark first.
const HashDelay = sim.HashEvery / 2

// ReportTick is the tick of the latest hash mark a member whose world is at
// tick reports: the newest at least HashDelay old, or 0 when there is none.
func ReportTick(tick int64) int64 {
	if tick < HashDelay {
		return 0
	}
	return (tick - HashDelay) / sim.HashEvery * sim.HashEvery
}

// Error is the body of an error envelope.
type Error struct {
	Msg string `json:"msg"`
}
