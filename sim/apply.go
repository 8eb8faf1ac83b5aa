package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Apply applies an action at its tick: now when At is now or past, later
// otherwise. An action of tick T takes effect at the end of tick T, after
// every event of that tick, whether it is applied live or replayed from a
// spec's events; hash marks are taken before it. A refused action leaves the world as it was (an add that runs
// out of room keeps the devices it could place) and returns why.
func (w *World) Apply(a Action) error {
	if err := a.check(); err != nil {
		return err
	}
	if a.At > w.tick {
		// After every pending action of its tick or before: arrival order.
		i, _ := slices.BinarySearchFunc(w.pending, a.At+1, func(p Action, at int64) int { return cmp.Compare(p.At, at) })
		w.pending = slices.Insert(w.pending, i, a)
		return nil
	}
	return w.apply(a)
}

// addPending adds actions, in their arrival order, to those waiting for
// their tick.
func (w *World) addPending(acts []Action) {
	w.pending = append(w.pending, acts...)
	// Stable: actions of the same tick stay in arrival order.
	slices.SortStableFunc(w.pending, func(a, b Action) int { return cmp.Compare(a.At, b.At) })
}

func (w *World) applyDue() {
	// Actions due at the same tick apply in arrival order.
	n := 0
	for n < len(w.pending) && w.pending[n].At <= w.tick {
		if err := w.apply(w.pending[n]); err != nil {
			w.noteRefusal(err)
		}
		n++
	}
	clear(w.pending[:n])
	w.pending = w.pending[n:]
}

func (w *World) noteRefusal(err error) {
	w.refusalText = err.Error()
	w.refusalTick = w.tick
}

// LastRefusal is the most recent refused action's reason and its tick.
func (w *World) LastRefusal() (string, int64) { return w.refusalText, w.refusalTick }

func (w *World) device(id string) (int32, error) {
	i, ok := w.byID[id]
	if !ok || w.devices[i].removed {
		return -1, fmt.Errorf("%w %q", ErrUnknownDevice, id)
	}
	return i, nil
}

func (w *World) link(id string) (int32, error) {
	i, ok := w.linkIDs[id]
	if !ok {
		return -1, fmt.Errorf("%w %q", ErrUnknownLink, id)
	}
	return i, nil
}

// refusedMark is how long a device wears the mark of a refused action:
// 2 s of simulated time (µs), long enough to be seen at any speed.
const refusedMark = 2_000_000

func (w *World) apply(a Action) error {
	err := w.applyKind(a)
	if err != nil {
		w.noteRefusal(err)
		if i, ok := w.byID[a.Device]; ok {
			w.devices[i].refusedTil = w.now + refusedMark
		}
	}
	return err
}

func (w *World) applyKind(a Action) error {
	switch a.Kind {
	case ActAdd:
		return w.applyAdd(a)
	case ActCut, ActRestore:
		return w.cut(a.Link, a.Kind == ActRestore)
	case ActSet:
		return w.applySet(a)
	case ActRemove, ActMove, ActConnect, ActPower, ActReading, ActCommand:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		return w.applyToDevice(i, a)
	}
	return nil
}

// applyToDevice applies an action of one of the kinds that name a device,
// device i.
func (w *World) applyToDevice(i int32, a Action) error {
	switch a.Kind {
	case ActRemove:
		w.remove(i)
	case ActMove:
		w.devices[i].x, w.devices[i].y = a.X, a.Y
		w.topologyChanged()
	case ActConnect:
		li, err := w.link(a.Link)
		if err != nil {
			return err
		}
		if err := w.join(i, li); err != nil {
			return err
		}
		w.devices[i].gen++
		w.startDevice(i)
	case ActPower:
		w.power(i, a.On)
	case ActReading:
		w.reading(i, a.Readings)
	case ActCommand:
		return w.commandFromPerson(i, a.On)
	}
	return nil
}

