// Package gate is the one check every way into a live room passes before
// anything is logged: a browser's WebSocket frame, a REST call, an MQTT
// publish and the server's board gateway alike. An action passes when it is
// well formed on its own (sim.Action.Check, strict JSON, every string
// bounded), names only devices and links the room's world has or will have,
// falls in a window of ticks around the room's now, and keeps the room
// within its device budget. What passes is what every browser and the
// server's replica will apply; what does not is refused with the field at
// fault, and nothing already in the room changes.
//
// The gate needs no simulation: it knows a room's names from its scene and
// from the add actions it let through (an added device is named
// "<kind>-<n>", n counting every device ever added), so checking an action
// costs a map lookup whatever the room's size or age.
package gate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/thingyard/thingyard/internal/defaults"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Limits bound what a room may log. Zero fields take the defaults.
type Limits struct {
	// MaxDevices is how many devices a room's world may ever hold, its
	// scene's included (default sim.MaxDevices, 20,000). Removing a device
	// does not give its place back: the budget bounds the work a room can
	// make, not only its size now.
	MaxDevices int
	// Late is how many ticks before the room's now an action may name
	// (default 3,000: 30 s of the room's clock). A browser's action that
	// arrives after its tick is applied in its place by every member, who
	// replay the room for it (once per batch, whatever how late); a
	// browser on a slow network or a slow start can be seconds behind.
	Late int64
	// Ahead is how many ticks after the room's now an action may name
	// (default 6,000: 60 s of the room's clock).
	Ahead int64
}

// Defaults of Limits.
const (
	DefaultMaxDevices       = sim.MaxDevices
	DefaultLate       int64 = 3000
	DefaultAhead      int64 = 6000
)

func (l *Limits) fill() {
	defaults.Positive(&l.MaxDevices, DefaultMaxDevices)
	defaults.Positive(&l.Late, DefaultLate)
	defaults.Positive(&l.Ahead, DefaultAhead)
}

// Gate opens the rooms' gates.
type Gate struct {
	lim   Limits
	scene func(name string) (*scenes.Scene, error)
}

// New makes a gate; scene builds a room's scene by name (nil:
// scenes.Builtin).
func New(lim Limits, scene func(name string) (*scenes.Scene, error)) *Gate {
	lim.fill()
	if scene == nil {
		scene = scenes.Builtin
	}
	return &Gate{lim: lim, scene: scene}
}

// Room is what the gate knows of one room's world. It is not safe for
// concurrent use: the relay calls it with the room's lock held.
type Room struct {
	lim     Limits
	devices map[string]bool // the scene's devices
	links   map[string]bool // the scene's links; no action makes a link
	kinds   map[string]bool // kinds of device added, for their names
	added   int             // devices added by the scene's events and actions
	count   int             // devices the world may hold: scene + added
	scene   int             // the scene's devices
	floor   int64           // the tick of the room's world state: no action before it
}

// Open starts the gate of a room made with scene.
func (g *Gate) Open(scene string) (*Room, error) {
	sc, err := g.scene(scene)
	if err != nil {
		return nil, fmt.Errorf("gate: scene %q: %w", scene, err)
	}
	r := &Room{lim: g.lim, devices: map[string]bool{}, links: map[string]bool{}, kinds: map[string]bool{}}
	for _, d := range sc.Devices {
		r.devices[d.ID] = true
	}
	for _, l := range sc.Links {
		r.links[l.ID] = true
	}
	r.count = len(sc.Devices)
	r.scene = r.count
	for _, a := range sc.Events {
		if a.Kind == sim.ActAdd {
			r.noteAdd(a)
		}
	}
	return r, nil
}

func (r *Room) noteAdd(a sim.Action) {
	if k, err := sim.ParseKind(a.DeviceKind); err == nil {
		r.kinds[k.String()] = true
	}
	r.added += a.Count
	r.count += a.Count
}

// Replay tells the gate of an action the room logged, in the room's order,
// without checking it again: the devices an add makes count from then on.
// Admit only checks, so an action counts once, whichever server admitted
// it.
func (r *Room) Replay(body json.RawMessage) {
	var a sim.Action
	if json.Unmarshal(body, &a) == nil && a.Kind == sim.ActAdd {
		r.noteAdd(a)
	}
}

// Mark is what a room's gate learnt from the room's log: the kinds of
// device added and how many were. It is kept with the room's world state
// (its log before the state is gone) and taken up again with Restore.
type Mark struct {
	Kinds []string `json:"kinds,omitempty"`
	Added int      `json:"added,omitempty"`
}

// Mark is what the gate learnt so far.
func (r *Room) Mark() Mark {
	m := Mark{Added: r.added}
	for k := range r.kinds {
		m.Kinds = append(m.Kinds, k)
	}
	slices.Sort(m.Kinds)
	return m
}

