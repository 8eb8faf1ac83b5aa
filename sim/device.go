package sim

// device is one device of a world. What only some roles use is grouped
// by role: sensing (sensors and boards, and Modbus slaves answering with
// their value) and polling (a controller as Modbus master); on is an
// actuator's state, buffer an IoT client's. The groups are embedded, so
// their fields read as the device's own, and stand beside the fields the
// step reads with them.
type device struct {
	id, label string
	kind      Kind
	side      int
	x, y      int32
	stds      uint32 // bit per Medium
	fixed     bool   // stds are the device's only ports
	proto     Protocol
	addr      int   // Modbus slave address or CAN identifier
	period    int64 // µs: a sensor's sampling period, a controller's pause between poll cycles
	sensing
	qos        uint8
	target     int32 // -1: automatic
	powered    bool
	removed    bool
	real       bool
	serves     string
	on         bool // an actuator's state
	links      []int32
	busyUntil  int64
	refusedTil int64  // the device wears a refusal mark until then
	gen        uint32 // bumps on removal/power change so stale timers die

	sink     int32 // the automatic target, stamped sinkVers (cache.go)
	sinkVers uint64

	polling
	buffer []int32 // an IoT client's messages held while its path is down (QoS 1)

	stats DeviceStats

	topic, setTopic string // MQTT topics, built on first use
}

// sensing is what a sensor or a board measures and the value it holds.
type sensing struct {
	quantity string
	unit     string
	base     int64        // milli
	swing    int64        // milli
	cycle    int64        // µs
	phase    int64        // µs offset, so sensors are not in lockstep
	value    int64        // milli, latest known
	valueAt  int64        // µs
	named    []namedValue // a real board's readings, latest of each name
}

// polling is a controller's state as the master of its Modbus bus.
type polling struct {
	pollPos    int
	cycleStart int64
	waiting    uint64 // message id of the outstanding request, 0 = none
	pollSeq    uint64
	commands   []command
	lastCycle  int64
}

// namedValue is the latest value of one of a real board's readings.
type namedValue struct {
	name  string
	value int64 // milli
	at    int64 // µs
}

// command is a write a controller owes an actuator on its bus.
type command struct {
	dev     int32
	on      bool
	trigger int64
}

// DeviceStats are one device's counters.
type DeviceStats struct {
	Sent      int64 `json:"sent"`
	Received  int64 `json:"received"`
	Lost      int64 `json:"lost"`
	Bytes     int64 `json:"bytes"`
	Decisions int64 `json:"decisions"`
	Buffered  int64 `json:"buffered"`
}

func (w *World) standardsOf(d *device) string {
	s := ""
	for m := MediumRS232; m < mediumEnd; m++ {
		if d.stds&(1<<m) != 0 {
			if s != "" {
				s += "/"
			}
			s += m.String()
		}
	}
	if s == "" {
		return "nothing"
	}
	return s
}

// pushes reports whether a sensor sends on its own (IoT clients, CAN nodes)
// rather than waiting to be polled (Modbus slaves).
func (w *World) pushes(i int32) bool {
	for _, li := range w.devices[i].links {
		switch w.links[li].medium {
		case MediumRS232, MediumRS485:
			return false
		}
	}
	return true
}
