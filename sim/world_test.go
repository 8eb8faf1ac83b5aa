package sim_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

const second = 1000 // ticks

func newWorld(t testing.TB, spec sim.Spec, seed uint64) *sim.World {
	t.Helper()
	w, err := sim.New(spec, seed)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return w
}

func side(t testing.TB, w *sim.World, name string) sim.SideMetrics {
	t.Helper()
	for _, m := range w.Metrics() {
		if m.Side == name {
			return m
		}
	}
	t.Fatalf("no side %q", name)
	return sim.SideMetrics{}
}

func apply(t testing.TB, w *sim.World, a sim.Action) {
	t.Helper()
	if err := w.Apply(a); err != nil {
		t.Fatalf("Apply(%+v): %v", a, err)
	}
}

func TestDemoBothSidesDeliver(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	w.Step(30 * second)
	m2m, iot := side(t, w, "m2m"), side(t, w, "iot")
	if m2m.Delivered < 100 || iot.Delivered < 20 {
		t.Fatalf("delivered m2m=%d iot=%d, want both sides busy", m2m.Delivered, iot.Delivered)
	}
	// A wired bus loses nothing; a Zigbee radio loses the odd frame its
	// retries could not save.
	if m2m.Lost != 0 || iot.Lost*20 > iot.Sent {
		t.Errorf("lost m2m=%d iot=%d of %d on healthy links", m2m.Lost, iot.Lost, iot.Sent)
	}
	if m2m.PollCycleMs <= 0 {
		t.Errorf("m2m poll cycle %v, want > 0", m2m.PollCycleMs)
	}
	if m2m.DecisionsLocal == 0 || m2m.DecisionsCloud != 0 {
		t.Errorf("m2m decisions local=%d cloud=%d, want local only", m2m.DecisionsLocal, m2m.DecisionsCloud)
	}
	if iot.DecisionsCloud == 0 || iot.DecisionsLocal != 0 {
		t.Errorf("iot decisions local=%d cloud=%d, want cloud only", iot.DecisionsLocal, iot.DecisionsCloud)
	}
	if iot.Translations == 0 {
		t.Error("iot side counted no translations at its Zigbee gateway")
	}
	if !iot.Internet || m2m.Internet {
		t.Errorf("needs internet: iot=%v m2m=%v", iot.Internet, m2m.Internet)
	}
	if m2m.BytesPerRead >= iot.BytesPerRead {
		t.Errorf("bytes per reading m2m=%.1f iot=%.1f: Modbus should be far leaner than MQTT over TCP/IP", m2m.BytesPerRead, iot.BytesPerRead)
	}
}

// A Modbus RTU poll at 9600 baud: an 8-byte request and a 9-byte reply of
// 11-bit characters, each followed by 3.5 characters of silence, plus the
// slave's turnaround. The measured latency must be that, not a made-up
// figure.
func TestModbusLatencyFollowsBaudRate(t *testing.T) {
	for _, baud := range []int{9600, 19200, 115200} {
		spec := busSpec(1, baud)
		w := newWorld(t, spec, 1)
		w.Step(5 * second)
		got := side(t, w, "m2m").LatencyP50Ms
		wire := float64(proto.ModbusFrameTime(8, baud)+proto.ModbusFrameTime(9, baud)) / 1000
		want := wire + 2 // turnaround
		// The histogram's buckets are about 3% wide.
		if got < want*0.9 || got > want*1.1 {
			t.Errorf("baud %d: poll latency %.2f ms, want about %.2f ms", baud, got, want)
		}
	}
}

func busSpec(slaves, baud int) sim.Spec {
	spec := sim.Spec{
		Devices: []sim.DeviceSpec{{ID: "plc", Kind: "controller", Side: "m2m"}},
		Links:   []sim.LinkSpec{{ID: "bus", Medium: "rs485", Baud: baud, Members: []string{"plc"}}},
	}
	for i := range slaves {
		id := fmt.Sprintf("s%d", i+1)
		spec.Devices = append(spec.Devices, sim.DeviceSpec{ID: id, Kind: "sensor", Side: "m2m", X: int32(i * 10), Y: 100})
		spec.Links[0].Members = append(spec.Links[0].Members, id)
	}
	return spec
}

