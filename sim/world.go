package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// World is a running simulation. It is not safe for concurrent use: one
// goroutine steps it, applies actions and reads its views.
type World struct {
	spec  Spec
	seed  uint64
	rng   rng
	tick  int64
	now   int64 // simulated microseconds, tick*TickMicros
	sides []string

	devices []device
	links   []link
	byID    map[string]int32 // device ids
	linkIDs map[string]int32

	msgs     []message
	freeMsgs []int32
	nextMsg  uint64

	events eventHeap
	evSeq  uint64

	// pending are the actions waiting for their tick, by tick and, within
	// a tick, in arrival order: a step takes those due from the front, so
	// a world replaying a long log (all of it waits here) pays for each
	// action once, not once per tick.
	pending []Action
	rules   []rule

	routes   map[int32]*routeTree
	topoVers uint64

	metrics []sideMetrics
	series  []Sample
	added   int // devices created by add actions, for their ids

	appsBySide [][]int32
	appVers    uint64
	brokerList []int32 // the brokers, while brokerVers is topoVers+1
	brokerVers uint64
	// shapeVers counts changes to what a view copies of a device once and
	// keeps (its label, its quantity) while the topology stays the same.
	shapeVers uint64

	hashes  []HashMark
	scratch []byte // payload being encoded
	path    []byte // an HTTP path being built

	refusalText string // the last refusal, kept for the view
	refusalTick int64

	onFrame func(*Frame) // sees every frame sent (OnFrame); not state
	frame   Frame        // what onFrame is handed, reused
	// framesSent counts the frames put on a medium so far (FramesSent).
	framesSent int64
	// onEnd sees how each frame ended and each message dropped
	// (OnFrameEnd); frames counts the frames handed to onFrame, so an end
	// names its frame (Frame.Seq). Neither is state.
	onEnd  func(*FrameEnd)
	end    FrameEnd
	frames uint64
}

type device struct {
	id, label  string
	kind       Kind
	side       int
	x, y       int32
	stds       uint32 // bit per Medium
	fixed      bool   // stds are the device's only ports
	proto      Protocol
	addr       int
	period     int64 // µs
	quantity   string
	unit       string
	base       int64 // milli
	swing      int64 // milli
	cycle      int64 // µs
	phase      int64 // µs offset, so sensors are not in lockstep
	qos        uint8
	target     int32 // -1: automatic
	powered    bool
	removed    bool
	real       bool
	serves     string
	value      int64        // milli, latest known
	valueAt    int64        // µs
	named      []namedValue // a real board's readings, latest of each name
	on         bool         // actuator state
	links      []int32
	busyUntil  int64
	refusedTil int64  // the device wears a refusal mark until then
	gen        uint32 // bumps on removal/power change so stale timers die

	sink     int32 // cached automatic target
	sinkVers uint64

	// controller (Modbus master) state
	pollPos    int
	cycleStart int64
	waiting    uint64 // message id of the outstanding request, 0 = none
	pollSeq    uint64
	commands   []command
	lastCycle  int64
	// IoT client buffer (QoS 1), message slots
	buffer []int32

	stats DeviceStats

	topic, setTopic string // MQTT topics, built on first use
}

// namedValue is the latest value of one of a real board's readings.
type namedValue struct {
	name  string
	value int64 // milli
	at    int64 // µs
}

// command is a write a controller owes an actuator on its bus.
type command struct {
	dev     int32
	on      bool
	trigger int64
}

type link struct {
	id        string
	medium    Medium
	members   []int32
	bitrate   int64 // bit/s
	latency   int64 // µs
	jitter    int64 // µs
	loss      int64 // per million
	rng       int32 // radio range, world units
	up        bool
	removed   bool
	busyUntil int64
	queue     []int32 // CAN frames waiting for arbitration
	bytes     int64
}

type rule struct {
	where, sensor, actuator int32
	above, hyst             int64 // milli
	state                   bool
}

// DeviceStats are one device's counters.
type DeviceStats struct {
	Sent      int64 `json:"sent"`
	Received  int64 `json:"received"`
	Lost      int64 `json:"lost"`
	Bytes     int64 `json:"bytes"`
	Decisions int64 `json:"decisions"`
	Buffered  int64 `json:"buffered"`
}

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
		routes:  map[int32]*routeTree{},
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

