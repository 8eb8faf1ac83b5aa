// The inspector: what a device or message is, its open API, its controls.

package ui

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vugu/vugu"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

type prop struct{ Name, Value string }

func (c *Root) deviceProps() []prop {
	d := c.Model.Device
	state := "on"
	if !d.Powered {
		state = "powered off"
	}
	ps := []prop{
		{"kind", d.Kind}, {"side", d.Side}, {"state", state},
		{"standards", strings.Join(d.Standards, ", ")}, {"links", strings.Join(d.Links, ", ")},
	}
	if d.Protocol != "" {
		ps = append(ps, prop{"protocol", d.Protocol})
	}
	if d.Address != 0 {
		ps = append(ps, prop{"address", strconv.Itoa(d.Address)})
	}
	if d.Quantity != "" {
		ps = append(ps, prop{d.Quantity, strconv.FormatFloat(d.Value, 'f', 2, 64) + " " + d.Unit})
	}
	if d.Target != "" {
		ps = append(ps, prop{"sends to", d.Target})
	}
	if d.Kind == sim.KindActuator.String() {
		ps = append(ps, prop{"output", onOff(d.On)})
	}
	if d.PollCycle > 0 {
		ps = append(ps, prop{"poll cycle", ms(d.PollCycle)})
	}
	if d.Protocol != "" {
		ps = append(ps, prop{"MQTT QoS", strconv.Itoa(d.QoS)}, prop{"waiting", strconv.Itoa(d.Buffered)})
	}
	ps = append(ps,
		prop{"sent / received / lost", fmt.Sprintf("%d / %d / %d", d.Stats.Sent, d.Stats.Received, d.Stats.Lost)},
		prop{"bytes sent", strconv.FormatInt(d.Stats.Bytes, 10)})
	return ps
}

// openSide is the side whose devices the server's open API exposes.
const openSide = "iot"

// apiOpen reports whether the inspected device is reachable by outside
// programs (REST and MQTT), as the IoT side's devices are.
func (c *Root) apiOpen() bool { return c.Model.Device.Side == openSide }

// whyClosed says why an M2M device has no topic and no API.
func (c *Root) whyClosed() string {
	return "No open API: an M2M device answers only its own master on its own bus (" + c.busOf() +
		"), so it has no MQTT topic, and the room's REST API lists it without its readings and refuses actions on it. Reading it from outside takes a gateway someone must build."
}

func (c *Root) busOf() string {
	switch {
	case slices.Contains(c.Model.Device.Standards, "can"):
		return "CAN"
	case slices.Contains(c.Model.Device.Standards, "rs485"), slices.Contains(c.Model.Device.Standards, "rs232"):
		return "Modbus RTU"
	}
	return "a field bus"
}

func (c *Root) inRoom() bool { return len(c.Model.Room) > 0 }

// topic is the inspected device's MQTT topic prefix in the room.
func (c *Root) topic() string { return sim.DeviceTopic(c.Model.Room, c.Model.Device.ID) }

// topicsText names the inspected device's topics: what it publishes, then
// where it takes commands.
func (c *Root) topicsText() string {
	d := c.Model.Device
	var metrics []string
	switch {
	case len(d.Readings) > 0:
		for _, r := range d.Readings {
			metrics = append(metrics, r.Metric())
		}
	case d.Kind == sim.KindSensor.String(), d.Kind == sim.KindBoard.String():
		m := d.Quantity
		if m == "" {
			m = "value"
		}
		metrics = append(metrics, m)
	}
	if d.Kind == sim.KindActuator.String() || d.Kind == sim.KindBoard.String() {
		metrics = append(metrics, "on")
	}
	metrics = append(metrics, "online")
	s := c.topic() + "/" + metrics[0]
	for _, m := range metrics[1:] {
		s += ", …/" + m
	}
	return s + "; commands on …/" + sim.TopicSet
}

// curlLine reads the inspected device from the room's REST API.
func (c *Root) curlLine() string {
	return "curl -s " + c.Model.Origin + "/api/rooms/" + c.Model.Room + "/devices/" + c.Model.Device.ID
}

func (c *Root) hasMQTT() bool { return len(c.Model.MQTTPort) > 0 }

// mqttLogin is a mosquitto client's address and credentials for the room:
// the user name is the room id, the password the room's token.
func (c *Root) mqttLogin() string {
	return "-h " + c.Model.MQTTHost + " -p " + c.Model.MQTTPort + " -u " + c.Model.Room + " -P " + c.Model.MQTTToken
}

