package sim

import (
	"fmt"
	"math"
	"strings"
)

// Validate reports every problem of the spec, not only the first.
func (s *Spec) Validate() error {
	var v validation
	if len(s.Devices) > MaxDevices {
		v.add("devices", "%d devices, at most %d", len(s.Devices), MaxDevices)
		return v.es
	}
	if len(s.Links) > MaxLinks {
		v.add("links", "%d links, at most %d", len(s.Links), MaxLinks)
		return v.es
	}
	if len(s.Rules) > MaxRules {
		v.add("rules", "%d rules, at most %d", len(s.Rules), MaxRules)
	}
	if len(s.Events) > MaxEvents {
		v.add("events", "%d events, at most %d", len(s.Events), MaxEvents)
	}
	sides := s.checkSides(&v)
	kinds := map[string]Kind{}
	for i := range s.Devices {
		s.checkDevice(&v, fmt.Sprintf("devices[%d]", i), &s.Devices[i], sides, kinds)
	}
	for i, d := range s.Devices {
		if d.Target != "" {
			if _, ok := kinds[d.Target]; !ok {
				v.add(fmt.Sprintf("devices[%d].target", i), "no device %q", d.Target)
			}
		}
	}
	links := map[string]bool{}
	for i := range s.Links {
		s.checkLink(&v, fmt.Sprintf("links[%d]", i), &s.Links[i], kinds, links)
	}
	for i, r := range s.Rules {
		checkRule(&v, fmt.Sprintf("rules[%d]", i), r, kinds)
	}
	for i, e := range s.Events {
		if err := e.check(); err != nil {
			v.add(fmt.Sprintf("events[%d]", i), "%v", err)
		}
	}
	if len(v.es) == 0 {
		return nil
	}
	return v.es
}

// validation collects a spec's problems in document order.
type validation struct{ es Errors }