// One master polls in turn, so the cycle grows linearly with slaves.
func TestPollCycleGrowsLinearly(t *testing.T) {
	cycle := map[int]float64{}
	for _, n := range []int{2, 4, 8, 16, 31} {
		w := newWorld(t, busSpec(n, 9600), 1)
		w.Step(5 * second)
		cycle[n] = side(t, w, "m2m").PollCycleMs
	}
	per := cycle[2] / 2
	for n, c := range cycle {
		if r := c / (per * float64(n)); r < 0.95 || r > 1.05 {
			t.Errorf("%d slaves: cycle %.1f ms, %.2f× the %d× per-slave time", n, c, r, n)
		}
	}
	if cycle[31] < 900 {
		t.Errorf("31 slaves at 9600 baud poll in %.0f ms; that is too fast for the wire", cycle[31])
	}
}

func TestRS485RefusesThe33rdUnitLoad(t *testing.T) {
	w := newWorld(t, busSpec(31, 9600), 1) // master + 31 = 32 unit loads
	err := w.Apply(sim.Action{Kind: sim.ActAdd, Link: "bus", DeviceKind: "sensor", Count: 1})
	if !errors.Is(err, sim.ErrRefused) || !strings.Contains(err.Error(), "32 unit loads") {
		t.Fatalf("33rd unit: err = %v, want a refusal naming 32 unit loads", err)
	}
	if n := len(w.DeviceIDs()); n != 32 {
		t.Errorf("devices after refusal = %d, want 32 (nothing added, nothing lost)", n)
	}
	spec := busSpec(31, 9600)
	spec.Links[0].Members = append(spec.Links[0].Members, "extra")
	spec.Devices = append(spec.Devices, sim.DeviceSpec{ID: "extra", Kind: "sensor"})
	if _, err := sim.New(spec, 1); err == nil || !strings.Contains(err.Error(), "32") {
		t.Errorf("a spec with 33 units on one bus: err = %v, want refusal", err)
	}
}

func TestForeignStandardIsRefused(t *testing.T) {
	spec := busSpec(2, 9600)
	spec.Devices = append(spec.Devices, sim.DeviceSpec{ID: "zb", Kind: "sensor", Standards: []string{"zigbee"}, X: 5, Y: 5})
	w := newWorld(t, spec, 1)
	err := w.Apply(sim.Action{Kind: sim.ActConnect, Device: "zb", Link: "bus"})
	if !errors.Is(err, sim.ErrRefused) {
		t.Fatalf("zigbee sensor joining RS-485: err = %v, want ErrRefused", err)
	}
	for _, want := range []string{`"zb"`, "zigbee", "rs485", "one standard"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not mention %s", err, want)
		}
	}
	if info, _ := w.Device("zb"); len(info.Links) != 0 {
		t.Errorf("refused device is on links %v", info.Links)
	}
	// The refusal is shown on the device for a moment.
	var v sim.View
	w.View(&v)
	for _, d := range v.Devices {
		if d.ID == "zb" && !d.Refused {
			t.Error("view does not mark the refused device")
		}
	}
}

func qosSpec(qos int) sim.Spec {
	s := sim.Demo()
	for i := range s.Devices {
		if s.Devices[i].Side == "iot" && s.Devices[i].Kind == "sensor" {
			s.Devices[i].QoS = qos
		}
	}
	return s
}

