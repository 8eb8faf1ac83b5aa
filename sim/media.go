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
		w.awaitArbitration(mi, li)
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
		var late int64
		late, lostWhy = w.onLoss(m.enc, tx)
		delay += late
		if lostWhy != "" {
			m.lost = true
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

// onLoss is what becomes of a frame the link's loss struck, by what it
// carries: how much later it arrives, or why it is lost.
func (w *World) onLoss(enc Protocol, tx int64) (late int64, lostWhy string) {
	switch enc {
	case ProtoMQTT, ProtoHTTP:
		// TCP retransmits a lost segment after its timeout: the message
		// is late, not lost.
		return tcpRTO, ""
	case ProtoCAN:
		// A CAN controller repeats a frame that saw an error frame.
		return 2 * tx, ""
	case ProtoZigbee, ProtoBLE:
		// Link-layer ACK and retries hide most radio loss, at a cost.
		if w.rng.intn(4) == 0 {
			return 0, LostOnLink
		}
		return 2 * tx, ""
	}
	return 0, LostOnLink
}

// mediumFigures are a medium's typical figures: serial at 9600 baud, CAN
// at 500 kbit/s, Zigbee's 250 kbit/s with a few ms of MAC latency, an
// internet path of 20 ms ± 5 ms one way. Times are in µs, loss per
// million, range in world units (0: no limit).
var mediumFigures = [mediumEnd]struct {
	bitrate, latency, jitter, loss int64
	rng                            int32
}{
	MediumRS232:    {9600, 0, 0, 0, 0},
	MediumRS485:    {9600, 0, 0, 0, 0},
	MediumCAN:      {500_000, 0, 0, 0, 0},
	MediumZigbee:   {250_000, 4_000, 2_000, 10_000, 120},
	MediumBLE:      {1_000_000, 7_500, 7_500, 5_000, 60},
	MediumLoRaWAN:  {5_470, 0, 1_000, 10_000, 20_000},
	MediumWiFi:     {20_000_000, 2_000, 1_500, 5_000, 150},
	MediumEthernet: {100_000_000, 100, 50, 0, 0},
	MediumInternet: {10_000_000, 20_000, 5_000, 0, 0},
	MediumCellular: {1_000_000, 50_000, 20_000, 0, 0},
}
