package ui

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/js"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

func (c *Root) pressed(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (c *Root) playLabel() string {
	if c.Model.Paused {
		return "Play"
	}
	return "Pause"
}

// TogglePlay pauses or resumes the world.
func (c *Root) TogglePlay(vugu.DOMEvent) {
	p := !c.Model.Paused
	c.Model.Paused = p
	c.Send(Command{Pause: &p})
}

// StepOnce advances a paused world by one tick.
func (c *Root) StepOnce(vugu.DOMEvent) { c.Send(Command{Step: true}) }

// ResetWorld starts the scene again, without the actions taken.
func (c *Root) ResetWorld(vugu.DOMEvent) { c.Send(Command{Reset: true}) }

// PickScene loads another built-in scene.
func (c *Root) PickScene(e vugu.DOMEvent) {
	c.Send(Command{LoadScene: e.PropString("target", "value")})
}

// SetSpeed changes how fast simulated time runs.
func (c *Root) SetSpeed(e vugu.DOMEvent) {
	v, err := strconv.ParseFloat(e.PropString("target", "value"), 64)
	if err != nil || v <= 0 {
		return
	}
	c.Model.Speed = v
	c.Send(Command{Speed: v})
}

type choice struct {
	Value, Label string
	Selected     bool
}

func (c *Root) speeds() []choice {
	out := make([]choice, len(Speeds))
	for i, s := range Speeds {
		v := strconv.FormatFloat(s, 'g', -1, 64)
		out[i] = choice{Value: v, Label: v + "×", Selected: s == c.Model.Speed}
	}
	return out
}

func (c *Root) clock() string {
	ms := c.Model.Tick
	return fmt.Sprintf("%d:%02d.%d", ms/60000, ms/1000%60, ms/100%10)
}

func (c *Root) internetLabel() string {
	if c.Model.InternetUp {
		return "Cut the internet"
	}
	return "Restore the internet"
}

func (c *Root) internetClass() string {
	if c.Model.InternetUp {
		return ""
	}
	return "cut"
}

// ToggleInternet cuts or restores every internet link.
func (c *Root) ToggleInternet(vugu.DOMEvent) {
	k := sim.ActCut
	if !c.Model.InternetUp {
		k = sim.ActRestore
	}
	c.Send(Command{Action: &sim.Action{Kind: k, Link: sim.Internet}})
}

func (c *Root) addCounts() []string {
	out := make([]string, len(AddCounts))
	for i, n := range AddCounts {
		out[i] = strconv.Itoa(n)
	}
	return out
}

func (c *Root) count() int {
	if c.addCount == 0 {
		return 10
	}
	return c.addCount
}

func (c *Root) countText() string { return strconv.Itoa(c.count()) }

func (c *Root) kinds() []string { return []string{"sensor", "actuator", "app"} }

func plural(k string) string { return k + "s" }

func sideClass(side string) string { return "side-" + side }

func (c *Root) kind() string {
	if c.addKind == "" {
		return "sensor"
	}
	return c.addKind
}

func (c *Root) link() string {
	for _, l := range c.Model.Links {
		if l.ID == c.addLink {
			return l.ID
		}
	}
	if len(c.Model.Links) > 0 {
		return c.Model.Links[0].ID
	}
	return ""
}

// SetAddCount, SetAddKind and SetAddLink choose what Add adds.
func (c *Root) SetAddCount(e vugu.DOMEvent) {
	c.addCount, _ = strconv.Atoi(e.PropString("target", "value"))
}
func (c *Root) SetAddKind(e vugu.DOMEvent) { c.addKind = e.PropString("target", "value") }
func (c *Root) SetAddLink(e vugu.DOMEvent) { c.addLink = e.PropString("target", "value") }

// AddDevices adds devices to the chosen link: the way to watch scaling.
func (c *Root) AddDevices(vugu.DOMEvent) {
	if c.link() == "" {
		return
	}
	c.Send(Command{Action: &sim.Action{Kind: sim.ActAdd, Link: c.link(), DeviceKind: c.kind(), Count: c.count()}})
}

type row struct {
	Name   string
	Values []string
}

// rows are the comparison's lines, one value per side.
func (c *Root) rows() []row {
	type metric struct {
		name string
		f    func(m *sim.SideMetrics) string
	}
	ms := []metric{
		{"devices", func(m *sim.SideMetrics) string { return strconv.Itoa(m.Devices) }},
		{"delivered", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Delivered, 10) }},
		{"lost", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Lost, 10) }},
		{"waiting (QoS 1)", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Buffered, 10) }},
		{"latency p50", func(m *sim.SideMetrics) string { return ms(m.LatencyP50Ms) }},
		{"latency p99", func(m *sim.SideMetrics) string { return ms(m.LatencyP99Ms) }},
		{"reaction p50", func(m *sim.SideMetrics) string { return ms(m.ReactionP50Ms) }},
		{"bytes / reading", func(m *sim.SideMetrics) string { return strconv.FormatFloat(m.BytesPerRead, 'f', 1, 64) }},
		{"links", func(m *sim.SideMetrics) string { return strconv.Itoa(m.Links) }},
		{"poll cycle", func(m *sim.SideMetrics) string { return ms(m.PollCycleMs) }},
		{"standards", func(m *sim.SideMetrics) string { return strconv.Itoa(m.Standards) }},
		{"translations", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Translations, 10) }},
		{"decisions local / cloud", func(m *sim.SideMetrics) string {
			return strconv.FormatInt(m.DecisionsLocal, 10) + " / " + strconv.FormatInt(m.DecisionsCloud, 10)
		}},
		{"needs the internet", func(m *sim.SideMetrics) string { return yesNo(m.Internet) }},
	}
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i].Name = m.name
		for j := range c.Model.Sides {
			out[i].Values = append(out[i].Values, m.f(&c.Model.Sides[j]))
		}
	}
	return out
}

