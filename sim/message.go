package sim

// msgKind is what a message is for.
type msgKind uint8

const (
	mReading msgKind = iota + 1 // a sensor's value on its way to where it is used
	mPoll                       // a Modbus master's read request
	mReply                      // a Modbus slave's reply
	mCommand                    // an on/off command on its way to an actuator
	mFanout                     // a broker's copy of a reading for a subscriber
	mWrite                      // a Modbus master's write request
)

var msgKindNames = [...]string{"", "reading", "poll", "reply", "command", "publish", "write"}

// message is one message in a slot of World.msgs: on a hop, waiting for
// its bus, or held while its path is down.
type message struct {
	id      uint64
	live    bool
	kind    msgKind
	enc     Protocol // what buf holds
	app     Protocol // application protocol when on IP
	side    int
	origin  int32
	dst     int32
	from    int32
	to      int32
	link    int32
	start   int64
	arrive  int64
	sampled int64 // when the value was measured, or the request sent
	trigger int64 // when the reading that caused a command was measured
	value   int64
	sensor  int32
	on      bool
	lost    bool
	qos     uint8
	// frame is the Frame.Seq of the hop under way while a frame hook
	// watches, 0 once it ended or when none does; lostWhy is why that hop
	// is lost, when known as it left. Neither is state: the hash and the
	// world's course do not read them.
	frame   uint64
	lostWhy string
	buf     []byte
	wire    int // bytes on the wire for the current hop, with transport headers
}

func (w *World) newMsg(k msgKind, side int, origin, dst int32) int32 {
	var mi int32
	if n := len(w.freeMsgs); n > 0 {
		mi = w.freeMsgs[n-1]
		w.freeMsgs = w.freeMsgs[:n-1]
	} else {
		w.msgs = append(w.msgs, message{})
		mi = int32(len(w.msgs) - 1)
	}
	w.nextMsg++
	m := &w.msgs[mi]
	buf := m.buf[:0]
	*m = message{id: w.nextMsg, live: true, kind: k, side: side, origin: origin, dst: dst, from: origin, to: origin, link: -1, sensor: -1, buf: buf, app: ProtoMQTT}
	return mi
}

func (w *World) freeMsg(mi int32) {
	m := &w.msgs[mi]
	m.live = false
	w.freeMsgs = append(w.freeMsgs, mi)
}

// sentBy counts a message that device i sends: one it made (a reading, a
// poll, a write, a reply, a command, a broker's copy for an app) or one it
// passes on toward its destination (a gateway, a broker). A retry of a
// message held while its path was down is the same message, not a new one;
// its bytes count again in the device's bytes sent, as they cross the wire
// again.
func (w *World) sentBy(i int32) { w.devices[i].stats.Sent++ }

// payloadBytes is what one reading is worth: a 32-bit value. Everything
// else on the wire is overhead.
const payloadBytes = 4

// forward moves a message one hop on from device at toward its destination,
// or buffers or drops it when no path is up, as a real client would.
func (w *World) forward(mi int32, at int32) {
	m := &w.msgs[mi]
	li, hop, ok := w.nextHop(at, m.dst)
	if !ok {
		w.unsendable(mi, at)
		return
	}
	w.transmit(mi, li, at, hop)
}

// maxBuffer is how many messages one IoT client keeps while its path is down
// (QoS 1); older ones are dropped when it overflows.
const maxBuffer = 500

func (w *World) unsendable(mi int32, at int32) {
	m := &w.msgs[mi]
	d := &w.devices[at]
	if m.kind == mReading && m.qos == 1 && d.powered {
		if len(d.buffer) >= maxBuffer {
			old := d.buffer[0]
			copy(d.buffer, d.buffer[1:])
			d.buffer = d.buffer[:len(d.buffer)-1]
			w.dropped(old, at, LostQueueFull)
			w.lose(old)
		}
		d.buffer = append(d.buffer, mi)
		d.stats.Buffered++
		m.from, m.to, m.link = at, at, -1
		return
	}
	w.dropped(mi, at, LostNoRoute)
	w.lose(mi)
}

// lose counts a message as lost and frees it.
func (w *World) lose(mi int32) {
	m := &w.msgs[mi]
	if m.kind == mReading {
		w.metrics[m.side].lost++
		w.devices[m.origin].stats.Lost++
	}
	w.freeMsg(mi)
}

// flushAll retries every buffered message, after a path came back.
func (w *World) flushAll() {
	for i := range w.devices {
		d := &w.devices[i]
		if len(d.buffer) == 0 {
			continue
		}
		buf := d.buffer
		d.buffer = nil
		for _, mi := range buf {
			w.forward(mi, int32(i))
		}
		if d.buffer == nil {
			d.buffer = buf[:0]
		}
	}
}
