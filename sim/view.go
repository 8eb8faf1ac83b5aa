package sim

// View is what the renderer draws: a read-only picture of the world at one
// tick. World.View fills one in place, reusing its slices, so a renderer
// that keeps its View allocates nothing per frame once warm.
type View struct {
	Tick     int64
	Devices  []DeviceView
	Links    []LinkView
	Messages []MessageView
	Bounds   Rect
	Sides    []string
	members  []int32
	index    []int32
	// What the view was last filled from: while the world, its topology
	// and its shape are the same, only what changes is copied again.
	of          *World
	topo, shape uint64
}

// Rect is an axis-aligned box in world units.
type Rect struct{ MinX, MinY, MaxX, MaxY float32 }

// DeviceView is one device as drawn.
type DeviceView struct {
	ID, Label string
	Kind      Kind
	Side      int
	X, Y      float32
	Powered   bool // switched on
	Online    bool // powered and with at least one link up
	Busy      bool // transmitting now
	Refused   bool // an action on it was refused in the last two seconds
	Real      bool // a real board
	On        bool // an actuator's state
	Value     int64
	Quantity  string
	Unit      string
}

// LinkView is one link as drawn. Members index View.Devices: two for a wire
// or radio association, more for a bus or a star whose hub is Members[0].
type LinkView struct {
	ID      string
	Medium  Medium
	Up      bool
	Members []int32
	n       int
}

// MessageView is one message in flight. Progress runs from 0 at From to 1
// at To along Link; a message still waiting for its medium has 0.
type MessageView struct {
	ID       uint64
	Link     int32
	From, To int32
	Progress float32
	Protocol Protocol
	Lost     bool
}

// View fills v with the world as it is now. Filling the same view again
// from the same world copies only what can change without a change of
// topology (places, power, activity, values), so a frame of 10,000
// devices does not copy their names again.
func (w *World) View(v *View) {
	v.Tick = w.tick
	v.Sides = w.sides
	if v.of == w && v.topo == w.topoVers && v.shape == w.shapeVers && len(v.index) == len(w.devices) {
		w.refreshView(v)
		return
	}
	v.of, v.topo, v.shape = w, w.topoVers, w.shapeVers
	if cap(v.index) < len(w.devices) {
		v.index = make([]int32, len(w.devices))
	}
	v.index = v.index[:len(w.devices)]
	v.Devices = v.Devices[:0]
	b := Rect{MinX: 1 << 30, MinY: 1 << 30, MaxX: -1 << 30, MaxY: -1 << 30}
	for i := range w.devices {
		d := &w.devices[i]
		if d.removed {
			v.index[i] = -1
			continue
		}
		v.index[i] = int32(len(v.Devices))
		online := w.online(d)
		x, y := float32(d.x), float32(d.y)
		b.MinX, b.MaxX = min(b.MinX, x), max(b.MaxX, x)
		b.MinY, b.MaxY = min(b.MinY, y), max(b.MaxY, y)
		v.Devices = append(v.Devices, DeviceView{
			ID: d.id, Label: d.label, Kind: d.kind, Side: d.side, X: x, Y: y,
			Powered: d.powered, Online: online, Busy: d.busyUntil > w.now,
			Refused: d.refusedTil > w.now, Real: d.real, On: d.on,
			Value: d.value, Quantity: d.quantity, Unit: d.unit,
		})
	}
	if len(v.Devices) == 0 {
		b = Rect{}
	}
	v.Bounds = b
	// Members of removed devices are left out; slices into members are
	// taken once it stopped growing.
	v.members = v.members[:0]
	v.Links = v.Links[:0]
	for li := range w.links {
		l := &w.links[li]
		n := 0
		for _, m := range l.members {
			if j := v.index[m]; j >= 0 {
				v.members = append(v.members, j)
				n++
			}
		}
		v.Links = append(v.Links, LinkView{ID: l.id, Medium: l.medium, Up: l.up && !l.removed, n: n})
	}
	off := 0
	for li := range v.Links {
		n := v.Links[li].n
		v.Links[li].Members = v.members[off : off+n : off+n]
		off += n
	}
	w.viewMessages(v)
}