// subLine follows the inspected device's readings over MQTT.
func (c *Root) subLine() string {
	return "mosquitto_sub " + c.mqttLogin() + " -t '" + c.topic() + "/#' -v"
}

// pubLine commands the inspected actuator over MQTT.
func (c *Root) pubLine() string {
	return "mosquitto_pub " + c.mqttLogin() + " -t '" + c.topic() + "/set' -m on"
}

// SelectAll selects the text of a copyable line when it gets the focus.
func (c *Root) SelectAll(e vugu.DOMEvent) {
	if t := e.JSEventTarget(); t.Truthy() {
		t.Call("select")
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (c *Root) powerLabel() string { return either(c.Model.Device.Powered, "Power off", "Power on") }

// TogglePower switches the inspected device off or on.
func (c *Root) TogglePower(vugu.DOMEvent) {
	d := c.Model.Device
	c.Send(Act{sim.Action{Kind: sim.ActPower, Device: d.ID, On: !d.Powered}})
}

func (c *Root) commandable() bool {
	return c.Model.Device != nil && (c.Model.Device.Kind == sim.KindActuator.String() || c.Model.Device.Kind == sim.KindBoard.String())
}

func (c *Root) commandLabel() string { return either(c.Model.Device.On, "Command off", "Command on") }

// Command switches an actuator, as its controller or an app would.
func (c *Root) Command(vugu.DOMEvent) {
	d := c.Model.Device
	c.Send(Act{sim.Action{Kind: sim.ActCommand, Device: d.ID, On: !d.On}})
}

func (c *Root) periodText() string { return strconv.FormatInt(c.Model.Device.PeriodMs, 10) }

func (c *Root) mqtt() string { return "mqtt" }

func (c *Root) maxPeriod() string { return strconv.Itoa(sim.MaxPeriodMs) }

// SetPeriod changes how often the inspected device samples: an action, so
// it is shared and replayed like any other.
func (c *Root) SetPeriod(e vugu.DOMEvent) {
	v, err := strconv.ParseFloat(e.PropString("target", "value"), 64)
	if err != nil || v < 1 || v > sim.MaxPeriodMs {
		return
	}
	c.Send(Act{sim.Action{Kind: sim.ActSet, Device: c.Model.Device.ID, Key: "period_ms", Value: math.Round(v)}})
}

// SetQoS changes the inspected device's MQTT quality of service.
func (c *Root) SetQoS(e vugu.DOMEvent) {
	v, err := strconv.Atoi(e.PropString("target", "value"))
	if err != nil || (v != 0 && v != 1) {
		return
	}
	c.Send(Act{sim.Action{Kind: sim.ActSet, Device: c.Model.Device.ID, Key: "qos", Value: float64(v)}})
}

// PickMessage shows one of the inspected device's recent messages.
func (c *Root) PickMessage(_ vugu.DOMEvent, i int) { c.Send(PickRecent{Index: i}) }

// recentText is one line of the recent messages list.
func (c *Root) recentText(m sim.MessageInfo) string {
	s := strings.ToUpper(m.Protocol) + " " + m.Kind + " " + m.From + " → " + m.To + " · " + strconv.Itoa(m.WireBytes) + " B"
	if m.Lost {
		s += " · lost"
	}
	return s
}

func (c *Root) messageTitle() string {
	m := c.Model.Message
	return strings.ToUpper(m.Protocol) + " " + m.Kind
}

func (c *Root) messageProps() []prop {
	m := c.Model.Message
	ps := []prop{{"hop", m.From + " → " + m.To + " over " + m.Link + " (" + m.Medium + ")"}}
	// A frame picked in the event list knows its hop, not its message's
	// ends nor its value's age.
	if m.Origin != "" {
		ps = append(ps, prop{"end to end", m.Origin + " → " + m.Dest})
	}
	ps = append(ps, prop{"time on this hop", ms(m.LatencyMs)})
	if m.Origin != "" {
		ps = append(ps, prop{"age of the value", ms(m.AgeMs)})
	}
	return append(ps, prop{"frame / on the wire", fmt.Sprintf("%d / %d bytes", len(m.Bytes), m.WireBytes)})
}

func (c *Root) span(f proto.Field) string {
	if f.Len == 0 {
		return "·"
	}
	return fmt.Sprintf("%d–%d", f.Offset, f.Offset+f.Len-1)
}