// Cutting the internet stops the IoT side's deliveries while the M2M loop
// goes on. QoS 0 clients drop what they cannot send; QoS 1 clients keep it
// and deliver it late once the internet is back.
func TestInternetOutage(t *testing.T) {
	for _, qos := range []int{0, 1} {
		t.Run(fmt.Sprintf("qos%d", qos), func(t *testing.T) {
			w := newWorld(t, qosSpec(qos), 7)
			w.Step(10 * second)
			apply(t, w, sim.Action{Kind: sim.ActCut, Link: sim.Internet})
			w.Step(1 * second) // messages already past the cut drain
			m2mBefore, iotBefore := side(t, w, "m2m"), side(t, w, "iot")
			w.Step(10 * second)
			m2m, iot := side(t, w, "m2m"), side(t, w, "iot")
			if iot.Delivered != iotBefore.Delivered {
				t.Errorf("IoT delivered %d during the outage", iot.Delivered-iotBefore.Delivered)
			}
			if m2m.Delivered-m2mBefore.Delivered < 50 {
				t.Errorf("M2M delivered only %d during the outage; its loop needs no internet", m2m.Delivered-m2mBefore.Delivered)
			}
			switch qos {
			case 0:
				if iot.Lost-iotBefore.Lost < 15 {
					t.Errorf("QoS 0 lost %d during 10 s of outage, want the readings dropped", iot.Lost-iotBefore.Lost)
				}
			case 1:
				if iot.Buffered < 15 {
					t.Errorf("QoS 1 buffered %d, want the readings kept", iot.Buffered)
				}
			}
			apply(t, w, sim.Action{Kind: sim.ActRestore, Link: sim.Internet})
			w.Step(5 * second)
			after := side(t, w, "iot")
			if after.Buffered != 0 {
				t.Errorf("still buffered after restore: %d", after.Buffered)
			}
			if qos == 1 {
				if after.Lost != 0 {
					t.Errorf("QoS 1 lost %d readings", after.Lost)
				}
				if after.LatencyP99Ms < 5000 {
					t.Errorf("QoS 1 p99 latency %.0f ms: late deliveries of the outage do not show", after.LatencyP99Ms)
				}
			}
			if after.Delivered <= iot.Delivered {
				t.Error("IoT did not resume after the internet came back")
			}
		})
	}
}

func TestBrokerDownAndPowerOff(t *testing.T) {
	w := newWorld(t, sim.Demo(), 3)
	w.Step(5 * second)
	apply(t, w, sim.Action{Kind: sim.ActPower, Device: "cloud"})
	w.Step(500)
	before := side(t, w, "iot").Delivered
	w.Step(5 * second)
	if got := side(t, w, "iot").Delivered; got != before {
		t.Errorf("IoT delivered %d with its broker down", got-before)
	}
	info, _ := w.Device("living-temp")
	sent := info.Stats.Sent
	apply(t, w, sim.Action{Kind: sim.ActPower, Device: "living-temp"})
	w.Step(5 * second)
	if info, _ = w.Device("living-temp"); info.Stats.Sent != sent {
		t.Errorf("a powered-off sensor sent %d readings", info.Stats.Sent-sent)
	}
	// An M2M slave that is off does not answer: the master times out.
	m := side(t, w, "m2m")
	apply(t, w, sim.Action{Kind: sim.ActPower, Device: "oil-temp"})
	w.Step(5 * second)
	if got := side(t, w, "m2m"); got.Lost-m.Lost < 10 {
		t.Errorf("polls of a powered-off slave lost %d, want timeouts", got.Lost-m.Lost)
	}
}

func TestLossOnARadioLink(t *testing.T) {
	w := newWorld(t, sim.Demo(), 5)
	apply(t, w, sim.Action{Kind: sim.ActSet, Link: "zigbee", Key: "loss_pct", Value: 60})
	w.Step(60 * second)
	iot := side(t, w, "iot")
	if iot.Lost == 0 {
		t.Fatal("60% radio loss lost nothing")
	}
	if iot.Delivered == 0 {
		t.Fatal("retries delivered nothing")
	}
}