func milli(f float64) int64 { return int64(math.Round(f * 1000)) }

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
	} else if k == KindController && len(w.sides) > 1 {
		side = 0
	}
	dv := device{
		id: d.ID, label: d.Label, kind: k, side: side, x: d.X, y: d.Y,
		addr: d.Address, quantity: d.Quantity, unit: d.Unit,
		base: milli(d.Base), swing: milli(d.Swing), qos: uint8(d.QoS),
		target: -1, powered: !d.Off, real: k == KindBoard, serves: d.Serves,
		proto: ProtoMQTT,
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
	w.topoVers++
	return i, nil
}

// resolveTargets fills in targets named by id for devices that were
// declared before their target.
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
	l.bitrate, l.latency, l.jitter, l.loss, l.rng = mediumDefaults(m)
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

// mediumDefaults are typical figures: serial at 9600 baud, CAN at 500
// kbit/s, Zigbee's 250 kbit/s with a few ms of MAC latency, an internet
// path of 20 ms ± 5 ms one way.
func mediumDefaults(m Medium) (bitrate, latency, jitter, loss int64, rng int32) {
	switch m {
	case MediumRS232, MediumRS485:
		return 9600, 0, 0, 0, 0
	case MediumCAN:
		return 500_000, 0, 0, 0, 0
	case MediumZigbee:
		return 250_000, 4_000, 2_000, 10_000, 120
	case MediumBLE:
		return 1_000_000, 7_500, 7_500, 5_000, 60
	case MediumLoRaWAN:
		return 5_470, 0, 1_000, 10_000, 20_000
	case MediumWiFi:
		return 20_000_000, 2_000, 1_500, 5_000, 150
	case MediumEthernet:
		return 100_000_000, 100, 50, 0, 0
	case MediumInternet:
		return 10_000_000, 20_000, 5_000, 0, 0
	case MediumCellular:
		return 1_000_000, 50_000, 20_000, 0, 0
	}
	return 1_000_000, 0, 0, 0, 0
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
	case MediumRS232:
		if len(l.members) >= 2 {
			return fmt.Errorf("%w: RS-232 %q is point-to-point and already joins 2 devices; an RS-485 bus takes up to %d", ErrRefused, l.id, maxBusUnits)
		}
	case MediumRS485:
		if len(l.members) >= maxBusUnits {
			return fmt.Errorf("%w: RS-485 bus %q already carries %d unit loads, the most a standard driver can (a repeater would start a new segment)", ErrRefused, l.id, maxBusUnits)
		}
		if d.kind != KindController && d.addr == 0 {
			d.addr = w.freeAddress(li)
			if d.addr == 0 {
				return fmt.Errorf("%w: RS-485 bus %q has used all %d Modbus addresses", ErrRefused, l.id, maxModbusAdr)
			}
		}
		if d.addr > maxModbusAdr {
			return fmt.Errorf("%w: Modbus address %d of %q is above %d", ErrRefused, d.addr, d.id, maxModbusAdr)
		}
		for _, m := range l.members {
			if m != i && w.devices[m].kind != KindController && w.devices[m].addr == d.addr {
				return fmt.Errorf("%w: Modbus address %d is already used by %q on bus %q", ErrRefused, d.addr, w.devices[m].id, l.id)
			}
		}
	case MediumCAN:
		if d.addr == 0 && d.kind != KindController {
			d.addr = 0x100 + len(l.members)
		}
	}
	l.members = append(l.members, i)
	d.links = append(d.links, li)
	d.stds |= 1 << l.medium
	w.topoVers++
	return nil
}

func (w *World) freeAddress(li int32) int {
	used := [maxModbusAdr + 1]bool{}
	for _, m := range w.links[li].members {
		if a := w.devices[m].addr; a > 0 && a <= maxModbusAdr {
			used[a] = true
		}
	}
	for a := 1; a <= maxModbusAdr; a++ {
		if !used[a] {
			return a
		}
	}
	return 0
}

