package sim_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// Every medium carries a reading from a sensor to where it is used, in a
// time that follows the medium's physics.
func TestEveryMediumDelivers(t *testing.T) {
	tests := []struct {
		medium, sink string
		minMs, maxMs float64
	}{
		{"rs232", "controller", 25, 35}, // a poll: 8+9 bytes at 9600 baud, plus silences and turnaround
		{"rs485", "controller", 25, 35},
		{"can", "controller", 0.1, 1}, // 4 data bytes at 500 kbit/s
		{"zigbee", "gateway", 2, 15},
		{"ble", "gateway", 0.5, 20},
		{"lorawan", "gateway", 15, 40}, // a few dozen bytes at 5.5 kbit/s
		{"wifi", "broker", 1, 6},
		{"ethernet", "broker", 0.05, 0.3},
		{"internet", "broker", 19, 27},
		{"cellular", "broker", 45, 75},
	}
	for _, tt := range tests {
		t.Run(tt.medium, func(t *testing.T) {
			spec := sim.Spec{
				Devices: []sim.DeviceSpec{
					{ID: "sink", Kind: tt.sink, X: 0, Y: 0},
					{ID: "s", Kind: "sensor", X: 10, Y: 0, PeriodMs: 500},
				},
				Links: []sim.LinkSpec{{ID: "l", Medium: tt.medium, Members: []string{"sink", "s"}}},
			}
			if tt.sink == "gateway" {
				// A radio network ends at its gateway, which passes
				// readings on over the LAN to where they are used.
				spec.Devices = append(spec.Devices, sim.DeviceSpec{ID: "server", Kind: "broker", X: 0, Y: -50})
				spec.Links = append(spec.Links, sim.LinkSpec{ID: "lan", Medium: "ethernet", Members: []string{"sink", "server"}})
			}
			w := newWorld(t, spec, 1)
			w.Step(20 * second)
			var m sim.SideMetrics
			for _, sm := range w.Metrics() {
				m.Delivered += sm.Delivered
				m.Lost += sm.Lost
				m.LatencyP50Ms = max(m.LatencyP50Ms, sm.LatencyP50Ms)
			}
			if m.Delivered < 30 {
				t.Fatalf("delivered %d in 20 s (lost %d)", m.Delivered, m.Lost)
			}
			if m.LatencyP50Ms < tt.minMs || m.LatencyP50Ms > tt.maxMs {
				t.Errorf("p50 latency %.2f ms, want %.2f..%.2f", m.LatencyP50Ms, tt.minMs, tt.maxMs)
			}
		})
	}
}

// A radio has a range: a sensor moved out of it is no longer heard.
func TestRadioRange(t *testing.T) {
	w := newWorld(t, sim.Demo(), 1)
	w.Step(5 * second)
	before, _ := w.Device("door")
	apply(t, w, sim.Action{Kind: sim.ActMove, Device: "door", X: 5000, Y: 5000})
	w.Step(10 * second)
	after, _ := w.Device("door")
	if after.Stats.Lost-before.Stats.Lost < 5 {
		t.Errorf("a sensor out of radio range lost %d readings in 10 s", after.Stats.Lost-before.Stats.Lost)
	}
}

// IoT devices speak MQTT, CoAP or HTTP over IP, and the bytes are real.
func TestApplicationProtocols(t *testing.T) {
	for _, p := range []string{"mqtt", "coap", "http"} {
		t.Run(p, func(t *testing.T) {
			spec := sim.Spec{
				Devices: []sim.DeviceSpec{
					{ID: "cloud", Kind: "broker"},
					{ID: "s", Kind: "sensor", Protocol: p, PeriodMs: 100},
				},
				Links: []sim.LinkSpec{{ID: "l", Medium: "internet", Members: []string{"cloud", "s"}}},
			}
			w := newWorld(t, spec, 1)
			var frame []byte
			var v sim.View
			for frame == nil && w.Tick() < 5*second {
				w.Step(1)
				w.View(&v)
				for _, mv := range v.Messages {
					if mi, ok := w.Message(mv.ID); ok && mi.Protocol == p {
						frame = mi.Bytes
					}
				}
			}
			if frame == nil {
				t.Fatalf("no %s message seen", p)
			}
			if fields, err := proto.Dissect(p, frame); err != nil || len(fields) < 3 {
				t.Errorf("dissect %s: %d fields, %v", p, len(fields), err)
			}
			switch p {
			case "http":
				req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(frame)))
				if err != nil {
					t.Fatalf("net/http cannot read %q: %v", frame, err)
				}
				body, _ := io.ReadAll(req.Body)
				if req.Method != "POST" || req.Header.Get("Content-Type") != "application/json" || len(body) == 0 {
					t.Errorf("request %s %s %q body %q", req.Method, req.URL, req.Header, body)
				}
			case "coap":
				if frame[0]>>6 != 1 || frame[1] != 0x02 {
					t.Errorf("CoAP header % x: want version 1, POST", frame[:4])
				}
			}
			m := w.Metrics()[0]
			w.Step(2 * second)
			if m = w.Metrics()[0]; m.Delivered == 0 {
				t.Fatalf("nothing delivered over %s", p)
			}
			fmt.Fprintf(io.Discard, "%v", m)
		})
	}
}

// The bytes per reading follow from the protocols: a Modbus poll costs
// 17 bytes, an MQTT publish over TCP/IP several times more, HTTP the most.
func TestOverheadOrder(t *testing.T) {
	per := map[string]float64{}
	for _, p := range []string{"mqtt", "coap", "http"} {
		spec := sim.Spec{
			Devices: []sim.DeviceSpec{{ID: "cloud", Kind: "broker"}, {ID: "s", Kind: "sensor", Protocol: p}},
			Links:   []sim.LinkSpec{{ID: "l", Medium: "ethernet", Members: []string{"cloud", "s"}}},
		}
		w := newWorld(t, spec, 1)
		w.Step(10 * second)
		per[p] = w.Metrics()[0].BytesPerRead + w.Metrics()[1].BytesPerRead
	}
	w := newWorld(t, busSpec(1, 9600), 1)
	w.Step(10 * second)
	per["modbus"] = side(t, w, "m2m").BytesPerRead
	if per["modbus"] < 17 || per["modbus"] > 17.2 {
		t.Errorf("Modbus bytes per reading %.1f, want 17 (8-byte request + 9-byte reply)", per["modbus"])
	}
	if !(per["modbus"] < per["coap"] && per["coap"] < per["mqtt"] && per["mqtt"] < per["http"]) {
		t.Errorf("bytes per reading %v, want modbus < coap < mqtt < http", per)
	}
}
