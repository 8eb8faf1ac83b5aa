package sim

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Errors a spec or an action can be refused with. They are wrapped with the
// details of what was wrong.
var (
	ErrUnknownKind     = errors.New("sim: unknown device kind")
	ErrUnknownMedium   = errors.New("sim: unknown medium")
	ErrUnknownProtocol = errors.New("sim: unknown protocol")
	ErrUnknownDevice   = errors.New("sim: unknown device")
	ErrUnknownLink     = errors.New("sim: unknown link")
	ErrRefused         = errors.New("sim: refused")
	ErrBadAction       = errors.New("sim: bad action")
)

// Spec describes a world: its devices, the links between them, the rules
// that decide, and a timeline of scripted actions. Scenes are YAML files that
// decode into a Spec; a share link carries one. Numbers a person writes are
// in natural units (milliseconds, percent, baud); New turns them into the
// world's integer units.
type Spec struct {
	Name    string       `json:"name,omitempty" yaml:"name,omitempty"`
	Title   string       `json:"title,omitempty" yaml:"title,omitempty"`
	Lesson  string       `json:"lesson,omitempty" yaml:"lesson,omitempty"`
	Sides   []SideSpec   `json:"sides,omitempty" yaml:"sides,omitempty"`
	Devices []DeviceSpec `json:"devices" yaml:"devices"`
	Links   []LinkSpec   `json:"links,omitempty" yaml:"links,omitempty"`
	Rules   []Rule       `json:"rules,omitempty" yaml:"rules,omitempty"`
	Events  []Action     `json:"events,omitempty" yaml:"events,omitempty"`
	Metrics []string     `json:"metrics,omitempty" yaml:"metrics,omitempty"`
}

// SideSpec names one half of a scene ("m2m" and "iot" by default). Metrics
// are kept per side so the two can be compared.
type SideSpec struct {
	Name  string `json:"name" yaml:"name"`
	Title string `json:"title,omitempty" yaml:"title,omitempty"`
}

// DeviceSpec is one device of a Spec.
type DeviceSpec struct {
	ID    string `json:"id" yaml:"id"`
	Kind  string `json:"kind" yaml:"kind"`
	Side  string `json:"side,omitempty" yaml:"side,omitempty"`
	Label string `json:"label,omitempty" yaml:"label,omitempty"`
	X     int32  `json:"x" yaml:"x"`
	Y     int32  `json:"y" yaml:"y"`
	// Standards are the media the device has a port or radio for. When
	// empty, the media of the links it is a member of.
	Standards []string `json:"standards,omitempty" yaml:"standards,omitempty"`
	// Protocol is the application protocol an IP device speaks: mqtt
	// (default), coap or http.
	Protocol string `json:"protocol,omitempty" yaml:"protocol,omitempty"`
	// Address is the Modbus slave address (1..247) or the CAN identifier.
	Address int `json:"address,omitempty" yaml:"address,omitempty"`
	// PeriodMs is how often a sensor samples (default 1000) or, for a
	// controller, the pause between poll cycles (default 0).
	PeriodMs int `json:"period_ms,omitempty" yaml:"period_ms,omitempty"`
	// Quantity and Unit name what a sensor measures ("temp", "°C").
	Quantity string `json:"quantity,omitempty" yaml:"quantity,omitempty"`
	Unit     string `json:"unit,omitempty" yaml:"unit,omitempty"`
	// Base, Swing and CycleS shape a sensor's signal: it moves between
	// Base-Swing and Base+Swing over CycleS seconds, plus a little noise.
	Base   float64 `json:"base,omitempty" yaml:"base,omitempty"`
	Swing  float64 `json:"swing,omitempty" yaml:"swing,omitempty"`
	CycleS int     `json:"cycle_s,omitempty" yaml:"cycle_s,omitempty"`
	// QoS is the MQTT quality of service of an IoT client: 0 drops what it
	// cannot send, 1 buffers it until the path is back.
	QoS int `json:"qos,omitempty" yaml:"qos,omitempty"`
	// Target is where a sensor's readings go: a broker, a controller, a
	// gateway. Default: the nearest broker or controller it can reach.
	Target string `json:"target,omitempty" yaml:"target,omitempty"`
	// Off starts the device powered off.
	Off bool `json:"off,omitempty" yaml:"off,omitempty"`
	// Serves says whom the device's data serves: "b2b" or "b2c".
	Serves string `json:"serves,omitempty" yaml:"serves,omitempty"`
}

