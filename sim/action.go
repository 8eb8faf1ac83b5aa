package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Errors an action can be refused with, wrapped with the details of what
// was wrong.
var (
	ErrUnknownDevice = errors.New("sim: unknown device")
	ErrUnknownLink   = errors.New("sim: unknown link")
	ErrRefused       = errors.New("sim: refused")
	ErrBadAction     = errors.New("sim: bad action")
)

// ActionKind names what an Action does.
type ActionKind string

// The actions. Every change a person, a scene's timeline or a real board
// makes to a world is one of these, so it can be logged, shared and replayed.
const (
	ActAdd     ActionKind = "add"     // add Count devices of DeviceKind to Link
	ActRemove  ActionKind = "remove"  // remove Device
	ActMove    ActionKind = "move"    // move Device to X, Y
	ActConnect ActionKind = "connect" // make Device a member of Link
	ActCut     ActionKind = "cut"     // cut Link ("internet": every internet link)
	ActRestore ActionKind = "restore" // restore Link
	ActPower   ActionKind = "power"   // power Device on (On) or off
	ActSet     ActionKind = "set"     // set Key of Device or Link to Value/Text
	ActReading ActionKind = "reading" // a real board's readings for Device
	ActCommand ActionKind = "command" // command actuator Device on or off
)

// Internet is the Link name that stands for every internet link of a world.
const Internet = "internet"

// Action is one change to a world, applied at tick At. Only the fields its
// Kind needs are set; JSON leaves the rest out, so logs and links stay short.
type Action struct {
	At         int64      `json:"at,omitempty" yaml:"at,omitempty"`
	Kind       ActionKind `json:"kind" yaml:"kind"`
	Device     string     `json:"device,omitempty" yaml:"device,omitempty"`
	Link       string     `json:"link,omitempty" yaml:"link,omitempty"`
	X          int32      `json:"x,omitempty" yaml:"x,omitempty"`
	Y          int32      `json:"y,omitempty" yaml:"y,omitempty"`
	On         bool       `json:"on,omitempty" yaml:"on,omitempty"`
	Key        string     `json:"key,omitempty" yaml:"key,omitempty"`
	Value      float64    `json:"value,omitempty" yaml:"value,omitempty"`
	Text       string     `json:"text,omitempty" yaml:"text,omitempty"`
	Count      int        `json:"count,omitempty" yaml:"count,omitempty"`
	DeviceKind string     `json:"device_kind,omitempty" yaml:"device_kind,omitempty"`
	Readings   []Reading  `json:"readings,omitempty" yaml:"readings,omitempty"`
}

// MarshalJSON leaves out the fields an action's kind does not use, except
// that on is always written for the kinds it switches (power, command): a
// power-off in a log, an event stream or an API echo reads as one, not as
// an action with its switch missing.
func (a Action) MarshalJSON() ([]byte, error) {
	type plain Action // plain has no methods, so this does not recurse
	if a.Kind == ActPower || a.Kind == ActCommand {
		return json.Marshal(struct {
			plain
			On bool `json:"on"`
		}{plain(a), a.On})
	}
	return json.Marshal(plain(a))
}

// Reading is one named value from a real board.
type Reading struct {
	Name  string  `json:"name" yaml:"name"`
	Value float64 `json:"value" yaml:"value"`
}

// MaxAddCount is the most devices one add action may create.
const MaxAddCount = 10000

// MaxReadings is the most values one reading action may carry.
const MaxReadings = 32

// MaxTextLen is the longest Text an action carries: a label, a protocol
// or a side's name.
const MaxTextLen = 2 * MaxIDLen

// checkSizes bounds every field whatever the kind, so an action the world
// would ignore or refuse only when applying it is never logged and relayed
// at a size the world would not keep.
func (a *Action) checkSizes() error {
	for _, f := range [...]struct {
		name   string
		n, max int
	}{
		{"kind", len(a.Kind), MaxIDLen},
		{"device", len(a.Device), MaxIDLen},
		{"link", len(a.Link), MaxIDLen},
		{"key", len(a.Key), MaxIDLen},
		{"device_kind", len(a.DeviceKind), MaxIDLen},
		{"text", len(a.Text), MaxTextLen},
	} {
		if f.n > f.max {
			return &ActionError{Field: f.name, Msg: fmt.Sprintf("%s: %s is %d bytes, at most %d", a.Kind, f.name, f.n, f.max)}
		}
	}
	if len(a.Readings) > MaxReadings {
		return &ActionError{Field: "readings", Msg: fmt.Sprintf("%s: %d readings, at most %d", a.Kind, len(a.Readings), MaxReadings)}
	}
	return nil
}

