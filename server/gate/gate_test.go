package gate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// A small world of one link and two devices, written as a scene.
const tiny = `
name: tiny
title: Tiny
devices:
  - {id: hub, kind: gateway, side: iot, x: 0, y: 0}
  - {id: s1, kind: sensor, side: iot, x: 10, y: 0}
links:
  - {id: air, medium: zigbee, members: [hub, s1]}
`

func open(t *testing.T, lim gate.Limits) *gate.Room {
	t.Helper()
	g := gate.New(lim, func(string) (*scenes.Scene, error) { return scenes.Parse("tiny.yaml", []byte(tiny)) })
	r, err := g.Open("tiny")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAdmit(t *testing.T) {
	const now = 10_000
	tests := []struct {
		name, body string
		field      string // "" when admitted
	}{
		{"a scene device", `{"kind":"power","device":"s1","at":10010}`, ""},
		{"an unknown device", `{"kind":"power","device":"s9","at":10010}`, "device"},
		{"an added device before its add", `{"kind":"power","device":"sensor-1","at":10010}`, "device"},
		{"an unknown link", `{"kind":"cut","link":"wire"}`, "link"},
		{"the internet", `{"kind":"cut","link":"internet"}`, ""},
		{"a link's setting", `{"kind":"set","link":"air","key":"loss_pct","value":5}`, ""},
		{"the limit of late", `{"kind":"cut","link":"air","at":7000}`, ""},
		{"too late", `{"kind":"cut","link":"air","at":6999}`, "at"},
		{"tick 1 of an old room", `{"kind":"cut","link":"air","at":1}`, "at"},
		{"the limit ahead", `{"kind":"cut","link":"air","at":16000}`, ""},
		{"too far ahead", `{"kind":"cut","link":"air","at":16001}`, "at"},
		{"a long label", `{"kind":"set","device":"s1","key":"label","text":"` + strings.Repeat("x", 129) + `"}`, "text"},
		{"an unknown field", `{"kind":"cut","link":"air","colour":1}`, "colour"},
	}
	for _, tt := range tests {
		r := open(t, gate.Limits{})
		_, err := r.Admit(wire.KindAction, json.RawMessage(tt.body), now)
		var ae *sim.ActionError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.field != "" && (!errors.As(err, &ae) || ae.Field != tt.field):
			t.Errorf("%s: %v, want a refusal of field %q", tt.name, err, tt.field)
		}
	}
}

// An action without a tick is scheduled wire.Lead ahead of now.
func TestAdmitStampsTheTick(t *testing.T) {
	r := open(t, gate.Limits{})
	out, err := r.Admit(wire.KindAction, json.RawMessage(`{"kind":"cut","link":"air"}`), 777)
	if err != nil {
		t.Fatal(err)
	}
	var a sim.Action
	json.Unmarshal(out, &a)
	if a.At != 777+wire.Lead {
		t.Errorf("at %d, want %d", a.At, 777+wire.Lead)
	}
}

// Devices an add makes are known by their names from then on, and the
// budget counts every device the world may hold.
func TestAddedDevicesAndTheBudget(t *testing.T) {
	r := open(t, gate.Limits{MaxDevices: 10})
	add := func(n string) error { // as the room does: admit, log, replay
		out, err := r.Admit(wire.KindAction, json.RawMessage(`{"kind":"add","link":"air","device_kind":"sensor","count":`+n+`}`), 0)
		if err == nil {
			r.Replay(out)
		}
		return err
	}
	if err := add("8"); err != nil {
		t.Fatal(err)
	}
	if r.Devices() != 10 {
		t.Fatalf("2 devices and 8 added count as %d", r.Devices())
	}
	for _, id := range []string{"sensor-1", "sensor-10", "s1"} {
		if !r.Has(id) {
			t.Errorf("%s is not known after adding 8 sensors", id)
		}
	}
	for _, id := range []string{"sensor-11", "sensor-0", "sensor-01", "actuator-1"} {
		if r.Has(id) {
			t.Errorf("%s is known after adding 8 sensors", id)
		}
	}
	var ae *sim.ActionError
	if err := add("1"); !errors.As(err, &ae) || ae.Field != "count" {
		t.Errorf("the 11th device: %v, want a refusal of count", err)
	}
	if r.Devices() != 10 {
		t.Errorf("a refused add changed the count to %d", r.Devices())
	}
}

// maxAdmitted bounds the body of any action the gate lets through: every
// field is bounded, so no sender can make a room log and relay a frame the
// world would not keep.
const maxAdmitted = 8 << 10

// Whatever comes in, the gate does not panic, and what it admits is
// bounded, decodes strictly again and is admitted again unchanged.
func FuzzAdmit(f *testing.F) {
	for _, s := range []string{
		`{"kind":"power","device":"s1","on":true}`,
		`{"kind":"add","link":"air","device_kind":"sensor","count":3}`,
		`{"kind":"reading","device":"s1","readings":[{"name":"t","value":1}]}`,
		`{"kind":"set","device":"s1","key":"label","text":"x"}`,
		`{"kind":"cut","link":"internet","at":5}`,
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, reading bool) {
		kind := wire.KindAction
		if reading {
			kind = wire.KindReading
		}
		r := open(t, gate.Limits{})
		out, err := r.Admit(kind, json.RawMessage(body), 100)
		if err != nil {
			return
		}
		if len(out) > maxAdmitted {
			t.Fatalf("admitted %d bytes: %.200s", len(out), out)
		}
		again, err := open(t, gate.Limits{}).Admit(kind, out, 100)
		if err != nil || string(again) != string(out) {
			t.Fatalf("admitted %s, then %s, %v", out, again, err)
		}
	})
}

// A room opened from its world state takes up what its gate had learnt
// before it (the devices added, the log of which is gone) and refuses
// actions of a tick before the state's, saying why.
func TestRestoreFromAWorldState(t *testing.T) {
	const now = 50_000
	before := open(t, gate.Limits{})
	before.Replay(json.RawMessage(`{"kind":"add","link":"air","device_kind":"sensor","count":3}`))
	mark := before.Mark()

	r := open(t, gate.Limits{MaxDevices: 6})
	if _, err := r.Admit(wire.KindAction, []byte(`{"kind":"power","device":"sensor-3"}`), now); err == nil {
		t.Fatal("a fresh gate took a device it was never told of; this test proves nothing")
	}
	r.Restore(mark, now-1000)
	if _, err := r.Admit(wire.KindAction, []byte(`{"kind":"power","device":"sensor-3"}`), now); err != nil {
		t.Errorf("a device added before the state: %v", err)
	}
	if _, err := r.Admit(wire.KindAction, []byte(`{"kind":"add","link":"air","device_kind":"sensor","count":2}`), now); err == nil {
		t.Error("the device budget forgot the devices added before the state")
	}
	_, err := r.Admit(wire.KindAction, []byte(`{"kind":"power","device":"s1","at":48999}`), now)
	var ae *sim.ActionError
	if !errors.As(err, &ae) || ae.Field != "at" || !strings.Contains(err.Error(), "folded into its world state") {
		t.Errorf("an action before the state's tick: %v", err)
	}
	if _, err := r.Admit(wire.KindAction, []byte(`{"kind":"power","device":"s1","at":49000}`), now); err != nil {
		t.Errorf("an action at the state's tick: %v", err)
	}
}
