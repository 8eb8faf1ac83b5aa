package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

const twoSides = `
title: Two sides
sides:
  - {name: m2m}
  - {name: iot}
devices:
  - {id: plc, kind: controller, side: m2m, x: 0, y: 0}
  - {id: temp, kind: sensor, side: m2m, x: 100, y: 0, quantity: temperature, unit: "°C", base: 20, swing: 2, cycle_s: 10}
  - {id: broker, kind: broker, side: iot, x: 0, y: 200}
  - {id: lamp, kind: actuator, side: iot, x: 100, y: 200}
links:
  - {id: bus, medium: rs485, members: [plc, temp]}
  - {id: lan, medium: wifi, members: [broker, lamp]}
`

func world(t *testing.T, yaml string) *sim.World {
	t.Helper()
	sc, err := scenes.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.New(sc.Spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func rowsText(th Things) string {
	var b strings.Builder
	for _, r := range th.Rows {
		sel := ""
		if r.Selected {
			sel = " *"
		}
		if r.Head {
			fmt.Fprintf(&b, "%d # %s (%s)\n", r.Pos, r.Name, r.Detail)
			continue
		}
		fmt.Fprintf(&b, "%d %s: %s%s\n", r.Pos, r.Name, r.Detail, sel)
	}
	return b.String()
}

func TestBuildThingsGroupsBySide(t *testing.T) {
	w := world(t, twoSides)
	w.Step(500)
	if err := w.Apply(sim.Action{Kind: sim.ActPower, Device: "lamp", On: false, At: w.Tick()}); err != nil {
		t.Fatal(err)
	}
	if err := w.Apply(sim.Action{Kind: sim.ActCut, Link: "bus", At: w.Tick()}); err != nil {
		t.Fatal(err)
	}
	var v sim.View
	w.View(&v)
	th := BuildThings(&v, []string{"M2M: a cell", ""}, "temp", 0, w.Device, func(string) string { return "" })
	want := `1 # M2M: a cell (2 devices, 1 link)
2 plc: controller · offline
3 temp: sensor · offline *
4 bus: rs485 link · cut
5 # iot (2 devices, 1 link)
6 broker: broker · online
7 lamp: actuator · switched off · output off
8 lan: wifi link · up
`
	if got := rowsText(th); got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	if th.Total != 8 || th.SelectedAt != 2 {
		t.Errorf("total %d, selected at %d; want 8 and 2", th.Total, th.SelectedAt)
	}
	if r := th.Rows[2]; !strings.HasPrefix(r.Readings, "temperature ") || !strings.HasSuffix(r.Readings, " °C") {
		t.Errorf("temp's readings = %q, want its temperature", r.Readings)
	}
}

// A world of 10,000 devices builds only the rows in view, wherever the
// list is scrolled to.
func TestBuildThingsWindow(t *testing.T) {
	w := world(t, twoSides)
	if err := w.Apply(sim.Action{Kind: sim.ActAdd, Link: "lan", DeviceKind: "sensor", Count: 10000}); err != nil {
		t.Fatal(err)
	}
	var v sim.View
	w.View(&v)
	asked := 0
	info := func(id string) (sim.DeviceInfo, bool) { asked++; return w.Device(id) }
	for _, top := range []float64{0, 44 * 5000, 1e9} {
		asked = 0
		th := BuildThings(&v, nil, "", ThingsFrom(top), info, func(string) string { return "" })
		if th.Total != 10008 {
			t.Fatalf("total %d, want 10,008 rows (2 headings, 10,004 devices, 2 links)", th.Total)
		}
		if n := len(th.Rows); n > 16 || n < 8 {
			t.Errorf("scrolled to %.0f: %d rows built, want a window of 8 to 16", top, n)
		}
		if asked > len(th.Rows) {
			t.Errorf("scrolled to %.0f: asked about %d devices for %d rows", top, asked, len(th.Rows))
		}
		for i, r := range th.Rows {
			if r.Pos != th.From+i+1 {
				t.Fatalf("scrolled to %.0f: row %d has position %d, want %d", top, i, r.Pos, th.From+i+1)
			}
		}
	}
	last := BuildThings(&v, nil, "", ThingsFrom(1e9), info, func(string) string { return "" })
	if r := last.Rows[len(last.Rows)-1]; r.Name != "lan" || r.Pos != 10008 {
		t.Errorf("the list ends with %q at %d, want the link lan at 10,008", r.Name, r.Pos)
	}
}