// LinkSpec is one link: a wire between two devices, a bus with several, a
// radio association, or an internet uplink.
type LinkSpec struct {
	ID      string   `json:"id" yaml:"id"`
	Medium  string   `json:"medium" yaml:"medium"`
	Members []string `json:"members" yaml:"members"`
	// Baud is the bit rate of a serial line or CAN bus (default 9600 for
	// serial, 500000 for CAN); for other media, their usual rate.
	Baud int `json:"baud,omitempty" yaml:"baud,omitempty"`
	// LatencyMs and JitterMs add to the transmission time (defaults per
	// medium: e.g. 20 ms ± 5 ms one way for the internet).
	LatencyMs float64 `json:"latency_ms,omitempty" yaml:"latency_ms,omitempty"`
	JitterMs  float64 `json:"jitter_ms,omitempty" yaml:"jitter_ms,omitempty"`
	// LossPct is the chance in percent that a frame is lost on this link.
	LossPct float64 `json:"loss_pct,omitempty" yaml:"loss_pct,omitempty"`
	// Range is a radio's reach in world units; members farther apart
	// cannot hear each other. Default per medium.
	Range int32 `json:"range,omitempty" yaml:"range,omitempty"`
	// Cut starts the link cut.
	Cut bool `json:"cut,omitempty" yaml:"cut,omitempty"`
}

// Rule is a decision: when Where (a controller or a broker) receives a
// reading from Sensor above Above, it commands Actuator on; once the reading
// falls below Above minus Hysteresis, off. Where a rule runs is the point of
// the intelligence scene: next to the machine, or in the cloud.
type Rule struct {
	Where      string  `json:"where" yaml:"where"`
	Sensor     string  `json:"sensor" yaml:"sensor"`
	Above      float64 `json:"above" yaml:"above"`
	Hysteresis float64 `json:"hysteresis,omitempty" yaml:"hysteresis,omitempty"`
	Actuator   string  `json:"actuator" yaml:"actuator"`
}

// FieldError is one thing wrong with a Spec, at a path such as
// "devices[2].kind". The scenes package maps paths to file:line:col.
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Errors is every problem found in a Spec, in document order.
type Errors []*FieldError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Limits on a Spec, so a hostile share link or scene cannot exhaust memory.
const (
	MaxDevices   = 20000 // devices in one world
	MaxLinks     = 20000
	MaxRules     = 1000
	MaxEvents    = 10000
	MaxIDLen     = 64
	MaxCoord     = 1_000_000 // |x|, |y| in world units
	MaxPeriodMs  = 3_600_000 // a device's longest sampling period: an hour
	maxBusUnits  = 32        // RS-485 unit loads on one bus (TIA-485 standard receivers)
	maxModbusAdr = 247       // highest Modbus slave address
)

