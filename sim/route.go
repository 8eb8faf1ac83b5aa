package sim

// routeTree is a breadth-first tree toward one destination over the links
// that are up: for every device, the next device and link on its way there.
// Trees are built lazily and kept until the topology changes, so routing a
// message is two slice reads.
type routeTree struct {
	vers   uint64  // the topology it was made for (stale)
	parent []int32 // next hop toward the root, -1 = unreachable
	plink  []int32
	queue  []int32
}

// forwards reports whether messages may pass through a device on their way
// elsewhere: gateways and brokers forward, end devices do not.
func forwards(k Kind) bool { return k == KindGateway || k == KindBroker }

func (w *World) tree(dst int32) *routeTree {
	t := w.routes[dst]
	if t == nil {
		t = &routeTree{}
		w.routes[dst] = t
	}
	if !w.stale(&t.vers) && len(t.parent) == len(w.devices) {
		return t
	}
	n := len(w.devices)
	if cap(t.parent) < n {
		t.parent = make([]int32, n)
		t.plink = make([]int32, n)
	}
	t.parent, t.plink = t.parent[:n], t.plink[:n]
	for i := range t.parent {
		t.parent[i] = -1
	}
	t.parent[dst] = dst
	q := append(t.queue[:0], dst)
	for len(q) > 0 {
		u := q[0]
		q = q[1:]
		for _, li := range w.devices[u].links {
			l := &w.links[li]
			if !l.up || l.removed || l.medium.M2M() {
				continue
			}
			hub := l.members[0]
			for _, v := range l.members {
				if t.parent[v] != -1 || v == u {
					continue
				}
				if l.medium.Radio() {
					// A radio link is a star around its first member.
					if u != hub && v != hub {
						continue
					}
					if !w.inRange(l, u, v) {
						continue
					}
				}
				t.parent[v] = u
				t.plink[v] = li
				if d := &w.devices[v]; forwards(d.kind) && d.powered && !d.removed {
					q = append(q, v)
				}
			}
		}
	}
	t.queue = q[:0]
	return t
}

// nextHop is the link and device a message at device from takes toward dst.
func (w *World) nextHop(from, dst int32) (li, hop int32, ok bool) {
	if from == dst {
		return -1, -1, false
	}
	// Devices on one M2M link talk directly (the sim routes only IP paths).
	for _, l := range w.devices[from].links {
		if w.links[l].medium.M2M() && w.links[l].up && w.onLink(dst, l) {
			return l, dst, true
		}
	}
	t := w.tree(dst)
	p := t.parent[from]
	if p < 0 {
		return -1, -1, false
	}
	return t.plink[from], p, true
}

func (w *World) reachable(from, dst int32) bool {
	_, _, ok := w.nextHop(from, dst)
	return ok
}

// nearestSink is the closest broker or controller a device's readings can
// reach, by hops, or -1.
func (w *World) nearestSink(i int32) int32 {
	// M2M: a controller on the same bus.
	for _, li := range w.devices[i].links {
		l := &w.links[li]
		if l.medium.M2M() {
			for _, m := range l.members {
				if w.devices[m].kind == KindController {
					return m
				}
			}
		}
	}
	best, bestHops := int32(-1), 1<<30
	for _, j := range w.brokers() {
		t := w.tree(j)
		hops := 0
		for v := i; v != j; v = t.parent[v] {
			if t.parent[v] < 0 || hops > len(w.devices) {
				hops = 1 << 30
				break
			}
			hops++
		}
		if hops < bestHops {
			best, bestHops = j, hops
		}
	}
	if best < 0 {
		// No broker reachable now: aim at the first broker of the side,
		// so a cut path buffers instead of forgetting where to go.
		for _, j := range w.brokers() {
			if w.devices[j].side == w.devices[i].side {
				return j
			}
		}
	}
	return best
}

// brokers lists the world's brokers in the order of its devices. The list
// is kept until the topology changes: every sensor of a crowd looks for
// its nearest broker after a change, and walking 10,000 devices for each
// of them made adding a crowd cost seconds of simulated stutter.
func (w *World) brokers() []int32 {
	if w.stale(&w.brokerVers) {
		w.brokerList = w.brokerList[:0]
		for j := range w.devices {
			if d := &w.devices[j]; !d.removed && d.kind == KindBroker {
				w.brokerList = append(w.brokerList, int32(j))
			}
		}
	}
	return w.brokerList
}

// apps lists the apps of a broker's side that subscribe to it. The list is
// kept until the topology changes.
func (w *World) apps(broker int32) []int32 {
	if w.stale(&w.appVers) {
		if len(w.appsBySide) != len(w.sides) {
			w.appsBySide = make([][]int32, len(w.sides))
		}
		for s := range w.appsBySide {
			w.appsBySide[s] = w.appsBySide[s][:0]
		}
		for j := range w.devices {
			d := &w.devices[j]
			if d.kind == KindApp && !d.removed {
				w.appsBySide[d.side] = append(w.appsBySide[d.side], int32(j))
			}
		}
	}
	return w.appsBySide[w.devices[broker].side]
}

// ReachesBroker reports whether what device id publishes reaches a broker
// now: whether a path leads from it to a powered broker over links that
// are up, through powered gateways and brokers, within radio range. A
// broker reaches itself while it is online. It is what an outside client
// of the broker can know of a device: nothing new from one that does not.
func (w *World) ReachesBroker(id string) bool {
	i, ok := w.byID[id]
	if !ok || w.devices[i].removed || !w.devices[i].powered {
		return false
	}
	for _, j := range w.brokers() {
		if !w.devices[j].powered {
			continue
		}
		if j == i {
			if w.online(&w.devices[i]) {
				return true
			}
			continue
		}
		if w.tree(j).parent[i] >= 0 {
			return true
		}
	}
	return false
}