// refreshView updates a view filled from w under the same topology: the
// devices' changing state, the links' state and the messages.
func (w *World) refreshView(v *View) {
	b := Rect{MinX: 1 << 30, MinY: 1 << 30, MaxX: -1 << 30, MaxY: -1 << 30}
	for i := range w.devices {
		j := v.index[i]
		if j < 0 {
			continue
		}
		d, dv := &w.devices[i], &v.Devices[j]
		online := w.online(d)
		x, y := float32(d.x), float32(d.y)
		b.MinX, b.MaxX = min(b.MinX, x), max(b.MaxX, x)
		b.MinY, b.MaxY = min(b.MinY, y), max(b.MaxY, y)
		dv.X, dv.Y = x, y
		dv.Powered, dv.Online, dv.Busy = d.powered, online, d.busyUntil > w.now
		dv.Refused, dv.On, dv.Value = d.refusedTil > w.now, d.on, d.value
	}
	if len(v.Devices) == 0 {
		b = Rect{}
	}
	v.Bounds = b
	for li := range v.Links {
		l := &w.links[li]
		v.Links[li].Up = l.up && !l.removed
	}
	w.viewMessages(v)
}

// viewMessages fills the view's messages in flight.
func (w *World) viewMessages(v *View) {
	v.Messages = v.Messages[:0]
	for i := range w.msgs {
		m := &w.msgs[i]
		if !m.live || m.link < 0 || v.index[m.from] < 0 || v.index[m.to] < 0 {
			continue
		}
		var p float32
		if w.now > m.start && m.arrive > m.start {
			p = float32(w.now-m.start) / float32(m.arrive-m.start)
			if p > 1 {
				p = 1
			}
		}
		v.Messages = append(v.Messages, MessageView{
			ID: m.id, Link: m.link, From: v.index[m.from], To: v.index[m.to],
			Progress: p, Protocol: m.enc, Lost: m.lost,
		})
	}
}

// DeviceInfo is what the inspector shows of one device.
type DeviceInfo struct {
	ID        string   `json:"id"`
	Label     string   `json:"label"`
	Kind      string   `json:"kind"`
	Side      string   `json:"side"`
	Standards []string `json:"standards"`
	Protocol  string   `json:"protocol,omitempty"`
	Address   int      `json:"address,omitempty"`
	Powered   bool     `json:"powered"`
	Real      bool     `json:"real,omitempty"`
	On        bool     `json:"on,omitempty"`
	Quantity  string   `json:"quantity,omitempty"`
	Value     float64  `json:"value"`
	Unit      string   `json:"unit,omitempty"`
	// SampledMs is the world time (ms) the value was measured at, 0
	// before the first sample.
	SampledMs int64 `json:"sampled_ms,omitempty"`
	// Readings are a real board's latest values, one a name, in the
	// order the board first printed them; empty for other devices.
	Readings  []NamedReading `json:"readings,omitempty"`
	QoS       int            `json:"qos"`
	PeriodMs  int64          `json:"period_ms,omitempty"`
	Links     []string       `json:"links"`
	Target    string         `json:"target,omitempty"`
	PollCycle float64        `json:"poll_cycle_ms,omitempty"`
	Buffered  int            `json:"buffered"`
	X         int32          `json:"x"`
	Y         int32          `json:"y"`
	Stats     DeviceStats    `json:"stats"`
}

// NamedReading is the latest value of one named reading of a real board.
type NamedReading struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// SampledMs is the world time (ms, one a tick) the value arrived at.
	SampledMs int64 `json:"sampled_ms"`
}

// Metric is the name the open API gives the reading, on REST and as the
// last level of its MQTT topic: the board's name, with the characters a
// topic level cannot hold (/, +, #, control characters) as _, and a name
// the API uses for a topic of its own (on, online, set) as reading_NAME.
func (r NamedReading) Metric() string {
	m := []rune(r.Name)
	for i, c := range m {
		if c == '/' || c == '+' || c == '#' || c < 0x20 || c == 0x7f {
			m[i] = '_'
		}
	}
	switch s := string(m); s {
	case "on", "online", "set":
		return "reading_" + s
	default:
		return s
	}
}

