package ui

import (
	"strconv"
	"strings"

	"github.com/thingyard/thingyard/sim"
)

// The world as text: every device and link, grouped by side, as rows of a
// list a screen reader reads and a keyboard walks. A world may hold 20,000
// devices, so only the rows in view (a window) are built and put in the
// page; the rest are counted.

// ThingRowPx is the height of a row of the list in CSS pixels: every row
// has it, so the list's scroll offset says which rows are in view.
const ThingRowPx = 44

// ThingWindow is how many rows the panel shows at once (the list's height
// is ThingWindow rows), and thingOverscan how many more it builds on each
// side, so a short scroll shows rows at once.
const (
	ThingWindow   = 8
	thingOverscan = 4
)

// ThingRow is one row: a side's heading, a device or a link.
type ThingRow struct {
	Pos      int    // 1 + the row's place in the whole list
	Head     bool   // a side's heading
	ID       string // a device's id, for selecting it; "" for the rest
	Name     string
	Detail   string // kind, power and whether online; a link's medium and state
	Readings string // a device's latest values
	Last     string // the last message it sent or received
	Selected bool
	Down     bool // offline, switched off, or a link cut
}

// Things is the window of the list the panel shows.
type Things struct {
	Total int // rows in the whole list
	From  int // index of Rows[0] in the whole list
	Rows  []ThingRow
	// SelectedAt is the selected device's index in the whole list, or -1.
	SelectedAt int
}

// thingIndex is the whole list in order, as indexes: for side s, its
// heading, then its devices (view indexes), then its links.
type thingIndex struct {
	sides   [][2][]int32 // per side: devices, links
	total   int
	selAt   int
	titles  []string
	counted int
}

func indexThings(v *sim.View, selected string) thingIndex {
	ix := thingIndex{sides: make([][2][]int32, max(len(v.Sides), 1)), selAt: -1}
	side := func(s int) int { return min(max(s, 0), len(ix.sides)-1) }
	for i := range v.Devices {
		s := side(v.Devices[i].Side)
		ix.sides[s][0] = append(ix.sides[s][0], int32(i))
	}
	for i := range v.Links {
		s := 0
		if m := v.Links[i].Members; len(m) > 0 && m[0] >= 0 && int(m[0]) < len(v.Devices) {
			s = side(v.Devices[m[0]].Side)
		}
		ix.sides[s][1] = append(ix.sides[s][1], int32(i))
	}
	for s := range ix.sides {
		ix.total++
		for _, d := range ix.sides[s][0] {
			if v.Devices[d].ID == selected {
				ix.selAt = ix.total
			}
			ix.total++
		}
		ix.total += len(ix.sides[s][1])
	}
	return ix
}

// BuildThings is the list's window from row from (clamped), with the
// selected device marked. titles name the sides as the canvas does;
// info is what the inspector knows of a device, asked only for the rows
// built.
func BuildThings(v *sim.View, titles []string, selected string, from int, info func(id string) (sim.DeviceInfo, bool), last func(id string) string) Things {
	ix := indexThings(v, selected)
	from = min(max(from, 0), max(ix.total-ThingWindow-2*thingOverscan, 0))
	to := min(from+ThingWindow+2*thingOverscan, ix.total)
	t := Things{Total: ix.total, From: from, SelectedAt: ix.selAt}
	at := 0
	for s, grp := range ix.sides {
		n := 1 + len(grp[0]) + len(grp[1])
		if at+n <= from {
			at += n
			continue
		}
		if at >= to {
			break
		}
		if at >= from {
			t.Rows = append(t.Rows, headRow(v, titles, s, grp, at))
		}
		at++
		for _, d := range grp[0] {
			if at >= from && at < to {
				t.Rows = append(t.Rows, deviceRow(&v.Devices[d], at, selected, info, last))
			}
			at++
		}
		for _, l := range grp[1] {
			if at >= from && at < to {
				t.Rows = append(t.Rows, linkRow(v, &v.Links[l], at))
			}
			at++
		}
	}
	return t
}

func headRow(v *sim.View, titles []string, s int, grp [2][]int32, at int) ThingRow {
	name := "devices"
	if s < len(v.Sides) {
		name = v.Sides[s]
	}
	if s < len(titles) && titles[s] != "" {
		name = titles[s]
	}
	return ThingRow{Pos: at + 1, Head: true, Name: name,
		Detail: count(len(grp[0]), "device") + ", " + count(len(grp[1]), "link")}
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func deviceRow(d *sim.DeviceView, at int, selected string, info func(string) (sim.DeviceInfo, bool), last func(string) string) ThingRow {
	r := ThingRow{Pos: at + 1, ID: d.ID, Name: d.Label, Selected: d.ID == selected}
	state := "online"
	switch {
	case !d.Powered:
		state, r.Down = "switched off", true
	case !d.Online:
		state, r.Down = "offline", true
	}
	r.Detail = d.Kind.String() + " · " + state
	if d.Kind == sim.KindActuator {
		r.Detail += " · output " + onOff(d.On)
	}
	if di, ok := info(d.ID); ok {
		r.Readings = readings(&di)
	}
	r.Last = last(d.ID)
	return r
}

// readings are a device's latest values as text: a board's every name, or
// a sensor's quantity.
func readings(d *sim.DeviceInfo) string {
	var parts []string
	for _, n := range d.Readings {
		parts = append(parts, n.Name+" "+strconv.FormatFloat(n.Value, 'g', 4, 64))
	}
	if len(parts) == 0 && d.Quantity != "" && d.SampledMs > 0 {
		parts = append(parts, d.Quantity+" "+strconv.FormatFloat(d.Value, 'f', 1, 64)+" "+d.Unit)
	}
	return strings.TrimSpace(strings.Join(parts, ", "))
}

func linkRow(v *sim.View, l *sim.LinkView, at int) ThingRow {
	r := ThingRow{Pos: at + 1, Name: l.ID, Detail: l.Medium.String() + " link · up"}
	if !l.Up {
		r.Detail, r.Down = l.Medium.String()+" link · cut", true
	}
	if n := len(l.Members); n > 0 {
		r.Readings = "joins " + count(n, "device")
		if h := l.Members[0]; n > 2 && h >= 0 && int(h) < len(v.Devices) {
			r.Readings += " around " + v.Devices[h].Label
		}
	}
	return r
}

// ThingsFrom is the first row to build for a list scrolled to top CSS
// pixels: the overscan before the first row in view.
func ThingsFrom(top float64) int {
	return max(int(top)/ThingRowPx-thingOverscan, 0)
}