// Every message in flight carries real bytes of its protocol.
func TestMessagesCarryRealFrames(t *testing.T) {
	spec := sim.Demo()
	spec.Devices = append(spec.Devices,
		sim.DeviceSpec{ID: "ecu", Kind: "controller", Side: "m2m", X: 100, Y: 500},
		sim.DeviceSpec{ID: "wheel", Kind: "sensor", Side: "m2m", X: 200, Y: 500, PeriodMs: 10},
	)
	spec.Links = append(spec.Links, sim.LinkSpec{ID: "can", Medium: "can", Baud: 10000, Members: []string{"ecu", "wheel"}})
	w := newWorld(t, spec, 9)
	seen := map[string]int{}
	var v sim.View
	for range 4000 {
		w.Step(5)
		w.View(&v)
		for _, mv := range v.Messages {
			mi, ok := w.Message(mv.ID)
			if !ok {
				t.Fatalf("message %d in the view but not found", mv.ID)
			}
			seen[mi.Protocol]++
			checkFrame(t, mi)
		}
	}
	for _, p := range []string{"modbus-rtu", "can", "mqtt", "zigbee"} {
		if seen[p] == 0 {
			t.Errorf("no %s message seen in flight (saw %v)", p, seen)
		}
	}
}

func checkFrame(t *testing.T, mi sim.MessageInfo) {
	t.Helper()
	fields, err := proto.Dissect(mi.Protocol, mi.Bytes)
	if err != nil || len(fields) < 3 {
		t.Fatalf("dissect %s % x: %d fields, %v", mi.Protocol, mi.Bytes, len(fields), err)
	}
	covered := 0
	for _, f := range fields {
		covered = max(covered, f.Offset+f.Len)
	}
	if covered != len(mi.Bytes) && mi.Protocol != "can" {
		t.Fatalf("dissected %s fields cover %d of %d bytes", mi.Protocol, covered, len(mi.Bytes))
	}
	switch mi.Protocol {
	case "modbus-rtu":
		if err := proto.CheckCRC(mi.Bytes); err != nil {
			t.Fatalf("%s frame % x: %v", mi.Kind, mi.Bytes, err)
		}
	case "can":
		if _, err := proto.ParseCANFrame(mi.Bytes); err != nil {
			t.Fatalf("CAN frame % x: %v", mi.Bytes, err)
		}
	case "mqtt":
		p, err := proto.ParseMQTT(mi.Bytes, proto.MQTTv311)
		if err != nil {
			t.Fatalf("MQTT frame % x: %v", mi.Bytes, err)
		}
		if p.Type != proto.MQTTPublish || !strings.HasPrefix(string(p.Topic), "thingyard/iot/") {
			t.Fatalf("MQTT packet %+v, want a PUBLISH under thingyard/iot/", p)
		}
	}
	if mi.WireBytes < len(mi.Bytes) {
		t.Fatalf("wire bytes %d < frame bytes %d", mi.WireBytes, len(mi.Bytes))
	}
}

// A CAN bus arbitrates by identifier: under load the lowest identifier
// waits least.
func TestCANArbitrationFavoursLowIDs(t *testing.T) {
	spec := sim.Spec{
		Devices: []sim.DeviceSpec{{ID: "ecu", Kind: "controller", Side: "m2m"}},
		Links:   []sim.LinkSpec{{ID: "can", Medium: "can", Baud: 125000, Members: []string{"ecu"}}},
	}
	for i := range 12 {
		id := fmt.Sprintf("n%d", i)
		spec.Devices = append(spec.Devices, sim.DeviceSpec{ID: id, Kind: "sensor", Side: "m2m", Address: 0x100 + i, PeriodMs: 2})
		spec.Links[0].Members = append(spec.Links[0].Members, id)
	}
	w := newWorld(t, spec, 1)
	w.Step(3 * second)
	hi, _ := w.Device("n0")
	lo, _ := w.Device("n11")
	if hi.Stats.Bytes <= lo.Stats.Bytes {
		t.Errorf("on a saturated bus id 0x100 sent %d bytes, id 0x10b %d: the lower id should win arbitration", hi.Stats.Bytes, lo.Stats.Bytes)
	}
}

func TestAddManyIoTDevices(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	apply(t, w, sim.Action{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: 1000})
	w.Step(5 * second)
	iot := side(t, w, "iot")
	if iot.Devices < 1000 {
		t.Fatalf("iot devices %d", iot.Devices)
	}
	if iot.Delivered < 3000 {
		t.Errorf("1000 more sensors delivered only %d in 5 s", iot.Delivered)
	}
}

