package sim

import "slices"

type evKind uint8

const (
	evSample  evKind = iota + 1 // a sensor samples and sends
	evPoll                      // a controller polls its next slave
	evArrive                    // a message reaches the far end of its hop
	evTimeout                   // a controller gives up waiting for a reply
	evBusFree                   // a CAN bus is free: arbitration picks the next frame
)

type event struct {
	at   int64
	seq  uint64
	kind evKind
	ref  int32
	gen  uint32
	id   uint64
}

// eventHeap is a binary min-heap by (at, seq), hand-rolled so pushing and
// popping allocate nothing once the slice has grown.
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

func (w *World) schedule(at int64, k evKind, ref int32, gen uint32) {
	w.evSeq++
	w.events.push(event{at: at, seq: w.evSeq, kind: k, ref: ref, gen: gen})
}

func (w *World) scheduleMsg(at int64, k evKind, ref int32, id uint64) {
	w.evSeq++
	w.events.push(event{at: at, seq: w.evSeq, kind: k, ref: ref, id: id})
}

// runEvents handles every event due by the end of the current tick, each at
// its own microsecond, so timing finer than a tick (a CAN frame, a Modbus
// character) is kept exactly.
func (w *World) runEvents() {
	end := w.now
	cur := end - TickMicros // events of this tick run after the last one's end
	for len(w.events) > 0 && w.events[0].at <= end {
		e := w.events.pop()
		cur = max(cur, e.at)
		w.now = cur
		switch e.kind {
		case evSample:
			d := &w.devices[e.ref]
			if d.gen != e.gen || d.removed {
				continue
			}
			w.schedule(e.at+d.period, evSample, e.ref, d.gen)
			if d.powered {
				w.sampleAndSend(e.ref)
			}
		case evPoll:
			d := &w.devices[e.ref]
			if d.gen != e.gen || d.removed || !d.powered {
				continue
			}
			w.poll(e.ref)
		case evTimeout:
			w.timeout(e.ref, e.id)
		case evArrive:
			m := &w.msgs[e.ref]
			if !m.live || m.id != e.id {
				continue
			}
			w.arrive(e.ref)
		case evBusFree:
			w.arbitrate(e.ref)
		}
	}
	w.now = end
}

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

// sampleAndSend is a pushing sensor's period: measure, then send the value
// toward its target.
func (w *World) sampleAndSend(i int32) {
	d := &w.devices[i]
	d.value = w.signal(d)
	d.valueAt = w.now
	w.sendReading(i)
}

