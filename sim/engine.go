package sim

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