func TestViewDoesNotAllocateWhenWarm(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	w.Step(3 * second)
	var v sim.View
	w.View(&v)
	allocs := testing.AllocsPerRun(100, func() {
		w.Step(16)
		w.View(&v)
	})
	if allocs > 0 {
		t.Errorf("Step+View allocate %.1f times per frame", allocs)
	}
}

// A malformed action names the JSON field at fault, for the open API.
func TestCheckNamesTheField(t *testing.T) {
	tests := []struct {
		a    sim.Action
		want string
	}{
		{sim.Action{Kind: "explode"}, "kind"},
		{sim.Action{Kind: sim.ActPower, Device: "no spaces"}, "device"},
		{sim.Action{Kind: sim.ActAdd, Link: "net", DeviceKind: "toaster", Count: 1}, "device_kind"},
		{sim.Action{Kind: sim.ActAdd, Link: "net", DeviceKind: "sensor"}, "count"},
		{sim.Action{Kind: sim.ActMove, Device: "d", Y: sim.MaxCoord + 1}, "y"},
		{sim.Action{Kind: sim.ActSet, Device: "d", Key: "colour"}, "key"},
		{sim.Action{Kind: sim.ActReading, Device: "d"}, "readings"},
		{sim.Action{Kind: sim.ActCut, At: -1, Link: "net"}, "at"},
	}
	for _, tt := range tests {
		err := tt.a.Check()
		var ae *sim.ActionError
		if !errors.As(err, &ae) || !errors.Is(err, sim.ErrBadAction) {
			t.Errorf("Check(%+v) = %v, want an ActionError", tt.a, err)
			continue
		}
		if ae.Field != tt.want {
			t.Errorf("Check(%+v) blames %q, want %q (%v)", tt.a, ae.Field, tt.want, err)
		}
	}
}

// after every kind of change a person can make.
func TestViewRefreshMatchesFresh(t *testing.T) {
	w := newWorld(t, sim.Demo(), 3)
	var reused sim.View
	steps := append([]sim.Action{
		{Kind: sim.ActSet, Device: "door", Key: "label", Text: "Front door"},
		{Kind: sim.ActReading, Device: "living-temp", Readings: []sim.Reading{{Name: "humidity", Value: 40}}},
		{Kind: sim.ActRemove, Device: "oven-temp"},
		{Kind: sim.ActAdd, Link: "zigbee", DeviceKind: "sensor", Count: 3},
	}, scriptedActions()...)
	for i, a := range steps {
		w.Step(700)
		w.View(&reused) // filled before the change, refreshed after it
		apply(t, w, a)
		for k := 0; k < 3; k++ {
			w.Step(50)
			w.View(&reused)
			var fresh sim.View
			w.View(&fresh)
			if !same(reused.Devices, fresh.Devices) || reused.Bounds != fresh.Bounds ||
				!same(reused.Messages, fresh.Messages) || len(reused.Links) != len(fresh.Links) {
				t.Fatalf("after %d: %+v: the refreshed view differs from a fresh one", i, a)
			}
			for l := range fresh.Links {
				r, f := reused.Links[l], fresh.Links[l]
				if r.ID != f.ID || r.Up != f.Up || !same(r.Members, f.Members) {
					t.Fatalf("after %+v: link %s refreshed %+v, fresh %+v", a, f.ID, r, f)
				}
			}
		}
	}
}