// Validate reports every problem of the spec, not only the first.
func (s *Spec) Validate() error {
	var es Errors
	add := func(path, format string, args ...any) {
		es = append(es, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if len(s.Devices) > MaxDevices {
		add("devices", "%d devices, at most %d", len(s.Devices), MaxDevices)
		return es
	}
	if len(s.Links) > MaxLinks {
		add("links", "%d links, at most %d", len(s.Links), MaxLinks)
		return es
	}
	if len(s.Rules) > MaxRules {
		add("rules", "%d rules, at most %d", len(s.Rules), MaxRules)
	}
	if len(s.Events) > MaxEvents {
		add("events", "%d events, at most %d", len(s.Events), MaxEvents)
	}
	sides := map[string]bool{}
	for i, sd := range s.Sides {
		p := fmt.Sprintf("sides[%d].name", i)
		if !validID(sd.Name) {
			add(p, "%q is not a valid name (letters, digits, - and _, up to %d)", sd.Name, MaxIDLen)
		} else if sides[sd.Name] {
			add(p, "side %q is defined twice", sd.Name)
		}
		sides[sd.Name] = true
	}
	if len(s.Sides) == 0 {
		sides["m2m"], sides["iot"] = true, true
	}
	kinds := map[string]Kind{}
	for i, d := range s.Devices {
		p := fmt.Sprintf("devices[%d]", i)
		if !validID(d.ID) {
			add(p+".id", "%q is not a valid id (letters, digits, - and _, up to %d)", d.ID, MaxIDLen)
		} else if _, dup := kinds[d.ID]; dup {
			add(p+".id", "device %q is defined twice", d.ID)
		}
		k, err := ParseKind(d.Kind)
		if err != nil {
			add(p+".kind", "unknown kind %q (valid: %s)", d.Kind, joinNames(kindNames[1:]))
		}
		kinds[d.ID] = k
		if d.Side != "" && !sides[d.Side] {
			add(p+".side", "unknown side %q (valid: %s)", d.Side, strings.Join(sideNames(s), ", "))
		}
		if abs32(d.X) > MaxCoord || abs32(d.Y) > MaxCoord {
			add(p+".x", "position (%d, %d) is outside ±%d", d.X, d.Y, MaxCoord)
		}
		for j, st := range d.Standards {
			if _, err := ParseMedium(st); err != nil {
				add(fmt.Sprintf("%s.standards[%d]", p, j), "unknown standard %q (valid: %s)", st, joinNames(mediumNames[1:]))
			}
		}
		if d.Protocol != "" {
			if pr, err := ParseProtocol(d.Protocol); err != nil || !pr.IP() {
				add(p+".protocol", "protocol %q is not an internet protocol (valid: mqtt, coap, http)", d.Protocol)
			}
		}
		if d.Address < 0 || d.Address > 0x1FFFFFFF {
			add(p+".address", "address %d is out of range (Modbus 1..247, CAN 0..536870911)", d.Address)
		}
		if d.PeriodMs < 0 || d.PeriodMs > MaxPeriodMs {
			add(p+".period_ms", "period %d ms is out of range (1..%d)", d.PeriodMs, MaxPeriodMs)
		}
		if d.CycleS < 0 || d.CycleS > 86400 {
			add(p+".cycle_s", "cycle %d s is out of range (1..86400)", d.CycleS)
		}
		if d.QoS < 0 || d.QoS > 1 {
			add(p+".qos", "qos %d is not supported (0 or 1)", d.QoS)
		}
		if !finite(d.Base) || !finite(d.Swing) || math.Abs(d.Base) > 1e9 || math.Abs(d.Swing) > 1e9 {
			add(p+".base", "signal base/swing must be finite and within ±1e9")
		}
		if d.Serves != "" && d.Serves != "b2b" && d.Serves != "b2c" {
			add(p+".serves", "serves %q is not b2b or b2c", d.Serves)
		}
	}
	for i, d := range s.Devices {
		if d.Target != "" {
			if _, ok := kinds[d.Target]; !ok {
				add(fmt.Sprintf("devices[%d].target", i), "no device %q", d.Target)
			}
		}
	}
	links := map[string]bool{}
	for i, l := range s.Links {
		p := fmt.Sprintf("links[%d]", i)
		if !validID(l.ID) {
			add(p+".id", "%q is not a valid id", l.ID)
		} else if links[l.ID] || kinds[l.ID] != 0 {
			add(p+".id", "id %q is already used", l.ID)
		}
		links[l.ID] = true
		m, err := ParseMedium(l.Medium)
		if err != nil {
			add(p+".medium", "unknown medium %q (valid: %s)", l.Medium, joinNames(mediumNames[1:]))
		}
		if len(l.Members) < 2 {
			add(p+".members", "a link needs at least 2 members, has %d", len(l.Members))
		}
		if m == MediumRS232 && len(l.Members) > 2 {
			add(p+".members", "RS-232 is point-to-point: 2 members, has %d (use rs485 for a bus)", len(l.Members))
		}
		if m == MediumRS485 && len(l.Members) > maxBusUnits {
			add(p+".members", "an RS-485 bus carries at most %d unit loads without repeaters, has %d", maxBusUnits, len(l.Members))
		}
		seen := map[string]bool{}
		for j, mem := range l.Members {
			mp := fmt.Sprintf("%s.members[%d]", p, j)
			if _, ok := kinds[mem]; !ok {
				add(mp, "no device %q", mem)
				continue
			}
			if seen[mem] {
				add(mp, "device %q is listed twice", mem)
			}
			seen[mem] = true
			if m != 0 {
				if reason := speaks(s.deviceByID(mem), m, kinds[mem]); reason != "" {
					add(mp, "%s", reason)
				}
			}
		}
		if l.Baud < 0 || l.Baud > 1_000_000_000 {
			add(p+".baud", "baud %d is out of range (300..1000000000)", l.Baud)
		}
		if !finite(l.LatencyMs) || l.LatencyMs < 0 || l.LatencyMs > 60000 {
			add(p+".latency_ms", "latency %v ms is out of range (0..60000)", l.LatencyMs)
		}
		if !finite(l.JitterMs) || l.JitterMs < 0 || l.JitterMs > 60000 {
			add(p+".jitter_ms", "jitter %v ms is out of range (0..60000)", l.JitterMs)
		}
		if !finite(l.LossPct) || l.LossPct < 0 || l.LossPct > 100 {
			add(p+".loss_pct", "loss %v%% is out of range (0..100)", l.LossPct)
		}
		if l.Range < 0 {
			add(p+".range", "range %d is negative", l.Range)
		}
	}
	for i, r := range s.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if k, ok := kinds[r.Where]; !ok {
			add(p+".where", "no device %q", r.Where)
		} else if k != KindController && k != KindBroker && k != KindGateway && k != 0 {
			add(p+".where", "%q is a %s; rules run on a controller, gateway or broker", r.Where, k)
		}
		if _, ok := kinds[r.Sensor]; !ok {
			add(p+".sensor", "no device %q", r.Sensor)
		}
		if k, ok := kinds[r.Actuator]; !ok {
			add(p+".actuator", "no device %q", r.Actuator)
		} else if k != KindActuator && k != KindBoard && k != 0 {
			add(p+".actuator", "%q is a %s, not an actuator", r.Actuator, k)
		}
		if !finite(r.Above) || !finite(r.Hysteresis) || r.Hysteresis < 0 {
			add(p+".above", "threshold must be finite, hysteresis ≥ 0")
		}
	}
	for i, e := range s.Events {
		if err := e.check(); err != nil {
			add(fmt.Sprintf("events[%d]", i), "%v", err)
		}
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

func (s *Spec) deviceByID(id string) *DeviceSpec {
	for i := range s.Devices {
		if s.Devices[i].ID == id {
			return &s.Devices[i]
		}
	}
	return nil
}

func sideNames(s *Spec) []string {
	if len(s.Sides) == 0 {
		return []string{"m2m", "iot"}
	}
	ns := make([]string, len(s.Sides))
	for i, sd := range s.Sides {
		ns[i] = sd.Name
	}
	return ns
}

// speaks explains why a device cannot join a link of medium m, or returns "".
func speaks(d *DeviceSpec, m Medium, k Kind) string {
	if d == nil || len(d.Standards) == 0 {
		return ""
	}
	for _, st := range d.Standards {
		if sm, err := ParseMedium(st); err == nil && sm == m {
			return ""
		}
	}
	return refusal(d.ID, strings.Join(d.Standards, "/"), m)
}

// refusal is the sentence a person reads when a device of a foreign standard
// is refused by a link.
func refusal(id, stds string, m Medium) string {
	msg := fmt.Sprintf("device %q speaks %s, not %s", id, stds, m)
	if m.M2M() {
		msg += ": an M2M " + m.String() + " system takes only devices of its one standard"
	} else {
		msg += ": put a gateway between them"
	}
	return msg
}

func validID(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