// Restore takes up what a gate of the room had learnt up to the room's
// world state (Mark), in place of what this one learnt from the scene's
// events and replays, and refuses from now on every action of a tick
// before floor, the state's: its log before the state is gone, so no
// member could put such an action in its place.
func (r *Room) Restore(m Mark, floor int64) {
	clear(r.kinds)
	for _, k := range m.Kinds {
		r.kinds[k] = true
	}
	r.added, r.count = m.Added, r.scene+m.Added
	r.Floor(floor)
}

// Floor refuses from now on every action of a tick before floor, where
// the room's log is folded into its world state. A floor never moves back.
func (r *Room) Floor(floor int64) { r.floor = max(r.floor, floor) }

// Devices is how many devices the room's world may hold now.
func (r *Room) Devices() int { return r.count }

// Admit checks the body of an action or reading envelope that a room whose
// clock is at tick now is about to log, and returns the body to log: the
// action as decoded, with its tick set to now + wire.Lead when it named
// none. A refusal is a *sim.ActionError naming the field at fault. It
// changes nothing: the room tells the gate of what it logged with Replay.
func (r *Room) Admit(kind string, body json.RawMessage, now int64) (json.RawMessage, error) {
	a, err := Decode(kind, body)
	if err != nil {
		return nil, err
	}
	bad := func(field, format string, args ...any) error {
		return &sim.ActionError{Field: field, Msg: fmt.Sprintf("%s: %s", a.Kind, fmt.Sprintf(format, args...))}
	}
	switch {
	case a.At == 0:
		a.At = now + wire.Lead
	case a.At < now-r.lim.Late:
		return nil, bad("at", "tick %d is %d ticks before the room's now (%d); an action may be at most %d late", a.At, now-a.At, now, r.lim.Late)
	case a.At > now+r.lim.Ahead:
		return nil, bad("at", "tick %d is %d ticks after the room's now (%d); an action may be at most %d ahead", a.At, a.At-now, now, r.lim.Ahead)
	case a.At < r.floor:
		return nil, bad("at", "tick %d is before tick %d, where the room's log is folded into its world state; an action may name tick %d or later", a.At, r.floor, r.floor)
	}
	if needsDevice(a) && !r.hasDevice(a.Device) {
		return nil, bad("device", "this room has no device %q", a.Device)
	}
	if needsLink(a) && !r.links[a.Link] && !(a.Link == sim.Internet && (a.Kind == sim.ActCut || a.Kind == sim.ActRestore)) {
		return nil, bad("link", "this room has no link %q", a.Link)
	}
	if a.Kind == sim.ActAdd {
		if r.count+a.Count > r.lim.MaxDevices {
			return nil, bad("count", "the room may hold %d devices and has made room for %d; %d more is too many (start a new room for a bigger crowd)", r.lim.MaxDevices, r.count, a.Count)
		}
	}
	out, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("gate: %w", err)
	}
	return out, nil
}

func needsDevice(a sim.Action) bool {
	switch a.Kind {
	case sim.ActRemove, sim.ActMove, sim.ActConnect, sim.ActPower, sim.ActReading, sim.ActCommand:
		return true
	case sim.ActSet:
		return a.Device != ""
	}
	return false
}

func needsLink(a sim.Action) bool {
	switch a.Kind {
	case sim.ActAdd, sim.ActConnect, sim.ActCut, sim.ActRestore:
		return true
	case sim.ActSet:
		return a.Device == ""
	}
	return false
}

// Has reports whether the room's world has or may have a device named id.
func (r *Room) Has(id string) bool { return r.hasDevice(id) }

// hasDevice reports whether the world has or may have a device named id:
// one of its scene's, or one an add made ("<kind>-<n>" with n no more than
// every device the world may hold, since an add skips names taken).
func (r *Room) hasDevice(id string) bool {
	if r.devices[id] {
		return true
	}
	i := strings.LastIndexByte(id, '-')
	if i <= 0 || !r.kinds[id[:i]] {
		return false
	}
	n, err := strconv.Atoi(id[i+1:])
	return err == nil && n >= 1 && n <= r.count && strconv.Itoa(n) == id[i+1:]
}

// Decode reads the body of an action or reading envelope strictly: JSON
// of one sim.Action with no unknown field, well formed by Action.Check, a
// reading carried as a reading and nothing else as one.
func Decode(kind string, body []byte) (sim.Action, error) {
	var a sim.Action
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, &sim.ActionError{Field: jsonField(err), Msg: "the body is not an action: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return a, &sim.ActionError{Field: "", Msg: "more than one JSON value"}
	}
	if (kind == wire.KindReading) != (a.Kind == sim.ActReading) {
		return a, &sim.ActionError{Field: "kind", Msg: fmt.Sprintf("a %s envelope cannot carry a %q action (readings travel as reading, everything else as action)", kind, a.Kind)}
	}
	return a, a.Check()
}

// jsonField is the field a JSON decoding error is about, or "".
func jsonField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
	}
	return ""
}
