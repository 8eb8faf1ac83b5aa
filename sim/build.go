package sim

import (
	"fmt"
	"math"
)

// New builds a world from a spec. The seed drives every random choice
// (noise, jitter, loss), so New(spec, seed) followed by the same actions
// always reaches the same state.
func New(spec Spec, seed uint64) (*World, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	w := &World{
		spec:    spec,
		seed:    seed,
		rng:     newRNG(seed),
		byID:    make(map[string]int32, len(spec.Devices)),
		linkIDs: make(map[string]int32, len(spec.Links)),
		caches:  caches{routes: map[int32]*routeTree{}},
	}
	w.sides = sideNames(&spec)
	w.metrics = make([]sideMetrics, len(w.sides))
	for i := range spec.Devices {
		d := &spec.Devices[i]
		k, _ := ParseKind(d.Kind)
		if _, err := w.addDevice(d, k); err != nil {
			return nil, err
		}
	}
	for i := range spec.Links {
		if err := w.addLink(&spec.Links[i]); err != nil {
			return nil, &FieldError{Path: fmt.Sprintf("links[%d]", i), Msg: err.Error()}
		}
	}
	// A device's ports are what it was declared with, or else the media of
	// the links it was built on; later connections are checked against them.
	for i := range w.devices {
		if w.devices[i].stds != 0 {
			w.devices[i].fixed = true
		}
	}
	for _, r := range spec.Rules {
		w.rules = append(w.rules, rule{
			where: w.byID[r.Where], sensor: w.byID[r.Sensor], actuator: w.byID[r.Actuator],
			above: milli(r.Above), hyst: milli(r.Hysteresis),
		})
	}
	for i := range w.devices {
		w.startDevice(int32(i))
	}
	w.addPending(spec.Events)
	w.recordHash()
	w.applyDue()
	return w, nil
}

func sideIndex(sides []string, name string) int {
	for i, s := range sides {
		if s == name {
			return i
		}
	}
	return -1
}

func (w *World) addDevice(d *DeviceSpec, k Kind) (int32, error) {
	if len(w.devices) >= MaxDevices {
		return -1, fmt.Errorf("%w: the world holds at most %d devices", ErrRefused, MaxDevices)
	}
	side := 0
	if d.Side != "" {
		side = sideIndex(w.sides, d.Side)
	}
	dv := device{
		id: d.ID, label: d.Label, kind: k, side: side, x: d.X, y: d.Y,
		addr: d.Address, qos: uint8(d.QoS),
		target: -1, powered: !d.Off, real: k == KindBoard, serves: d.Serves,
		proto: ProtoMQTT,
		sensing: sensing{
			quantity: d.Quantity, unit: d.Unit,
			base: milli(d.Base), swing: milli(d.Swing),
		},
	}
	if dv.label == "" {
		dv.label = d.ID
	}
	if d.Protocol != "" {
		dv.proto, _ = ParseProtocol(d.Protocol)
	}
	for _, st := range d.Standards {
		m, _ := ParseMedium(st)
		dv.stds |= 1 << m
		dv.fixed = true
	}
	dv.period = int64(d.PeriodMs) * 1000
	if dv.period == 0 && (k == KindSensor || k == KindBoard) {
		dv.period = 1_000_000
	}
	dv.cycle = int64(d.CycleS) * 1_000_000
	if dv.cycle == 0 {
		dv.cycle = 60_000_000
	}
	if dv.quantity == "" && (k == KindSensor || k == KindBoard) {
		dv.quantity = "temp"
	}
	if dv.base == 0 && dv.swing == 0 && k == KindSensor {
		dv.base, dv.swing = 40_000, 15_000
	}
	i := int32(len(w.devices))
	if d.Target != "" {
		if t, ok := w.byID[d.Target]; ok {
			dv.target = t
		}
	}
	dv.phase = int64(w.rng.intn(uint64(dv.cycle)))
	dv.value = dv.base
	w.devices = append(w.devices, dv)
	w.byID[d.ID] = i
	w.topologyChanged()
	return i, nil
}

// resolveTarget fills in device i's target named by id, for a device
// declared before its target.
func (w *World) resolveTarget(i int32) {
	d := &w.devices[i]
	sd := w.spec.deviceByID(d.id)
	if sd != nil && sd.Target != "" {
		if t, ok := w.byID[sd.Target]; ok {
			d.target = t
		}
	}
}

func (w *World) addLink(ls *LinkSpec) error {
	m, _ := ParseMedium(ls.Medium)
	l := link{id: ls.ID, medium: m, up: !ls.Cut}
	f := mediumFigures[m]
	l.bitrate, l.latency, l.jitter, l.loss, l.rng = f.bitrate, f.latency, f.jitter, f.loss, f.rng
	if ls.Baud > 0 {
		l.bitrate = int64(ls.Baud)
	}
	if ls.LatencyMs > 0 {
		l.latency = int64(math.Round(ls.LatencyMs * 1000))
	}
	if ls.JitterMs > 0 {
		l.jitter = int64(math.Round(ls.JitterMs * 1000))
	}
	if ls.LossPct > 0 {
		l.loss = int64(math.Round(ls.LossPct * 10000))
	}
	if ls.Range > 0 {
		l.rng = ls.Range
	}
	li := int32(len(w.links))
	w.links = append(w.links, l)
	w.linkIDs[ls.ID] = li
	for _, id := range ls.Members {
		if err := w.join(w.byID[id], li); err != nil {
			return err
		}
	}
	return nil
}

// join makes device i a member of link li, or refuses with the reason a
// real installation would give.
func (w *World) join(i, li int32) error {
	d := &w.devices[i]
	l := &w.links[li]
	if d.fixed && d.stds&(1<<l.medium) == 0 {
		return fmt.Errorf("%w: %s", ErrRefused, refusal(d.id, w.standardsOf(d), l.medium))
	}
	// A device's own links say what it is on: a few, where a star's
	// members may be thousands.
	for _, dl := range d.links {
		if dl == li {
			return fmt.Errorf("%w: %q is already on %q", ErrRefused, d.id, l.id)
		}
	}
	switch l.medium {
	case MediumRS232, MediumRS485:
		if err := w.admitToSerial(i, li); err != nil {
			return err
		}
	case MediumCAN:
		w.admitToCAN(i, li)
	}
	l.members = append(l.members, i)
	d.links = append(d.links, li)
	d.stds |= 1 << l.medium
	w.topologyChanged()
	return nil
}

// startDevice schedules a device's first timer.
func (w *World) startDevice(i int32) {
	w.resolveTarget(i)
	d := &w.devices[i]
	switch d.kind {
	case KindSensor:
		if w.pushes(i) {
			w.schedule(w.now+d.phase%d.period+1, evSample, i, d.gen)
		}
	case KindController:
		if w.masterLink(i) >= 0 {
			d.cycleStart = w.now
			w.schedule(w.now+1, evPoll, i, d.gen)
		}
	}
}