func (w *World) standardsOf(d *device) string {
	s := ""
	for m := MediumRS232; m < mediumEnd; m++ {
		if d.stds&(1<<m) != 0 {
			if s != "" {
				s += "/"
			}
			s += m.String()
		}
	}
	if s == "" {
		return "nothing"
	}
	return s
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

// pushes reports whether a sensor sends on its own (IoT clients, CAN nodes)
// rather than waiting to be polled (Modbus slaves).
func (w *World) pushes(i int32) bool {
	for _, li := range w.devices[i].links {
		switch w.links[li].medium {
		case MediumRS232, MediumRS485:
			return false
		}
	}
	return true
}

// masterLink is the serial bus a controller polls, or -1.
func (w *World) masterLink(i int32) int32 {
	for _, li := range w.devices[i].links {
		m := w.links[li].medium
		if m == MediumRS232 || m == MediumRS485 {
			return li
		}
	}
	return -1
}

// Tick is the number of ticks stepped so far.
func (w *World) Tick() int64 { return w.tick }

// Seed is the seed the world was built with.
func (w *World) Seed() uint64 { return w.seed }

// Spec is the spec the world was built from.
func (w *World) Spec() Spec { return w.spec }

// Sides names the world's sides, in order.
func (w *World) Sides() []string { return append([]string(nil), w.sides...) }

// Step advances the world by n ticks.
func (w *World) Step(n int) {
	for ; n > 0; n-- {
		w.tick++
		w.now = w.tick * TickMicros
		w.runEvents()
		if w.tick%1000 == 0 {
			w.sample()
		}
		if w.tick%HashEvery == 0 {
			w.recordHash()
		}
		if len(w.pending) > 0 && w.pending[0].At <= w.tick {
			w.applyDue()
		}
	}
}

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
	case ActRemove:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		w.remove(i)
	case ActMove:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		w.devices[i].x, w.devices[i].y = a.X, a.Y
		w.topoVers++
	case ActConnect:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		li, err := w.link(a.Link)
		if err != nil {
			return err
		}
		if err := w.join(i, li); err != nil {
			return err
		}
		w.devices[i].gen++
		w.startDevice(i)
	case ActCut, ActRestore:
		up := a.Kind == ActRestore
		if a.Link == Internet {
			found := false
			for li := range w.links {
				if w.links[li].medium == MediumInternet {
					w.setLink(int32(li), up)
					found = true
				}
			}
			if !found {
				return fmt.Errorf("%w: this world has no internet link", ErrRefused)
			}
			return nil
		}
		li, err := w.link(a.Link)
		if err != nil {
			return err
		}
		w.setLink(li, up)
	case ActPower:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		d := &w.devices[i]
		if d.powered == a.On {
			return nil
		}
		d.powered = a.On
		d.gen++
		d.waiting = 0
		w.topoVers++
		if a.On {
			w.startDevice(i)
			w.flushAll()
		}
	case ActSet:
		return w.applySet(a)
	case ActReading:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		w.reading(i, a.Readings)
	case ActCommand:
		i, err := w.device(a.Device)
		if err != nil {
			return err
		}
		return w.commandFromPerson(i, a.On)
	}
	return nil
}