// same reports whether two slices hold equal elements, an empty slice
// being the same as none.
func same[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// Every device that put bytes on a wire counts the messages it sent: a
// Modbus slave its replies, a master its polls and writes, a gateway what
// it passes on, a broker its commands and the copies it sends apps. An
// inspector never says "sent 0" beside "bytes sent 108".
func TestSentCountsEveryMessage(t *testing.T) {
	w := newWorld(t, sim.Demo(), 7)
	w.Step(30 * second)
	for _, id := range w.DeviceIDs() {
		d, _ := w.Device(id)
		if d.Stats.Bytes > 0 && d.Stats.Sent == 0 {
			t.Errorf("%s (%s) sent %d bytes in 0 messages", id, d.Kind, d.Stats.Bytes)
		}
	}
	// A slave answers every request it hears, so it sends as many
	// replies as it received requests.
	for _, id := range []string{"oven-temp", "oil-temp", "valve"} {
		d, _ := w.Device(id)
		if d.Stats.Received == 0 || d.Stats.Sent != d.Stats.Received {
			t.Errorf("Modbus slave %s received %d requests and sent %d replies", id, d.Stats.Received, d.Stats.Sent)
		}
	}
}

// A real board's readings keep their names: every name it printed has its
// latest value and the time it arrived, in the order first printed, and
// a board printing more names than MaxReadings keeps the latest ones.
func TestBoardKeepsEveryNamedReading(t *testing.T) {
	spec := sim.Spec{Name: "bench",
		Devices: []sim.DeviceSpec{{ID: "board", Kind: "board", Side: "iot"}, {ID: "broker", Kind: "broker", Side: "iot"}},
		Links:   []sim.LinkSpec{{ID: "net", Medium: "internet", Members: []string{"board", "broker"}}}}
	w := newWorld(t, spec, 1)
	w.Step(100)
	apply(t, w, sim.Action{Kind: sim.ActReading, Device: "board", Readings: []sim.Reading{{Name: "temp", Value: 21.5}, {Name: "hum", Value: 40}}})
	w.Step(100)
	apply(t, w, sim.Action{Kind: sim.ActReading, Device: "board", Readings: []sim.Reading{{Name: "temp", Value: 22}}})
	d, _ := w.Device("board")
	want := []sim.NamedReading{{Name: "temp", Value: 22, SampledMs: 200}, {Name: "hum", Value: 40, SampledMs: 100}}
	if !reflect.DeepEqual(d.Readings, want) {
		t.Errorf("readings %+v, want %+v", d.Readings, want)
	}
	for i := range sim.MaxReadings {
		w.Step(1)
		apply(t, w, sim.Action{Kind: sim.ActReading, Device: "board", Readings: []sim.Reading{{Name: fmt.Sprintf("n%d", i), Value: float64(i)}}})
	}
	d, _ = w.Device("board")
	names := map[string]bool{}
	for _, r := range d.Readings {
		names[r.Name] = true
	}
	if len(d.Readings) != sim.MaxReadings || len(names) != sim.MaxReadings || names["temp"] || names["hum"] {
		t.Errorf("past %d names the board keeps %+v, want n0…n%d", sim.MaxReadings, d.Readings, sim.MaxReadings-1)
	}
}

// A device reaches a broker while a path of links that are up leads there
// through powered forwarders; cutting the internet, powering the hub off
// or the broker off cuts it.
func TestReachesBroker(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	reach := func() string {
		var got []string
		for _, id := range []string{"living-temp", "lamp", "hub", "cloud", "phone", "plc", "oven-temp"} {
			if w.ReachesBroker(id) {
				got = append(got, id)
			}
		}
		return strings.Join(got, " ")
	}
	steps := []struct {
		act  *sim.Action
		want string
	}{
		{nil, "living-temp lamp hub cloud phone"},
		{&sim.Action{Kind: sim.ActCut, Link: sim.Internet}, "cloud phone"}, // the cloud keeps its cellular link
		{&sim.Action{Kind: sim.ActRestore, Link: sim.Internet}, "living-temp lamp hub cloud phone"},
		{&sim.Action{Kind: sim.ActPower, Device: "hub"}, "cloud phone"},
		{&sim.Action{Kind: sim.ActPower, Device: "hub", On: true}, "living-temp lamp hub cloud phone"},
		{&sim.Action{Kind: sim.ActPower, Device: "cloud"}, ""},
	}
	for _, s := range steps {
		if s.act != nil {
			apply(t, w, *s.act)
		}
		if got := reach(); got != s.want {
			t.Errorf("after %+v: %q reach the broker, want %q", s.act, got, s.want)
		}
	}
}