// settable keys of ActSet.
var deviceKeys = map[string]bool{"period_ms": true, "qos": true, "protocol": true, "base": true, "swing": true, "label": true, "address": true}
var linkKeys = map[string]bool{"loss_pct": true, "latency_ms": true, "jitter_ms": true, "baud": true, "range": true}

// ActionError is why an action is malformed, with the JSON field at fault,
// so an API can point at it. It matches ErrBadAction with errors.Is.
type ActionError struct {
	Field string // the action's JSON field: "kind", "device", "key", …
	Msg   string
}

func (e *ActionError) Error() string { return ErrBadAction.Error() + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrBadAction) hold.
func (e *ActionError) Unwrap() error { return ErrBadAction }

// Check reports whether the action is well formed on its own, before it
// meets a world: the relay and the share-link decoder use it to reject
// garbage with a reason.
func (a *Action) Check() error { return a.check() }

func (a *Action) check() error {
	bad := func(field, format string, args ...any) error {
		return &ActionError{Field: field, Msg: fmt.Sprintf("%s: %s", a.Kind, fmt.Sprintf(format, args...))}
	}
	if a.At < 0 {
		return bad("at", "at %d is negative", a.At)
	}
	if err := a.checkSizes(); err != nil {
		return err
	}
	needDevice := func() error {
		if !validID(a.Device) {
			return bad("device", "device %q is not a valid id", a.Device)
		}
		return nil
	}
	switch a.Kind {
	case ActAdd:
		if a.Count < 1 || a.Count > MaxAddCount {
			return bad("count", "count %d is out of range (1..%d)", a.Count, MaxAddCount)
		}
		if _, err := ParseKind(a.DeviceKind); err != nil {
			return bad("device_kind", "%v", err)
		}
		if !validID(a.Link) {
			return bad("link", "link %q is not a valid id", a.Link)
		}
	case ActRemove, ActPower, ActCommand:
		return needDevice()
	case ActMove:
		if abs32(a.X) > MaxCoord || abs32(a.Y) > MaxCoord {
			field := "x"
			if abs32(a.X) <= MaxCoord {
				field = "y"
			}
			return bad(field, "position (%d, %d) is outside ±%d", a.X, a.Y, MaxCoord)
		}
		return needDevice()
	case ActConnect:
		if !validID(a.Link) {
			return bad("link", "link %q is not a valid id", a.Link)
		}
		return needDevice()
	case ActCut, ActRestore:
		if !validID(a.Link) {
			return bad("link", "link %q is not a valid id", a.Link)
		}
	case ActSet:
		if !finite(a.Value) || math.Abs(a.Value) > 1e9 {
			return bad("value", "value %v is not a finite number within ±1e9", a.Value)
		}
		if a.Device != "" {
			if !deviceKeys[a.Key] {
				return bad("key", "unknown device key %q (valid: period_ms, qos, protocol, base, swing, label, address)", a.Key)
			}
			return needDevice()
		}
		if !linkKeys[a.Key] {
			return bad("key", "unknown link key %q (valid: loss_pct, latency_ms, jitter_ms, baud, range)", a.Key)
		}
		if !validID(a.Link) {
			return bad("link", "link %q is not a valid id", a.Link)
		}
	case ActReading:
		if len(a.Readings) == 0 || len(a.Readings) > MaxReadings {
			return bad("readings", "%d readings (1..%d)", len(a.Readings), MaxReadings)
		}
		for _, r := range a.Readings {
			if r.Name == "" || len(r.Name) > MaxIDLen || !finite(r.Value) || math.Abs(r.Value) > 1e9 {
				return bad("readings", "reading %q=%v is not a name with a finite value", r.Name, r.Value)
			}
		}
		return needDevice()
	default:
		return &ActionError{Field: "kind", Msg: fmt.Sprintf("unknown kind %q (valid: add, remove, move, connect, cut, restore, power, set, reading, command)", a.Kind)}
	}
	return nil
}
