package sim

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