func (v *validation) add(path, format string, args ...any) {
	v.es = append(v.es, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// checkSides checks the sides' names and returns them as a set: m2m and
// iot when the spec names none.
func (s *Spec) checkSides(v *validation) map[string]bool {
	sides := map[string]bool{}
	for i, sd := range s.Sides {
		p := fmt.Sprintf("sides[%d].name", i)
		if !validID(sd.Name) {
			v.add(p, "%q is not a valid name (letters, digits, - and _, up to %d)", sd.Name, MaxIDLen)
		} else if sides[sd.Name] {
			v.add(p, "side %q is defined twice", sd.Name)
		}
		sides[sd.Name] = true
	}
	if len(s.Sides) == 0 {
		sides["m2m"], sides["iot"] = true, true
	}
	return sides
}

// checkDevice checks device d, at path p, and notes its kind under its id
// in kinds.
func (s *Spec) checkDevice(v *validation, p string, d *DeviceSpec, sides map[string]bool, kinds map[string]Kind) {
	if !validID(d.ID) {
		v.add(p+".id", "%q is not a valid id (letters, digits, - and _, up to %d)", d.ID, MaxIDLen)
	} else if _, dup := kinds[d.ID]; dup {
		v.add(p+".id", "device %q is defined twice", d.ID)
	}
	k, err := ParseKind(d.Kind)
	if err != nil {
		v.add(p+".kind", "unknown kind %q (valid: %s)", d.Kind, joinNames(kindNames[1:]))
	}
	kinds[d.ID] = k
	if d.Side != "" && !sides[d.Side] {
		v.add(p+".side", "unknown side %q (valid: %s)", d.Side, strings.Join(sideNames(s), ", "))
	}
	if abs32(d.X) > MaxCoord || abs32(d.Y) > MaxCoord {
		v.add(p+".x", "position (%d, %d) is outside ±%d", d.X, d.Y, MaxCoord)
	}
	for j, st := range d.Standards {
		if _, err := ParseMedium(st); err != nil {
			v.add(fmt.Sprintf("%s.standards[%d]", p, j), "unknown standard %q (valid: %s)", st, joinNames(mediumNames[1:]))
		}
	}
	if d.Protocol != "" {
		if pr, err := ParseProtocol(d.Protocol); err != nil || !pr.IP() {
			v.add(p+".protocol", "protocol %q is not an internet protocol (valid: mqtt, coap, http)", d.Protocol)
		}
	}
	if d.Address < 0 || d.Address > 0x1FFFFFFF {
		v.add(p+".address", "address %d is out of range (Modbus 1..247, CAN 0..536870911)", d.Address)
	}
	if d.PeriodMs < 0 || d.PeriodMs > MaxPeriodMs {
		v.add(p+".period_ms", "period %d ms is out of range (1..%d)", d.PeriodMs, MaxPeriodMs)
	}
	if d.CycleS < 0 || d.CycleS > 86400 {
		v.add(p+".cycle_s", "cycle %d s is out of range (1..86400)", d.CycleS)
	}
	if d.QoS < 0 || d.QoS > 1 {
		v.add(p+".qos", "qos %d is not supported (0 or 1)", d.QoS)
	}
	if !finite(d.Base) || !finite(d.Swing) || math.Abs(d.Base) > 1e9 || math.Abs(d.Swing) > 1e9 {
		v.add(p+".base", "signal base/swing must be finite and within ±1e9")
	}
	if d.Serves != "" && d.Serves != "b2b" && d.Serves != "b2c" {
		v.add(p+".serves", "serves %q is not b2b or b2c", d.Serves)
	}
}

// checkLink checks link l, at path p, against the devices' kinds and the
// link ids seen so far, and notes its id in links.
func (s *Spec) checkLink(v *validation, p string, l *LinkSpec, kinds map[string]Kind, links map[string]bool) {
	if !validID(l.ID) {
		v.add(p+".id", "%q is not a valid id", l.ID)
	} else if links[l.ID] || kinds[l.ID] != 0 {
		v.add(p+".id", "id %q is already used", l.ID)
	}
	links[l.ID] = true
	m, err := ParseMedium(l.Medium)
	if err != nil {
		v.add(p+".medium", "unknown medium %q (valid: %s)", l.Medium, joinNames(mediumNames[1:]))
	}
	if len(l.Members) < 2 {
		v.add(p+".members", "a link needs at least 2 members, has %d", len(l.Members))
	}
	if m == MediumRS232 && len(l.Members) > 2 {
		v.add(p+".members", "RS-232 is point-to-point: 2 members, has %d (use rs485 for a bus)", len(l.Members))
	}
	if m == MediumRS485 && len(l.Members) > maxBusUnits {
		v.add(p+".members", "an RS-485 bus carries at most %d unit loads without repeaters, has %d", maxBusUnits, len(l.Members))
	}
	seen := map[string]bool{}
	for j, mem := range l.Members {
		mp := fmt.Sprintf("%s.members[%d]", p, j)
		if _, ok := kinds[mem]; !ok {
			v.add(mp, "no device %q", mem)
			continue
		}
		if seen[mem] {
			v.add(mp, "device %q is listed twice", mem)
		}
		seen[mem] = true
		if m != 0 {
			if reason := speaks(s.deviceByID(mem), m, kinds[mem]); reason != "" {
				v.add(mp, "%s", reason)
			}
		}
	}
	if l.Baud < 0 || l.Baud > 1_000_000_000 {
		v.add(p+".baud", "baud %d is out of range (300..1000000000)", l.Baud)
	}
	if !finite(l.LatencyMs) || l.LatencyMs < 0 || l.LatencyMs > 60000 {
		v.add(p+".latency_ms", "latency %v ms is out of range (0..60000)", l.LatencyMs)
	}
	if !finite(l.JitterMs) || l.JitterMs < 0 || l.JitterMs > 60000 {
		v.add(p+".jitter_ms", "jitter %v ms is out of range (0..60000)", l.JitterMs)
	}
	if !finite(l.LossPct) || l.LossPct < 0 || l.LossPct > 100 {
		v.add(p+".loss_pct", "loss %v%% is out of range (0..100)", l.LossPct)
	}
	if l.Range < 0 {
		v.add(p+".range", "range %d is negative", l.Range)
	}
}

// checkRule checks rule r, at path p, against the devices' kinds.
func checkRule(v *validation, p string, r Rule, kinds map[string]Kind) {
	if k, ok := kinds[r.Where]; !ok {
		v.add(p+".where", "no device %q", r.Where)
	} else if k != KindController && k != KindBroker && k != KindGateway && k != 0 {
		v.add(p+".where", "%q is a %s; rules run on a controller, gateway or broker", r.Where, k)
	}
	if _, ok := kinds[r.Sensor]; !ok {
		v.add(p+".sensor", "no device %q", r.Sensor)
	}
	if k, ok := kinds[r.Actuator]; !ok {
		v.add(p+".actuator", "no device %q", r.Actuator)
	} else if k != KindActuator && k != KindBoard && k != 0 {
		v.add(p+".actuator", "%q is a %s, not an actuator", r.Actuator, k)
	}
	if !finite(r.Above) || !finite(r.Hysteresis) || r.Hysteresis < 0 {
		v.add(p+".above", "threshold must be finite, hysteresis ≥ 0")
	}
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