// Device describes one device for the inspector and the open API.
func (w *World) Device(id string) (DeviceInfo, bool) {
	i, ok := w.byID[id]
	if !ok || w.devices[i].removed {
		return DeviceInfo{}, false
	}
	d := &w.devices[i]
	info := DeviceInfo{
		ID: d.id, Label: d.label, Kind: d.kind.String(), Side: w.sides[d.side],
		Address: d.addr, Powered: d.powered, Real: d.real, On: d.on,
		Quantity: d.quantity, Value: float64(d.value) / 1000, Unit: d.unit, SampledMs: d.valueAt / 1000,
		QoS: int(d.qos), PeriodMs: d.period / 1000, Buffered: len(d.buffer),
		PollCycle: float64(d.lastCycle) / 1000, X: d.x, Y: d.y, Stats: d.stats,
	}
	for _, n := range d.named {
		info.Readings = append(info.Readings, NamedReading{Name: n.name, Value: float64(n.value) / 1000, SampledMs: n.at / 1000})
	}
	for m := MediumRS232; m < mediumEnd; m++ {
		if d.stds&(1<<m) != 0 {
			info.Standards = append(info.Standards, m.String())
		}
	}
	for _, li := range d.links {
		info.Links = append(info.Links, w.links[li].id)
		if w.links[li].medium.IP() {
			info.Protocol = d.proto.String()
		}
	}
	if d.kind == KindSensor || d.kind == KindBoard {
		if t := w.targetOf(i); t >= 0 {
			info.Target = w.devices[t].id
		}
	}
	return info, true
}

// DeviceIDs lists the ids of the devices present, in creation order.
func (w *World) DeviceIDs() []string {
	ids := make([]string, 0, len(w.devices))
	for i := range w.devices {
		if !w.devices[i].removed {
			ids = append(ids, w.devices[i].id)
		}
	}
	return ids
}

// MessageInfo is what the inspector shows of a message in flight: its real
// bytes, to dissect with sim/proto.
type MessageInfo struct {
	ID        uint64  `json:"id"`
	Kind      string  `json:"kind"`
	Protocol  string  `json:"protocol"`
	Side      string  `json:"side"`
	Origin    string  `json:"origin"`
	Dest      string  `json:"dest"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Link      string  `json:"link"`
	Medium    string  `json:"medium"`
	LatencyMs float64 `json:"latency_ms"` // this hop's time on the wire
	AgeMs     float64 `json:"age_ms"`     // since the value was measured
	WireBytes int     `json:"wire_bytes"` // with transport headers
	Lost      bool    `json:"lost"`
	Bytes     []byte  `json:"bytes"`
}

// Message describes a message in flight, or false once it has arrived.
func (w *World) Message(id uint64) (MessageInfo, bool) {
	for i := range w.msgs {
		m := &w.msgs[i]
		if !m.live || m.id != id || m.link < 0 {
			continue
		}
		l := &w.links[m.link]
		return MessageInfo{
			ID: m.id, Kind: msgKindNames[m.kind], Protocol: m.enc.String(), Side: w.sides[m.side],
			Origin: w.devices[m.origin].id, Dest: w.devices[m.dst].id,
			From: w.devices[m.from].id, To: w.devices[m.to].id,
			Link: l.id, Medium: l.medium.String(),
			LatencyMs: float64(m.arrive-m.start) / 1000, AgeMs: float64(w.now-m.sampled) / 1000,
			WireBytes: m.wire, Lost: m.lost, Bytes: append([]byte(nil), m.buf...),
		}, true
	}
	return MessageInfo{}, false
}

// online reports whether a device is powered and reachable over at least
// one of its links that is up.
func (w *World) online(d *device) bool {
	if !d.powered {
		return false
	}
	for _, li := range d.links {
		if w.links[li].up {
			return true
		}
	}
	return false
}
