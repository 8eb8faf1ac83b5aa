package scenes_test

import (
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// run builds a built-in scene and steps it to second s.
func run(t *testing.T, name string) (*scenes.Scene, *sim.World) {
	t.Helper()
	sc, err := scenes.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.New(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return sc, w
}

func at(w *sim.World, s int) map[string]sim.SideMetrics {
	w.Step(s*1000 - int(w.Tick()))
	out := map[string]sim.SideMetrics{}
	for _, m := range w.Metrics() {
		out[m.Side] = m
	}
	return out
}

// Each built-in scene claims a difference in its lesson; these tests check
// that the world really shows it.

func TestOverviewShowsBothSides(t *testing.T) {
	_, w := run(t, "overview")
	m := at(w, 30)
	if m["m2m"].DecisionsLocal == 0 || m["iot"].DecisionsCloud == 0 {
		t.Errorf("decisions: m2m local %d, iot cloud %d", m["m2m"].DecisionsLocal, m["iot"].DecisionsCloud)
	}
	if m["m2m"].Internet || !m["iot"].Internet {
		t.Error("only the IoT side should need the internet")
	}
}

func TestInternetOutageScene(t *testing.T) {
	_, w := run(t, "internet-outage")
	before := at(w, 21)
	during := at(w, 39)
	if d := during["iot"].Delivered - before["iot"].Delivered; d != 0 {
		t.Errorf("IoT delivered %d while the internet was cut", d)
	}
	if d := during["m2m"].Delivered - before["m2m"].Delivered; d < 100 {
		t.Errorf("M2M delivered only %d during the outage", d)
	}
	if during["iot"].Buffered == 0 || during["iot"].Lost == 0 {
		t.Errorf("during the outage: buffered %d (QoS 1), lost %d (QoS 0); want both", during["iot"].Buffered, during["iot"].Lost)
	}
	after := at(w, 45)
	if after["iot"].Delivered-during["iot"].Delivered < 15 {
		t.Errorf("IoT did not catch up after the internet came back: %d", after["iot"].Delivered-during["iot"].Delivered)
	}
}

func TestScalabilityScene(t *testing.T) {
	_, w := run(t, "scalability")
	small := at(w, 9)
	big := at(w, 19)
	if r := big["m2m"].PollCycleMs / small["m2m"].PollCycleMs; r < 3.5 || r > 4.3 {
		t.Errorf("poll cycle %0.f ms with 8 slaves, %0.f ms with 31: ratio %.2f, want about 31/8", small["m2m"].PollCycleMs, big["m2m"].PollCycleMs, r)
	}
	if big["iot"].Devices < 1000 {
		t.Errorf("IoT devices %d, want the 1000 added", big["iot"].Devices)
	}
	if big["iot"].LatencyP50Ms > small["iot"].LatencyP50Ms*1.5 {
		t.Errorf("IoT latency went from %.1f to %.1f ms", small["iot"].LatencyP50Ms, big["iot"].LatencyP50Ms)
	}
	late := at(w, 21)
	if late["m2m"].Devices != big["m2m"].Devices {
		t.Errorf("the 33rd unit was not refused: %d devices", late["m2m"].Devices)
	}
	if txt, _ := w.LastRefusal(); !strings.Contains(txt, "32 unit loads") {
		t.Errorf("last refusal %q", txt)
	}
}

func TestStandardsScene(t *testing.T) {
	_, w := run(t, "standards")
	m := at(w, 20)
	if txt, _ := w.LastRefusal(); !strings.Contains(txt, "zigbee") || !strings.Contains(txt, "rs485") {
		t.Errorf("refusal %q, want the Zigbee sensor refused by the RS-485 bus", txt)
	}
	if m["m2m"].Standards != 1 || m["iot"].Standards < 4 {
		t.Errorf("standards m2m %d iot %d", m["m2m"].Standards, m["iot"].Standards)
	}
	if m["iot"].Translations < m["iot"].Delivered {
		t.Errorf("IoT translations %d for %d deliveries: every reading crosses a gateway", m["iot"].Translations, m["iot"].Delivered)
	}
}

func TestIntelligenceScene(t *testing.T) {
	_, w := run(t, "intelligence")
	m := at(w, 39)
	if m["m2m"].ReactionP50Ms == 0 || m["iot"].ReactionP50Ms == 0 {
		t.Fatalf("no reactions: m2m %.1f iot %.1f", m["m2m"].ReactionP50Ms, m["iot"].ReactionP50Ms)
	}
	if m["iot"].ReactionP50Ms < 2*m["m2m"].ReactionP50Ms {
		t.Errorf("reaction p50: local %.1f ms, cloud %.1f ms; the cloud should be much slower", m["m2m"].ReactionP50Ms, m["iot"].ReactionP50Ms)
	}
	after := at(w, 60)
	if after["iot"].DecisionsCloud != m["iot"].DecisionsCloud {
		t.Error("the cloud decided while the internet was cut")
	}
	if after["m2m"].DecisionsLocal <= m["m2m"].DecisionsLocal {
		t.Error("the PLC stopped deciding")
	}
}

func TestProtocolsScene(t *testing.T) {
	_, w := run(t, "protocols")
	m := at(w, 20)
	if m["m2m"].BytesPerRead*4 > m["iot"].BytesPerRead {
		t.Errorf("bytes per reading: m2m %.1f, iot %.1f", m["m2m"].BytesPerRead, m["iot"].BytesPerRead)
	}
}

func TestConnectionScene(t *testing.T) {
	_, w := run(t, "connection")
	m := at(w, 10)
	if m["m2m"].Links != 4 {
		t.Errorf("M2M links %d, want one wire per sensor", m["m2m"].Links)
	}
	if m["iot"].Delivered == 0 || m["m2m"].Delivered == 0 {
		t.Error("a side delivered nothing")
	}
}

func TestScopeScene(t *testing.T) {
	_, w := run(t, "scope")
	m := at(w, 30)
	if m["iot"].ReachKm < 50*m["m2m"].ReachKm {
		t.Errorf("reach m2m %.0f, iot %.0f", m["m2m"].ReachKm, m["iot"].ReachKm)
	}
	if m["iot"].Delivered == 0 {
		t.Error("the city's sensors delivered nothing")
	}
}

func TestEveryBuiltinRuns(t *testing.T) {
	for _, n := range scenes.Names() {
		sc, w := run(t, n)
		w.Step(sc.Seconds * 1000)
		var delivered int64
		for _, m := range w.Metrics() {
			delivered += m.Delivered
		}
		if delivered == 0 && n != "real-board" {
			t.Errorf("%s delivered nothing in %d s", n, sc.Seconds)
		}
		// Every sensor is placed in reach of its network: losses come
		// from the scene's story (an outage), not from its geometry.
		for _, id := range w.DeviceIDs() {
			d, _ := w.Device(id)
			if d.Kind == "sensor" && d.Stats.Sent > 0 && (d.Stats.Lost*2 > d.Stats.Sent || d.Buffered*2 > int(d.Stats.Sent)) {
				t.Errorf("%s: sensor %s lost %d and holds %d of %d readings", n, id, d.Stats.Lost, d.Buffered, d.Stats.Sent)
			}
		}
	}
}

// open-api: the outside app reads the IoT side's readings through its
// broker; nothing on the M2M side is on a network an outside program
// could reach.
func TestOpenAPIScene(t *testing.T) {
	_, w := run(t, "open-api")
	at(w, 30)
	out, ok := w.Device("outside")
	if !ok || out.Kind != "app" || out.Side != "iot" || out.Stats.Received == 0 {
		t.Errorf("the outside app %+v should receive the IoT side's readings", out)
	}
	for _, id := range w.DeviceIDs() {
		d, _ := w.Device(id)
		if d.Side != "m2m" {
			continue
		}
		if d.Protocol != "" {
			t.Errorf("M2M device %s speaks %s on an IP network", id, d.Protocol)
		}
	}
}