func ms(v float64) string {
	if v == 0 {
		return "–"
	}
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// chart draws readings delivered per second for each side.
func (c *Root) chart() vugu.HTML {
	return vugu.HTML(Chart(c.Model.Series, len(c.Model.Sides), 300, 70, Delivered))
}

// latencyChart draws each side's median latency, second by second.
func (c *Root) latencyChart() vugu.HTML {
	return vugu.HTML(Chart(c.Model.Series, len(c.Model.Sides), 300, 70, Latency))
}

// csvHref is the metrics as a CSV download.
func (c *Root) csvHref() string {
	return "data:text/csv;charset=utf-8," + url.PathEscape(CSV(c.Model.Sides))
}

// CSV writes the side metrics, one row per side.
func CSV(sides []sim.SideMetrics) string {
	var b strings.Builder
	b.WriteString("side,devices,sent,delivered,lost,buffered,latency_p50_ms,latency_p99_ms,reaction_p50_ms,bytes,bytes_per_reading,links,poll_cycle_ms,translations,decisions_local,decisions_cloud,needs_internet\n")
	for _, m := range sides {
		fmt.Fprintf(&b, "%s,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%d,%.2f,%d,%.3f,%d,%d,%d,%t\n", m.Side, m.Devices, m.Sent, m.Delivered, m.Lost,
			m.Buffered, m.LatencyP50Ms, m.LatencyP99Ms, m.ReactionP50Ms, m.Bytes, m.BytesPerRead, m.Links, m.PollCycleMs,
			m.Translations, m.DecisionsLocal, m.DecisionsCloud, m.Internet)
	}
	return b.String()
}

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

func (c *Root) powerLabel() string {
	if c.Model.Device.Powered {
		return "Power off"
	}
	return "Power on"
}

// TogglePower switches the inspected device off or on.
func (c *Root) TogglePower(vugu.DOMEvent) {
	d := c.Model.Device
	c.Send(Command{Action: &sim.Action{Kind: sim.ActPower, Device: d.ID, On: !d.Powered}})
}

func (c *Root) commandable() bool {
	return c.Model.Device != nil && (c.Model.Device.Kind == sim.KindActuator.String() || c.Model.Device.Kind == sim.KindBoard.String())
}

func (c *Root) commandLabel() string {
	if c.Model.Device.On {
		return "Command off"
	}
	return "Command on"
}

// Command switches an actuator, as its controller or an app would.
func (c *Root) Command(vugu.DOMEvent) {
	d := c.Model.Device
	c.Send(Command{Action: &sim.Action{Kind: sim.ActCommand, Device: d.ID, On: !d.On}})
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
	c.Send(Command{Action: &sim.Action{Kind: sim.ActSet, Device: c.Model.Device.ID, Key: "period_ms", Value: math.Round(v)}})
}

// SetQoS changes the inspected device's MQTT quality of service.
func (c *Root) SetQoS(e vugu.DOMEvent) {
	v, err := strconv.Atoi(e.PropString("target", "value"))
	if err != nil || (v != 0 && v != 1) {
		return
	}
	c.Send(Command{Action: &sim.Action{Kind: sim.ActSet, Device: c.Model.Device.ID, Key: "qos", Value: float64(v)}})
}

// PickMessage shows one of the inspected device's recent messages.
func (c *Root) PickMessage(_ vugu.DOMEvent, i int) { c.Send(Command{Recent: i + 1}) }

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

// ShareLink makes the link that reproduces the world as it is.
func (c *Root) ShareLink(vugu.DOMEvent) { c.Send(Command{Share: true}) }

// ApplyYAML loads the edited scene; errors show with their line and
// column. The text is read from the text area when Apply is pressed, not
// kept as it is typed: a key press then costs the page nothing (a handler
// would render every panel again on each key).
func (c *Root) ApplyYAML(vugu.DOMEvent) {
	text := c.Model.Editor
	if ta := js.Global().Get("document").Call("getElementById", "scene-yaml"); ta.Truthy() {
		text = ta.Get("value").String()
	}
	c.Send(Command{ApplyYAML: &text})
}

// StartRoom makes a live room of this scene and joins it.
func (c *Root) StartRoom(vugu.DOMEvent) { c.Send(Command{NewRoom: true}) }

func (c *Root) roomClass() string {
	if c.Model.RoomStatus == "live" {
		return "ty-live"
	}
	return "ty-reconnecting"
}

func (c *Root) membersText() string {
	if c.Model.Members == 1 {
		return "1 browser in the room"
	}
	return strconv.Itoa(c.Model.Members) + " browsers in the room"
}

func (c *Root) bauds() []string {
	out := make([]string, len(Bauds))
	for i, b := range Bauds {
		out[i] = strconv.Itoa(b)
	}
	return out
}

func (c *Root) baudText() string {
	if c.baud == 0 {
		return "115200"
	}
	return strconv.Itoa(c.baud)
}

func (c *Root) open() string { return "open" }

// SetBaud chooses the board's speed.
func (c *Root) SetBaud(e vugu.DOMEvent) { c.baud, _ = strconv.Atoi(e.PropString("target", "value")) }

// ConnectBoard asks the browser for a serial port, unless a Modbus RTU
// setting is wrong (the panel says which).
func (c *Root) ConnectBoard(vugu.DOMEvent) {
	ch := BoardChoice{Protocol: c.protocolText()}
	ch.Baud, _ = strconv.Atoi(c.baudText())
	if ch.Protocol == "modbus" && ParseModbus(c.modbusTexts(), &ch) != nil {
		return
	}
	c.Connect(ch)
}

func (c *Root) modbusFields() []ModbusField { return ModbusFields[:] }

// modbusTexts are the Modbus RTU settings as typed, the defaults until
// the person types.
func (c *Root) modbusTexts() [4]string {
	var t [4]string
	for i, f := range ModbusFields {
		t[i] = f.Default
		if c.modbus[i] != nil {
			t[i] = *c.modbus[i]
		}
	}
	return t
}

func (c *Root) modbusText(i int) string { return c.modbusTexts()[i] }

// SetModbus keeps a Modbus RTU setting as the person types it.
func (c *Root) SetModbus(e vugu.DOMEvent, i int) {
	v := e.PropString("target", "value")
	c.modbus[i] = &v
}

// modbusNote says what the Modbus RTU settings will do.
func (c *Root) modbusNote() string {
	var ch BoardChoice
	if ParseModbus(c.modbusTexts(), &ch) != nil {
		return ""
	}
	regs := "register " + strconv.Itoa(ch.Register)
	names := "hr" + strconv.Itoa(ch.Register)
	if ch.Count > 1 {
		last := strconv.Itoa(ch.Register + ch.Count - 1)
		regs = "registers " + strconv.Itoa(ch.Register) + " to " + last
		names += " to hr" + last
	}
	return "Reads holding " + regs + " of slave " + strconv.Itoa(ch.Slave) + " twice a second (readings " + names +
		"); on and off write coil " + strconv.Itoa(ch.Coil) + "."
}

// modbusError says what is wrong with the Modbus RTU settings, or "".
func (c *Root) modbusError() string {
	if c.protocolText() != "modbus" {
		return ""
	}
	if err := ParseModbus(c.modbusTexts(), new(BoardChoice)); err != nil {
		return err.Error()
	}
	return ""
}

func (c *Root) protocols() []string { return BoardProtocols }

func (c *Root) protocolText() string {
	if c.protocol == "" {
		return "auto"
	}
	return c.protocol
}

func (c *Root) protocolLabel(p string) string {
	switch p {
	case "auto":
		return "find out"
	case "plotter":
		return "plotter lines"
	case "firmata":
		return "StandardFirmata"
	}
	return "Modbus RTU"
}

// SetProtocol chooses what the board speaks; StandardFirmata brings its
// baud rate along unless one was chosen.
func (c *Root) SetProtocol(e vugu.DOMEvent) {
	c.protocol = e.PropString("target", "value")
	if c.protocol == "firmata" && c.baud == 0 {
		c.baud = 57600
	}
}

func (c *Root) boardState() string {
	b := c.Model.Board
	switch b.State {
	case "open":
		s := "Connected"
		if b.Protocol != "" {
			s += " (" + protocolName(b.Protocol) + ")"
		}
		if b.Device != "" {
			s += ", driving " + b.Device
		}
		s += " · " + strconv.Itoa(b.Lines) + " readings"
		if b.Last != "" {
			s += " · last " + b.Last
		}
		return s
	case "detecting":
		return "Connected; finding out what the board speaks…"
	case "unplugged":
		return "Board unplugged: the device shows as offline. Plug it back in: it reconnects by itself (or press Connect a board)."
	case "closed":
		return "Not connected: " + b.Detail
	}
	return "Error: " + b.Detail
}

func protocolName(p string) string {
	switch p {
	case "plotter":
		return "plotter lines"
	case "firmata":
		return "StandardFirmata"
	case "modbus":
		return "Modbus RTU"
	}
	return p
}

// EditSend keeps the text to send as the person types.
func (c *Root) EditSend(e vugu.DOMEvent) { c.sendText = e.PropString("target", "value") }

// SendToBoard writes a line to the board.
func (c *Root) SendToBoard(vugu.DOMEvent) {
	text := c.sendText
	if in := js.Global().Get("document").Call("getElementById", "board-send"); in.Truthy() {
		text = in.Get("value").String()
	}
	c.Send(Command{SendBoard: text + "\n"})
}

// qr is a link as a QR code, for phones.
func (c *Root) qr(link string) vugu.HTML {
	if c.qrText != link {
		c.qrText, c.qrSVG = link, QRSVG(link)
	}
	return vugu.HTML(c.qrSVG)
}

// speedValue is the speed control's value: the world's speed, which a live
// room may have kept when the person chose another.
func (c *Root) speedValue() string { return strconv.FormatFloat(c.Model.Speed, 'g', -1, 64) }

// ToggleEditor opens or closes the scene editor. The panel keeps whether
// it is open, and the click's own toggle is cancelled: every render sets
// the element's attributes from the panel's state, so an opening the panel
// did not know of would be undone by the next refresh.
func (c *Root) ToggleEditor(e vugu.DOMEvent) {
	e.PreventDefault()
	c.editorOpen = !c.editorOpen
}

// AfterRender does what a render cannot: it puts a new scene's text in the
// editor, and it brings the inspector into view after a new selection in
// the world, unless its top is already in view (at 1280×800 it starts far
// below the lesson and the comparison). The page calls it after each
// render (vugu's Rendered callback skips the root component).
func (c *Root) AfterRender() {
	doc := js.Global().Get("document")
	if c.Model.Editor != c.editorText {
		if ta := doc.Call("getElementById", "scene-yaml"); ta.Truthy() {
			if ta.Get("value").String() != c.Model.Editor {
				ta.Set("value", c.Model.Editor)
			}
			c.editorText = c.Model.Editor
		}
	}
	c.scrollThings(doc)
	if c.Model.Reveal == c.revealed {
		return
	}
	c.revealed = c.Model.Reveal
	panel, insp := doc.Call("getElementById", "panel"), doc.Call("getElementById", "inspector")
	if !panel.Truthy() || !insp.Truthy() {
		return
	}
	top := insp.Call("getBoundingClientRect").Get("top").Float() - panel.Call("getBoundingClientRect").Get("top").Float()
	if top >= 0 && top < revealZone*panel.Get("clientHeight").Float() {
		return
	}
	behavior := "smooth"
	if mq := js.Global().Call("matchMedia", "(prefers-reduced-motion: reduce)"); mq.Truthy() && mq.Get("matches").Bool() {
		behavior = "auto"
	}
	opts := js.Global().Get("Object").New()
	opts.Set("top", panel.Get("scrollTop").Float()+top-revealGap)
	opts.Set("behavior", behavior)
	panel.Call("scrollTo", opts)
}

// The inspector is left where it is when its top is in the upper
// revealZone of the panel (default 0.6: most of it shows); otherwise the
// panel scrolls it to revealGap CSS pixels below the panel's top (8).
const (
	revealZone = 0.6
	revealGap  = 8
)