// cut cuts link id or, with up, restores it; Internet names every
// internet link of the world.
func (w *World) cut(id string, up bool) error {
	if id == Internet {
		found := false
		for li := range w.links {
			if w.links[li].medium == MediumInternet {
				w.setLinkUp(int32(li), up)
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%w: this world has no internet link", ErrRefused)
		}
		return nil
	}
	li, err := w.link(id)
	if err != nil {
		return err
	}
	w.setLinkUp(li, up)
	return nil
}

// power switches device i on or off; switched on, it starts again and
// whatever waited for a path is tried once more.
func (w *World) power(i int32, on bool) {
	d := &w.devices[i]
	if d.powered == on {
		return
	}
	d.powered = on
	d.gen++
	d.waiting = 0
	w.topologyChanged()
	if on {
		w.startDevice(i)
		w.flushAll()
	}
}

func (w *World) setLinkUp(li int32, up bool) {
	l := &w.links[li]
	if l.up == up {
		return
	}
	l.up = up
	w.topologyChanged()
	if up {
		w.flushAll()
	}
}

func (w *World) applySet(a Action) error {
	if a.Device != "" {
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		return w.setDevice(i, a)
	}
	li, err := w.link(a.Link)
	if err != nil {
		return err
	}
	return w.setLinkKey(li, a)
}

// setDevice sets a.Key of device i.
func (w *World) setDevice(i int32, a Action) error {
	d := &w.devices[i]
	switch a.Key {
	case "period_ms":
		if a.Value < 1 || a.Value > MaxPeriodMs {
			return fmt.Errorf("%w: period_ms %v out of range (1..%d)", ErrBadAction, a.Value, MaxPeriodMs)
		}
		d.period = int64(a.Value) * 1000
	case "qos":
		if a.Value != 0 && a.Value != 1 {
			return fmt.Errorf("%w: qos %v is not 0 or 1", ErrBadAction, a.Value)
		}
		d.qos = uint8(a.Value)
	case "protocol":
		p, err := ParseProtocol(a.Text)
		if err != nil || !p.IP() {
			return fmt.Errorf("%w: protocol %q is not mqtt, coap or http", ErrBadAction, a.Text)
		}
		d.proto = p
	case "base":
		d.base = milli(a.Value)
	case "swing":
		d.swing = milli(a.Value)
	case "label":
		if len(a.Text) > MaxTextLen {
			return fmt.Errorf("%w: label longer than %d bytes", ErrBadAction, MaxTextLen)
		}
		d.label = a.Text
		w.shapeChanged()
	case "address":
		if a.Value < 1 || a.Value > 0x7FF || a.Value != math.Trunc(a.Value) {
			return fmt.Errorf("%w: address %v out of range (1..247 for Modbus, up to 2047 for CAN)", ErrBadAction, a.Value)
		}
		d.addr = int(a.Value)
	default:
		return fmt.Errorf("%w: unknown device key %q", ErrBadAction, a.Key)
	}
	return nil
}

// setLinkKey sets a.Key of link li.
func (w *World) setLinkKey(li int32, a Action) error {
	l := &w.links[li]
	switch a.Key {
	case "loss_pct":
		if a.Value < 0 || a.Value > 100 {
			return fmt.Errorf("%w: loss_pct %v out of range (0..100)", ErrBadAction, a.Value)
		}
		l.loss = int64(math.Round(a.Value * 10000))
	case "latency_ms":
		l.latency = int64(math.Max(0, math.Round(a.Value*1000)))
	case "jitter_ms":
		l.jitter = int64(math.Max(0, math.Round(a.Value*1000)))
	case "baud":
		if a.Value < 300 {
			return fmt.Errorf("%w: baud %v below 300", ErrBadAction, a.Value)
		}
		l.bitrate = int64(a.Value)
	case "range":
		l.rng = int32(math.Max(0, a.Value))
		w.topologyChanged()
	}
	return nil
}

func (w *World) applyAdd(a Action) error {
	k, _ := ParseKind(a.DeviceKind)
	li, err := w.link(a.Link)
	if err != nil {
		return err
	}
	hub := w.links[li].members[0]
	hd := w.devices[hub]
	side := hd.side
	if a.Text != "" {
		if s := sideIndex(w.sides, a.Text); s >= 0 {
			side = s
		}
	}
	place := w.placer(li, side)
	for n := 0; n < a.Count; n++ {
		w.added++
		id := fmt.Sprintf("%s-%d", k, w.added)
		for _, taken := w.byID[id]; taken; _, taken = w.byID[id] {
			w.added++
			id = fmt.Sprintf("%s-%d", k, w.added)
		}
		x, y := place()
		ds := DeviceSpec{ID: id, Kind: k.String(), X: x, Y: y}
		i, err := w.addDevice(&ds, k)
		if err != nil {
			return fmt.Errorf("added %d of %d: %w", n, a.Count, err)
		}
		w.devices[i].side = side
		w.devices[i].label = id
		w.devices[i].stds = 1 << w.links[li].medium
		w.devices[i].fixed = true
		if err := w.join(i, li); err != nil {
			// The device could not join: take it back out.
			delete(w.byID, id)
			w.devices = w.devices[:i]
			return fmt.Errorf("added %d of %d: %w", n, a.Count, err)
		}
		w.startDevice(i)
	}
	return nil
}

func (w *World) remove(i int32) {
	d := &w.devices[i]
	d.removed = true
	d.powered = false
	d.gen++
	for _, li := range d.links {
		l := &w.links[li]
		for j, m := range l.members {
			if m == i {
				l.members = append(l.members[:j], l.members[j+1:]...)
				break
			}
		}
	}
	d.links = nil
	w.topologyChanged()
}
