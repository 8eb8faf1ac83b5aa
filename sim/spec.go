package sim

import (
	"fmt"
	"strings"
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

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
