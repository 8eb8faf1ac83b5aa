package sim

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

func (w *World) inRange(l *link, a, b int32) bool {
	if l.rng <= 0 {
		return true
	}
	dx := int64(w.devices[a].x - w.devices[b].x)
	dy := int64(w.devices[a].y - w.devices[b].y)
	r := int64(l.rng)
	return dx*dx+dy*dy <= r*r
}
