package sim

// admitToCAN gives a node joining CAN bus li an identifier when it has
// none: 0x100 and up, in the order nodes joined.
func (w *World) admitToCAN(i, li int32) {
	d := &w.devices[i]
	if d.addr == 0 && d.kind != KindController {
		d.addr = 0x100 + len(w.links[li].members)
	}
}

// awaitArbitration holds a frame whose bus is busy until the bus is free
// and arbitration picks it.
func (w *World) awaitArbitration(mi, li int32) {
	m := &w.msgs[mi]
	m.start, m.arrive = w.now, w.now // waiting: drawn at the sender
	w.links[li].queue = append(w.links[li].queue, mi)
}

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