func (w *World) setLink(li int32, up bool) {
	l := &w.links[li]
	if l.up == up {
		return
	}
	l.up = up
	w.topoVers++
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
			w.shapeVers++
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
	li, err := w.link(a.Link)
	if err != nil {
		return err
	}
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
		w.topoVers++
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

// away is the axis along which side's devices lie from the other sides'
// (left or right, up or down: whichever separates them more), so a crowd
// added to the side grows away from the others instead of over them. It is
// 0, 0 when there is no other side to keep clear of.
func (w *World) away(side int) (ux, uy int32) {
	var sx, sy, sn, ox, oy, on int64
	for i := range w.devices {
		d := &w.devices[i]
		if d.removed {
			continue
		}
		if d.side == side {
			sx, sy, sn = sx+int64(d.x), sy+int64(d.y), sn+1
		} else {
			ox, oy, on = ox+int64(d.x), oy+int64(d.y), on+1
		}
	}
	if sn == 0 || on == 0 {
		return 0, 0
	}
	// Compare mean offsets without dividing: (sx/sn - ox/on) scaled by sn*on.
	dx, dy := sx*on-ox*sn, sy*on-oy*sn
	sign := func(v int64) int32 {
		if v < 0 {
			return -1
		}
		return 1
	}
	if abs64(dx) >= abs64(dy) {
		return sign(dx), 0
	}
	return 0, sign(dy)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// IconSize is a device's icon across, in world units, as the page draws
// it at a scale of one pixel per unit: devices nearer than this cover
// each other.
const IconSize = 36

// busGap is how far apart added drops of a bus stand, and busRow how many
// stand in one row.
const (
	busGap = 50
	busRow = 8
)

// placer says where each next device of one add action to link li goes,
// as the link and the sides stand before the action, never where it would
// cover something: another device, the name written under one, or a line
// the page draws from a hub to a member.
//
// A bus's new drops stand in rows of busRow beyond its existing drops, on
// the side away from the master, every other row shifted half a gap so
// each tap passes between the icons above it. A star's new members take
// the free places of a lattice around the hub, nearest first (a radio's
// range reaches the nearest), never reaching towards another side past
// this side's own edge, so the halves stay apart.
func (w *World) placer(li int32, side int) func() (int32, int32) {
	l := &w.links[li]
	hd := w.devices[l.members[0]]
	ux, uy := w.away(side)
	taken := newRoom()
	// The side's edge towards the others, which a crowd does not cross.
	edge := int32(math.MaxInt32)
	if ux < 0 || uy < 0 {
		edge = math.MinInt32
	}
	for i := range w.devices {
		d := &w.devices[i]
		if d.removed {
			continue
		}
		taken.device(d.x, d.y)
		if d.label != "" && d.label != d.id {
			taken.name(d.x, d.y, len(d.label)) // a name someone gave it
		}
		if d.side == side {
			switch {
			case ux > 0:
				edge = min(edge, d.x)
			case ux < 0:
				edge = max(edge, d.x)
			case uy > 0:
				edge = min(edge, d.y)
			case uy < 0:
				edge = max(edge, d.y)
			}
		}
	}
	onSide := func(x, y int32) bool {
		switch {
		case ux > 0:
			return x >= edge
		case ux < 0:
			return x <= edge
		case uy > 0:
			return y >= edge
		case uy < 0:
			return y <= edge
		}
		return true
	}
	for k := range w.links {
		lk := &w.links[k]
		if lk.removed || len(lk.members) < 2 || lk.medium == MediumRS485 || lk.medium == MediumCAN {
			continue // a bus's trunk and taps run between its own drops
		}
		h := &w.devices[lk.members[0]]
		for _, m := range lk.members[1:min(len(lk.members), maxLines+1)] {
			taken.line(h.x, h.y, w.devices[m].x, w.devices[m].y)
		}
		if lk.medium == MediumInternet || lk.medium == MediumCellular {
			x, y := w.cloudAt(lk)
			taken.area(x-cloudW/2, y-cloudH/2, x+cloudW/2+captionW, y+cloudH/2)
		}
	}
	slot := func(at func(n int) (int32, int32)) func() (int32, int32) {
		n := 0
		return func() (int32, int32) {
			for {
				x, y := at(n)
				n++
				if onSide(x, y) && taken.free(x, y) {
					taken.device(x, y)
					return x, y
				}
			}
		}
	}
	if (l.medium == MediumRS485 || l.medium == MediumCAN) && len(l.members) > 1 {
		// Drops below the master grow downwards, drops above it upwards.
		var sumX, sumY int64
		far := w.devices[l.members[1]].y
		for _, m := range l.members[1:] {
			sumX, sumY = sumX+int64(w.devices[m].x), sumY+int64(w.devices[m].y)
		}
		drops := int64(len(l.members) - 1)
		dir := int32(1)
		if sumY < int64(hd.y)*drops {
			dir = -1
		}
		for _, m := range l.members[1:] {
			if y := w.devices[m].y; y*dir > far*dir {
				far = y
			}
		}
		// Rows would grow towards another side lying that way: the
		// lattice instead.
		if uy == 0 || uy == dir {
			cx := int32(sumX / drops)
			return slot(func(n int) (int32, int32) {
				row, col := int32(n/busRow), int32(n%busRow)
				x := cx - busGap*(busRow-1)/2 + busGap*col
				if row%2 == 1 {
					x += busGap / 2
				}
				return x, far + dir*busGap*(row+1)
			})
		}
	}
	var near lattice
	return slot(func(int) (int32, int32) {
		a, b := near.next(ux, uy)
		return hd.x + placeGap*a, hd.y + placeGap*b
	})
}

// The page draws an internet or cellular star as a cloud on its lines,
// about cloudW by cloudH units, named to its right in about captionW.
const (
	cloudW   = 72
	cloudH   = 48
	captionW = 80
)

// cloudAt is where the page draws a network's cloud, as its CloudAt
// does: halfway from the hub to its members' centre, or, when they stand
// all around the hub, above it.
func (w *World) cloudAt(l *link) (x, y int32) {
	h := &w.devices[l.members[0]]
	var sx, sy, sd int64
	n := int64(len(l.members) - 1)
	for _, m := range l.members[1:] {
		dx, dy := int64(w.devices[m].x-h.x), int64(w.devices[m].y-h.y)
		sx, sy, sd = sx+dx, sy+dy, sd+isqrt(uint64(dx*dx+dy*dy))
	}
	cx, cy := sx/n, sy/n // the members' centre, from the hub
	if 2*isqrt(uint64(cx*cx+cy*cy)) < sd/n {
		return h.x, h.y - (IconSize/2 + cloudH)
	}
	return h.x + int32(cx/2), h.y + int32(cy/2)
}

// isqrt is the integer square root, the same on every platform.
func isqrt(v uint64) int64 {
	if v == 0 {
		return 0
	}
	r := uint64(math.Sqrt(float64(v))) // a guess; corrected exactly below
	for r*r > v {
		r--
	}
	for (r+1)*(r+1) <= v {
		r++
	}
	return int64(r)
}

// maxLines is how many members of a link get a line to its hub drawn all
// the way (the page's maxSpokes): the rest of a crowd gets a stub.
const maxLines = 48

// placeGap is the step of the lattice added star members stand on, and
// the least distance between an added device and any other (default 40:
// an icon and a little air).
const placeGap = 40

// Where a device's name is written, in world units from its centre:
// below the icon, nameH high and about nameChar a character wide. The page
// writes names at a fixed size in pixels, so a world shown smaller than
// one pixel a unit needs more units for them: these leave room down to
// about two thirds of a pixel a unit, which a crowd of a hundred beside a
// scene is fitted at.
const (
	nameTop  = IconSize/2 + 2
	nameH    = 26
	nameChar = 11
)

// room is what a new device must keep clear of: where devices stand and
// where their names are written, binned roomBin units square so that
// whether a place is free is a few lookups.
type room struct {
	devs  map[[2]int32][][2]int32
	areas map[[2]int32][][4]int32 // names and clouds: x0, y0, x1, y1
	lines map[[2]int32][][4]int32 // x0, y0, x1, y1
}

const roomBin = 64

func newRoom() *room {
	return &room{devs: map[[2]int32][][2]int32{}, areas: map[[2]int32][][4]int32{}, lines: map[[2]int32][][4]int32{}}
}

func binOf(v int32) int32 {
	if v < 0 {
		return (v - roomBin + 1) / roomBin
	}
	return v / roomBin
}

// device notes a device standing at x, y.
func (r *room) device(x, y int32) {
	k := [2]int32{binOf(x), binOf(y)}
	r.devs[k] = append(r.devs[k], [2]int32{x, y})
}

// name notes the name of n characters written under the device at x, y.
func (r *room) name(x, y int32, n int) {
	hw := int32(min(n, 64)*nameChar/2 + 4)
	r.area(x-hw, y+nameTop, x+hw, y+nameTop+nameH)
}

// area notes a box x0..x1, y0..y1 drawn on: a name, a network's cloud.
func (r *room) area(x0, y0, x1, y1 int32) {
	b := [4]int32{x0, y0, x1, y1}
	for bx := binOf(b[0]); bx <= binOf(b[2]); bx++ {
		for by := binOf(b[1]); by <= binOf(b[3]); by++ {
			k := [2]int32{bx, by}
			r.areas[k] = append(r.areas[k], b)
		}
	}
}

// line notes a line drawn from x0, y0 to x1, y1, in every bin it crosses.
func (r *room) line(x0, y0, x1, y1 int32) {
	seg := [4]int32{x0, y0, x1, y1}
	// Walk the line in steps shorter than a bin, noting each bin once.
	n := max(abs32(x1-x0), abs32(y1-y0))/(roomBin/2) + 1
	var last [2]int32
	for i := int32(0); i <= n; i++ {
		x := x0 + int32(int64(x1-x0)*int64(i)/int64(n))
		y := y0 + int32(int64(y1-y0)*int64(i)/int64(n))
		k := [2]int32{binOf(x), binOf(y)}
		if i > 0 && k == last {
			continue
		}
		last = k
		if l := r.lines[k]; len(l) == 0 || l[len(l)-1] != seg {
			r.lines[k] = append(l, seg)
		}
	}
}

// free reports whether a device at x, y would stand placeGap or more from
// every device, and whether its icon would keep off every name and line.
func (r *room) free(x, y int32) bool {
	bx, by := binOf(x), binOf(y)
	for dx := int32(-1); dx <= 1; dx++ {
		for dy := int32(-1); dy <= 1; dy++ {
			k := [2]int32{bx + dx, by + dy}
			for _, p := range r.devs[k] {
				if ddx, ddy := int64(p[0]-x), int64(p[1]-y); ddx*ddx+ddy*ddy < placeGap*placeGap {
					return false
				}
			}
			for _, b := range r.areas[k] {
				const q = IconSize / 2
				if x > b[0]-q && x < b[2]+q && y > b[1]-q && y < b[3]+q {
					return false
				}
			}
			for _, s := range r.lines[k] {
				if nearLine(x, y, s, IconSize/2+2) {
					return false
				}
			}
		}
	}
	return true
}

// nearLine reports whether x, y is within d of the segment s, in integer
// maths so every platform places devices alike.
func nearLine(x, y int32, s [4]int32, d int64) bool {
	ax, ay := int64(s[0]), int64(s[1])
	dx, dy := int64(s[2])-ax, int64(s[3])-ay
	px, py := int64(x)-ax, int64(y)-ay
	l2 := dx*dx + dy*dy
	t := px*dx + py*dy // the projection, times l2
	switch {
	case l2 == 0 || t <= 0:
		return px*px+py*py <= d*d
	case t >= l2:
		ex, ey := px-dx, py-dy
		return ex*ex+ey*ey <= d*d
	}
	// The distance squared is cross²/l2; compare cross² with d²·l2, in
	// 128 bits since cross² may not fit in 64.
	cross := uint64(abs64(px*dy - py*dx))
	hi, lo := bits.Mul64(cross, cross)
	return hi == 0 && lo <= uint64(d*d*l2)
}

// lattice hands out the points a, b of the integer lattice, leaving out
// 0, 0, nearest first; among points equally near, those furthest along
// ux, uy first, then by b and a. Points come a square shell at a time:
// every point of shell k+1 is at least k+1 away, so the points of the
// shells so far that are no further than that are in their final order.
type lattice struct {
	k     int32      // shells 1..k are in pts or handed out
	pts   [][2]int32 // waiting, in order
	next0 int
}

func (l *lattice) next(ux, uy int32) (int32, int32) {
	for {
		if l.next0 < len(l.pts) {
			p := l.pts[l.next0]
			if d := int64(p[0])*int64(p[0]) + int64(p[1])*int64(p[1]); d <= int64(l.k+1)*int64(l.k+1) {
				l.next0++
				return p[0], p[1]
			}
		}
		// Add shell k+1 and order what waits.
		l.pts = append(l.pts[:0], l.pts[l.next0:]...)
		l.next0 = 0
		l.k++
		k := l.k
		for a := -k; a <= k; a++ {
			for b := -k; b <= k; b++ {
				if max(abs32(a), abs32(b)) == k {
					l.pts = append(l.pts, [2]int32{a, b})
				}
			}
		}
		slices.SortFunc(l.pts, func(p, q [2]int32) int {
			dp := int64(p[0])*int64(p[0]) + int64(p[1])*int64(p[1])
			dq := int64(q[0])*int64(q[0]) + int64(q[1])*int64(q[1])
			if c := cmp.Compare(dp, dq); c != 0 {
				return c
			}
			if c := cmp.Compare(q[0]*ux+q[1]*uy, p[0]*ux+p[1]*uy); c != 0 {
				return c
			}
			if c := cmp.Compare(p[1], q[1]); c != 0 {
				return c
			}
			return cmp.Compare(p[0], q[0])
		})
	}
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
	w.topoVers++
}

// commandFromPerson sends an on/off command to an actuator the way its side
// would: a controller writes it on its bus; on the IoT side it travels from
// an app (or the broker) through the cloud.
func (w *World) commandFromPerson(i int32, on bool) error {
	d := &w.devices[i]
	if d.kind != KindActuator && d.kind != KindBoard {
		return fmt.Errorf("%w: %q is a %s; only actuators and boards take commands", ErrRefused, d.id, d.kind)
	}
	for _, li := range d.links {
		l := &w.links[li]
		if l.medium.M2M() {
			for _, m := range l.members {
				if w.devices[m].kind == KindController {
					w.queueCommand(m, i, on, w.now)
					return nil
				}
			}
		}
	}
	// IoT: from an app of the side if one reaches the actuator, else the broker.
	var from int32 = -1
	for j := range w.devices {
		o := &w.devices[j]
		if o.removed || o.side != d.side {
			continue
		}
		if o.kind == KindApp && w.reachable(int32(j), i) {
			from = int32(j)
			break
		}
		if o.kind == KindBroker && from < 0 && w.reachable(int32(j), i) {
			from = int32(j)
		}
	}
	if from < 0 {
		return fmt.Errorf("%w: nothing can reach %q to command it (is its path cut?)", ErrRefused, d.id)
	}
	w.sendCommand(from, i, on, w.now)
	return nil
}