func (w *World) sendReading(i int32) {
	d := &w.devices[i]
	t := w.targetOf(i)
	if t < 0 {
		return
	}
	mi := w.newMsg(mReading, d.side, i, t)
	m := &w.msgs[mi]
	m.sampled, m.value, m.sensor, m.qos, m.app = w.now, d.value, i, d.qos, d.proto
	w.sentBy(i)
	w.metrics[d.side].sent++
	w.metrics[d.side].payload += payloadBytes
	w.forward(mi, i)
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

// signal is a sensor's value now: a slow integer sine between base-swing and
// base+swing plus a little noise from the world's generator.
func (w *World) signal(d *device) int64 {
	phase := ((w.now + d.phase) % d.cycle) * 65536 / d.cycle
	noise := int64(w.rng.intn(201)) - 100 // ±0.1
	return d.base + d.swing*isin(phase)/1000 + noise
}

// isin is sin(2π·p/65536)·1000 by Bhaskara I's approximation, in integers,
// so every platform computes the same signal.
func isin(p int64) int64 {
	p &= 0xFFFF
	neg := p >= 0x8000
	if neg {
		p -= 0x8000
	}
	// x in millidegrees, 0..180000; sin(x) ≈ 4x(180-x) / (40500 - x(180-x)).
	x := p * 180_000 / 32768
	q := x * (180_000 - x)
	v := 4000 * q / (40_500_000_000 - q)
	if neg {
		return -v
	}
	return v
}

// targetOf is where a device's readings go: its declared target, or the
// nearest broker or controller it can reach.
func (w *World) targetOf(i int32) int32 {
	d := &w.devices[i]
	if d.target >= 0 && !w.devices[d.target].removed {
		return d.target
	}
	if d.sinkVers != w.topoVers+1 {
		d.sink = w.nearestSink(i)
		d.sinkVers = w.topoVers + 1
	}
	return d.sink
}

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

// transmit puts a message on link li from one member to another and
// schedules its arrival after the medium's serialization time, latency and
// jitter. A shared medium carries one frame at a time.
func (w *World) transmit(mi, li, from, to int32) {
	m := &w.msgs[mi]
	l := &w.links[li]
	m.link, m.from, m.to = li, from, to // encode addresses this hop
	w.encode(mi, li, from)
	m.lost = false
	if l.medium == MediumCAN && l.busyUntil > w.now {
		m.start, m.arrive = w.now, w.now // waiting: drawn at the sender
		l.queue = append(l.queue, mi)
		return
	}
	w.launch(mi, li)
}

func (w *World) launch(mi, li int32) {
	m := &w.msgs[mi]
	l := &w.links[li]
	tx := txOf(l, m)
	start := w.now
	if l.medium.Bus() {
		if l.busyUntil > start {
			start = l.busyUntil
		}
		l.busyUntil = start + tx
		if l.medium == MediumCAN {
			w.scheduleMsg(l.busyUntil, evBusFree, li, 0)
		}
	}
	delay := tx + l.latency
	if l.jitter > 0 {
		delay += int64(w.rng.intn(uint64(l.jitter) + 1))
	}
	lostWhy := ""
	if l.loss > 0 && int64(w.rng.intn(1_000_000)) < l.loss {
		switch {
		case m.enc == ProtoMQTT || m.enc == ProtoHTTP:
			// TCP retransmits a lost segment after its timeout: the
			// message is late, not lost.
			delay += tcpRTO
		case m.enc == ProtoCAN:
			// A CAN controller repeats a frame that saw an error frame.
			delay += 2 * tx
		case m.enc == ProtoZigbee || m.enc == ProtoBLE:
			// Link-layer ACK and retries hide most radio loss, at a cost.
			if w.rng.intn(4) == 0 {
				m.lost, lostWhy = true, LostOnLink
			} else {
				delay += 2 * tx
			}
		default:
			m.lost, lostWhy = true, LostOnLink
		}
	}
	if l.medium.Radio() && !w.inRange(l, m.from, m.to) {
		m.lost, lostWhy = true, LostOutOfRange
	}
	m.start, m.arrive = start, start+delay
	m.lostWhy = lostWhy
	m.wire = len(m.buf) + transportOverhead(l.medium, m.enc)
	l.bytes += int64(m.wire)
	w.metrics[m.side].bytes += int64(m.wire)
	w.devices[m.from].stats.Bytes += int64(m.wire)
	if fd := &w.devices[m.from]; fd.busyUntil < start+tx {
		fd.busyUntil = start + tx
	}
	w.scheduleMsg(m.arrive, evArrive, mi, m.id)
	m.frame = 0
	w.framesSent++
	if w.onFrame != nil {
		w.frames++
		m.frame = w.frames
		w.emitFrame(m, l, lostWhy)
	}
}

// tcpRTO is TCP's minimum retransmission timeout (RFC 6298 allows 200 ms
// as Linux uses; the RFC's conservative figure is 1 s).
const tcpRTO = 200_000

// arbitrate picks the waiting CAN frame with the lowest identifier, as the
// bus's bitwise arbitration does.
func (w *World) arbitrate(li int32) {
	l := &w.links[li]
	if l.busyUntil > w.now || len(l.queue) == 0 {
		return
	}
	best := -1
	for j, mi := range l.queue {
		m := &w.msgs[mi]
		if !m.live {
			continue
		}
		if best < 0 || w.canID(mi) < w.canID(l.queue[best]) {
			best = j
		}
	}
	if best < 0 {
		l.queue = l.queue[:0]
		return
	}
	mi := l.queue[best]
	l.queue = append(l.queue[:best], l.queue[best+1:]...)
	w.launch(mi, li)
}

func (w *World) canID(mi int32) int {
	m := &w.msgs[mi]
	return w.devices[m.from].addr
}

func (w *World) inRange(l *link, a, b int32) bool {
	if l.rng <= 0 {
		return true
	}
	dx := int64(w.devices[a].x - w.devices[b].x)
	dy := int64(w.devices[a].y - w.devices[b].y)
	r := int64(l.rng)
	return dx*dx+dy*dy <= r*r
}

// arrive handles a message reaching the far end of its hop.
func (w *World) arrive(mi int32) {
	m := &w.msgs[mi]
	to := &w.devices[m.to]
	l := &w.links[m.link]
	if m.frame != 0 {
		w.endFrame(m, l, to)
	}
	if m.lost || !l.up || l.removed || !to.powered || to.removed {
		if m.qos == 1 && m.kind == mReading && !m.lost && w.devices[m.from].powered {
			// The connection dropped under a QoS 1 message: the sender
			// still holds it and sends it again later.
			w.unsendable(mi, m.from)
			return
		}
		w.lose(mi)
		return
	}
	to.stats.Received++
	if m.to != m.dst {
		w.sentBy(m.to)
		w.forward(mi, m.to)
		return
	}
	switch m.kind {
	case mReading:
		w.delivered(mi, m.to)
		w.freeMsg(mi)
	case mPoll, mWrite:
		w.slaveReply(mi)
	case mReply:
		w.masterGotReply(mi)
	case mCommand:
		w.actuate(mi)
		w.freeMsg(mi)
	case mFanout:
		w.freeMsg(mi)
	default:
		w.freeMsg(mi)
	}
}

// delivered records a reading reaching where it is used, runs the rules
// that decide there, and fans it out to subscribers when it reached a broker.
func (w *World) delivered(mi int32, at int32) {
	m := &w.msgs[mi]
	sm := &w.metrics[m.side]
	sm.delivered++
	sm.latency.add(w.now - m.sampled)
	sm.window.add(w.now - m.sampled)
	d := &w.devices[at]
	w.decide(at, m.sensor, m.value, m.sampled)
	if d.kind == KindBroker {
		w.fanout(mi, at)
	}
}

// fanout sends a copy of a reading to every app of the broker's side.
func (w *World) fanout(mi int32, broker int32) {
	src := w.msgs[mi]
	for _, app := range w.apps(broker) {
		ci := w.newMsg(mFanout, src.side, broker, app)
		c := &w.msgs[ci]
		c.value, c.sensor, c.sampled, c.app = src.value, src.sensor, src.sampled, ProtoMQTT
		w.sentBy(broker)
		w.forward(ci, broker)
	}
}

// decide runs the rules that live on device at for a reading from sensor.
func (w *World) decide(at, sensor int32, value, sampled int64) {
	for ri := range w.rules {
		r := &w.rules[ri]
		if r.where != at || r.sensor != sensor {
			continue
		}
		want := value > r.above || (r.state && value > r.above-r.hyst)
		if want == r.state {
			continue
		}
		r.state = want
		d := &w.devices[at]
		d.stats.Decisions++
		sm := &w.metrics[d.side]
		if d.kind == KindController || d.kind == KindGateway {
			sm.decisionsLocal++
		} else {
			sm.decisionsCloud++
		}
		if d.kind == KindController {
			w.queueCommand(at, r.actuator, want, sampled)
		} else {
			w.sendCommand(at, r.actuator, want, sampled)
		}
	}
}

func (w *World) sendCommand(from, act int32, on bool, trigger int64) {
	mi := w.newMsg(mCommand, w.devices[from].side, from, act)
	m := &w.msgs[mi]
	m.on, m.trigger, m.sampled, m.app = on, trigger, w.now, ProtoMQTT
	w.sentBy(from)
	w.forward(mi, from)
}

// queueCommand hands a command to a controller: on CAN it goes out at once
// (arbitration decides when), on a Modbus bus it waits for the master's next
// turn.
func (w *World) queueCommand(ctrl, act int32, on bool, trigger int64) {
	c := &w.devices[ctrl]
	for _, li := range c.links {
		if w.links[li].medium == MediumCAN && w.onLink(act, li) {
			mi := w.newMsg(mCommand, c.side, ctrl, act)
			m := &w.msgs[mi]
			m.on, m.trigger, m.sampled = on, trigger, w.now
			w.sentBy(ctrl)
			w.transmit(mi, li, ctrl, act)
			return
		}
	}
	c.commands = append(c.commands, command{dev: act, on: on, trigger: trigger})
}

func (w *World) onLink(i, li int32) bool {
	for _, m := range w.links[li].members {
		if m == i {
			return true
		}
	}
	return false
}

// actuate applies a command at an actuator and records how long the whole
// loop took, from the measurement to the action.
func (w *World) actuate(mi int32) {
	m := &w.msgs[mi]
	d := &w.devices[m.dst]
	d.on = m.on
	if m.trigger > 0 {
		w.metrics[d.side].reaction.add(w.now - m.trigger)
	}
	w.metrics[d.side].actuations++
}

// poll is one turn of a Modbus master: a pending write first, else a read of
// the next slave; after the last slave the cycle's time is recorded.
func (w *World) poll(ci int32) {
	c := &w.devices[ci]
	if c.waiting != 0 {
		return
	}
	li := w.masterLink(ci)
	if li < 0 {
		return
	}
	l := &w.links[li]
	if len(c.commands) > 0 {
		cmd := c.commands[0]
		copy(c.commands, c.commands[1:])
		c.commands = c.commands[:len(c.commands)-1]
		mi := w.newMsg(mWrite, c.side, ci, cmd.dev)
		m := &w.msgs[mi]
		m.on, m.trigger, m.sampled = cmd.on, cmd.trigger, w.now
		w.sentBy(ci)
		w.request(ci, mi, li)
		return
	}
	// Find the next slave from pollPos.
	for c.pollPos < len(l.members) {
		s := l.members[c.pollPos]
		c.pollPos++
		if s == ci || w.devices[s].kind == KindController {
			continue
		}
		mi := w.newMsg(mPoll, c.side, ci, s)
		m := &w.msgs[mi]
		m.sampled = w.now
		w.metrics[c.side].sent++
		w.metrics[c.side].payload += payloadBytes
		w.sentBy(ci)
		w.request(ci, mi, li)
		return
	}
	// A cycle is complete.
	c.pollPos = 0
	if c.cycleStart > 0 || w.now > 0 {
		c.lastCycle = w.now - c.cycleStart
		w.metrics[c.side].pollCycle = c.lastCycle
	}
	next := w.now + c.period
	if next <= w.now {
		next = w.now + 1
	}
	c.cycleStart = next
	w.schedule(next, evPoll, ci, c.gen)
}

// modbusTimeout is how long a master waits for a reply to begin after its
// request ended; 100 ms is a common setting for a 9600-baud bus.
const modbusTimeout = 100_000

func (w *World) request(ci, mi, li int32) {
	c := &w.devices[ci]
	m := &w.msgs[mi]
	c.pollSeq++
	c.waiting = m.id
	w.transmit(mi, li, ci, m.dst)
	w.scheduleMsg(m.arrive+modbusTimeout+txTime(&w.links[li], 7), evTimeout, ci, m.id)
}

// modbusTurnaround is how long a slave takes to start its reply.
const modbusTurnaround = 2_000

func (w *World) slaveReply(mi int32) {
	m := &w.msgs[mi]
	s := &w.devices[m.dst]
	if m.kind == mWrite {
		s.on = m.on
		if m.trigger > 0 {
			w.metrics[s.side].reaction.add(w.now - m.trigger)
		}
		w.metrics[s.side].actuations++
	} else if s.kind == KindSensor {
		s.value = w.signal(s)
		s.valueAt = w.now
	}
	// The request becomes the reply, travelling back to the master.
	req := *m
	m.kind = mReply
	m.dst, m.origin = req.from, req.dst
	m.value, m.sensor = s.value, req.dst
	m.on = req.on
	if req.kind == mWrite {
		m.on = true // marks an echo of a write
		m.trigger = -1
	}
	li, master := req.link, req.from
	m.enc = 0
	w.sentBy(req.dst)
	save := w.now
	w.now += modbusTurnaround
	w.transmit(mi, li, req.dst, master)
	w.now = save
}

func (w *World) masterGotReply(mi int32) {
	m := &w.msgs[mi]
	c := &w.devices[m.dst]
	ci := m.dst
	if c.waiting == 0 {
		w.freeMsg(mi)
		return
	}
	c.waiting = 0
	if m.trigger != -1 {
		sm := &w.metrics[c.side]
		sm.delivered++
		sm.latency.add(w.now - m.sampled)
		sm.window.add(w.now - m.sampled)
		w.decide(ci, m.sensor, m.value, w.now)
	}
	w.freeMsg(mi)
	w.poll(ci)
}

func (w *World) timeout(ci int32, id uint64) {
	c := &w.devices[ci]
	if c.waiting != id || c.removed {
		return
	}
	c.waiting = 0
	w.metrics[c.side].lost++
	c.stats.Lost++
	if c.powered {
		w.poll(ci)
	}
}

// reading applies a real board's readings: the first value becomes the
// device's value and travels like any sensor's sample; every value is kept
// under its name, so the open API has each. A board keeps MaxReadings
// names at most: a new name past them takes the place of the one heard
// from longest ago.
func (w *World) reading(i int32, rs []Reading) {
	d := &w.devices[i]
	d.value = milli(rs[0].Value)
	d.valueAt = w.now
	for _, r := range rs {
		j := slices.IndexFunc(d.named, func(n namedValue) bool { return n.name == r.Name })
		if j < 0 && len(d.named) < MaxReadings {
			d.named = append(d.named, namedValue{name: r.Name})
			j = len(d.named) - 1
		}
		if j < 0 {
			j = 0
			for k := range d.named {
				if d.named[k].at < d.named[j].at {
					j = k
				}
			}
			d.named[j].name = r.Name
		}
		d.named[j].value, d.named[j].at = milli(r.Value), w.now
	}
	if (d.quantity == "" || d.quantity == "temp") && d.quantity != rs[0].Name {
		d.quantity = rs[0].Name
		d.topic = ""
		w.shapeVers++
	}
	if d.powered && w.pushes(i) && len(d.links) > 0 {
		w.sendReading(i)
	}
}
