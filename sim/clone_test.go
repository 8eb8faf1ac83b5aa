package sim_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// builtinWorld builds a built-in scene's world and steps it to tick.
func builtinWorld(t *testing.T, name string, tick int64) *sim.World {
	t.Helper()
	sc, err := scenes.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, sc.Spec, sc.Seed)
	w.Step(int(tick))
	return w
}

// fingerprint is everything a world lets anyone see of it: its hash and
// hash marks, series, metrics, last refusal, what the renderer draws, and
// every device and message the inspector shows.
func fingerprint(w *sim.World) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tick %d hash %x\nmarks %v\nseries %v\nmetrics %+v\n", w.Tick(), w.Hash(), w.Hashes(), w.Series(), w.Metrics())
	text, at := w.LastRefusal()
	fmt.Fprintf(&b, "refusal %q at %d\n", text, at)
	var v sim.View
	w.View(&v)
	fmt.Fprintf(&b, "view %d %+v %+v %v %v\n", v.Tick, v.Bounds, v.Devices, v.Sides, v.Messages)
	for _, l := range v.Links {
		fmt.Fprintf(&b, "link %s %v %v %v\n", l.ID, l.Medium, l.Up, l.Members)
	}
	for _, id := range w.DeviceIDs() {
		d, _ := w.Device(id)
		fmt.Fprintf(&b, "device %+v\n", d)
	}
	for _, m := range v.Messages {
		info, _ := w.Message(m.ID)
		fmt.Fprintf(&b, "message %+v\n", info)
	}
	return b.String()
}

// diff says where two fingerprints part, or "".
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %.300s\n  %.300s", i+1, al[i], bl[i])
		}
	}
	if len(al) != len(bl) {
		return fmt.Sprintf("%d lines against %d", len(al), len(bl))
	}
	return ""
}

// stir is what a person does to a world of any scene: power its first
// device off and its last one on, move one, cut and restore the internet,
// command every actuator, add a few devices to the first link. Refusals
// (a scene without internet, a full bus) are part of what is compared.
func stir(w *sim.World, step int) {
	for _, a := range stirActions(w, step) {
		w.Apply(a) // refused or not, alike in both worlds
	}
}

// stirActions are the actions stir applies, with their ticks.
func stirActions(w *sim.World, step int) []sim.Action {
	ids := w.DeviceIDs()
	var v sim.View
	w.View(&v)
	at := w.Tick()
	acts := []sim.Action{
		{At: at, Kind: sim.ActPower, Device: ids[0], On: false},
		{At: at + 3, Kind: sim.ActMove, Device: ids[len(ids)/2], X: 123, Y: -45},
		{At: at + 5, Kind: sim.ActCut, Link: sim.Internet},
		{At: at + 40, Kind: sim.ActPower, Device: ids[len(ids)-1], On: true},
		{At: at + 90, Kind: sim.ActRestore, Link: sim.Internet},
		{At: at + 1000, Kind: sim.ActReading, Device: ids[0], Readings: []sim.Reading{{Name: "temp", Value: 21.5}}},
	}
	for _, d := range v.Devices {
		if d.Kind == sim.KindActuator {
			acts = append(acts, sim.Action{At: at + 7, Kind: sim.ActCommand, Device: d.ID, On: step%2 == 0})
		}
	}
	if len(v.Links) > 0 {
		acts = append(acts, sim.Action{At: at + 11, Kind: sim.ActAdd, Link: v.Links[0].ID, DeviceKind: "sensor", Count: 3})
	}
	return acts
}

// The ticks the clone tests copy a world at: before its first step, on a
// hash mark, between marks, and after a scene's story has moved on.
var cloneTicks = []int64{0, 1, 999, 2500, 6001}

// A clone steps on exactly as its original: for every built-in scene,
// cloned at several ticks and given the same actions, the two have the
// same hash tick for tick and show the same at the end.
func TestCloneStepsAsTheOriginal(t *testing.T) {
	for _, name := range scenes.Names() {
		for _, at := range cloneTicks {
			o := builtinWorld(t, name, at)
			c := o.Clone()
			if d := diff(fingerprint(o), fingerprint(c)); d != "" {
				t.Fatalf("%s cloned at %d: the clone differs at once: %s", name, at, d)
			}
			for i := range 1500 {
				if i%500 == 100 {
					stir(o, i)
					stir(c, i)
				}
				o.Step(1)
				c.Step(1)
				if o.Hash() != c.Hash() {
					t.Fatalf("%s cloned at %d: hashes part at tick %d: %x, clone %x", name, at, o.Tick(), o.Hash(), c.Hash())
				}
			}
			if d := diff(fingerprint(o), fingerprint(c)); d != "" {
				t.Errorf("%s cloned at %d: after 1500 ticks: %s", name, at, d)
			}
		}
	}
}

// What is done to a clone never reaches its original, nor the other way:
// each steps on as a world built afresh and treated alike, while the
// other is stirred.
func TestCloneIsIndependent(t *testing.T) {
	for _, name := range scenes.Names() {
		for _, at := range []int64{1, 2500} {
			for _, stirClone := range []bool{true, false} {
				o, ref := builtinWorld(t, name, at), builtinWorld(t, name, at)
				c := o.Clone()
				calm, stirred := o, c
				if !stirClone {
					calm, stirred = c, o
				}
				for i := range 1200 {
					if i%300 == 10 {
						stir(stirred, i)
					}
					stirred.Step(1)
					calm.Step(1)
					ref.Step(1)
					if calm.Hash() != ref.Hash() {
						t.Fatalf("%s at %d (stirring the clone %v): the calm world left the reference at tick %d", name, at, stirClone, calm.Tick())
					}
				}
				if d := diff(fingerprint(calm), fingerprint(ref)); d != "" {
					t.Errorf("%s at %d (stirring the clone %v): %s", name, at, stirClone, d)
				}
				if stirred.Hash() == calm.Hash() {
					t.Errorf("%s at %d: stirring changed nothing, so this test proves nothing", name, at)
				}
			}
		}
	}
}

// A clone and its original share no memory that either writes: no slice's
// backing array, map or pointer of one lies in the other's, whatever the
// world holds (messages in flight, buffered readings, commands waiting, CAN
// frames queued). Only the spec, which no world changes, is shared. A
// field added to World later without a copy in Clone fails here.
func TestCloneSharesNothing(t *testing.T) {
	for _, name := range scenes.Names() {
		for _, at := range []int64{0, 2500} {
			o := builtinWorld(t, name, at)
			crowdCAN(o)
			o.Apply(sim.Action{At: o.Tick(), Kind: sim.ActCut, Link: sim.Internet})
			o.Step(2500) // QoS 1 clients hold their readings
			stir(o, 0)
			o.Step(50) // the internet is cut: clients buffer, messages fly
			c := o.Clone()
			if p := shared(reflect.ValueOf(o), reflect.ValueOf(c)); p != "" {
				t.Errorf("%s at %d: %s", name, at, p)
			}
		}
	}
}

// A board's named readings are the clone's own, and a clone does not show
// its frames to whoever watches the original's.
func TestCloneOfABoard(t *testing.T) {
	spec := sim.Spec{Name: "board",
		Devices: []sim.DeviceSpec{{ID: "board", Kind: "board", Side: "iot"}, {ID: "broker", Kind: "broker", Side: "iot"}},
		Links:   []sim.LinkSpec{{ID: "net", Medium: "internet", Members: []string{"board", "broker"}}}}
	o, err := sim.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	o.Step(10)
	o.Apply(sim.Action{At: o.Tick(), Kind: sim.ActReading, Device: "board", Readings: []sim.Reading{{Name: "temp", Value: 21.5}, {Name: "hum", Value: 40}}})
	c := o.Clone()
	if p := shared(reflect.ValueOf(o), reflect.ValueOf(c)); p != "" {
		t.Errorf("a board's readings: %s", p)
	}
	o.Apply(sim.Action{At: o.Tick(), Kind: sim.ActReading, Device: "board", Readings: []sim.Reading{{Name: "temp", Value: 30}}})
	if d, _ := c.Device("board"); len(d.Readings) == 0 || d.Readings[0].Value != 21.5 {
		t.Errorf("the clone's board reads %+v after the original's changed", d.Readings)
	}

	busy := builtinWorld(t, scenes.Names()[0], 0)
	frames := 0
	busy.OnFrame(func(*sim.Frame) { frames++ })
	busy.Step(500)
	if frames == 0 {
		t.Fatalf("scene %s sent no frame in 500 ticks", scenes.Names()[0])
	}
	before := frames
	busy.Clone().Step(500)
	if frames != before {
		t.Errorf("stepping the clone showed %d frames to the original's watcher", frames-before)
	}
}

// crowdCAN puts a crowd of fast sensors on every CAN bus of a world, so
// frames wait there for arbitration.
func crowdCAN(w *sim.World) {
	var v sim.View
	w.View(&v)
	for _, l := range v.Links {
		if l.Medium == sim.MediumCAN {
			w.Apply(sim.Action{At: w.Tick(), Kind: sim.ActAdd, Link: l.ID, DeviceKind: "sensor", Count: 20})
		}
	}
	for _, id := range w.DeviceIDs() {
		if strings.HasPrefix(id, "sensor-") {
			w.Apply(sim.Action{At: w.Tick(), Kind: sim.ActSet, Device: id, Key: "period_ms", Value: 3})
		}
	}
}

// span is memory a world reaches: [lo, hi), found at path.
type span struct {
	lo, hi uintptr
	path   string
	clone  bool
}

// shared names memory that worlds a and b both reach, or "".
func shared(a, b reflect.Value) string {
	var all []span
	collect(a, "world", false, &all, map[uintptr]bool{})
	collect(b, "clone", true, &all, map[uintptr]bool{})
	slices.SortFunc(all, func(x, y span) int {
		switch {
		case x.lo < y.lo:
			return -1
		case x.lo > y.lo:
			return 1
		}
		return 0
	})
	// Sweep: the open span reaching furthest of each world.
	var open [2]*span
	for i := range all {
		s := &all[i]
		other := open[0]
		if !s.clone {
			other = open[1]
		}
		if other != nil && other.hi > s.lo {
			return fmt.Sprintf("%s and %s share memory", other.path, s.path)
		}
		k := 0
		if s.clone {
			k = 1
		}
		if open[k] == nil || s.hi > open[k].hi {
			open[k] = s
		}
	}
	return ""
}

// collect adds the memory v reaches to out: pointers' targets, slices'
// backing arrays (all their capacity: an append writes there), maps.
// Strings are immutable and left out, and so is the world's spec.
func collect(v reflect.Value, path string, clone bool, out *[]span, seen map[uintptr]bool) {
	if !hasPointers(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		p := v.Pointer()
		*out = append(*out, span{p, p + max(v.Type().Elem().Size(), 1), path, clone})
		if !seen[p] {
			seen[p] = true
			collect(v.Elem(), path, clone, out, seen)
		}
	case reflect.Slice:
		if v.Cap() == 0 {
			return
		}
		p := v.Pointer()
		*out = append(*out, span{p, p + uintptr(v.Cap())*max(v.Type().Elem().Size(), 1), path, clone})
		for i := range v.Len() {
			collect(v.Index(i), fmt.Sprintf("%s[%d]", path, i), clone, out, seen)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		p := v.Pointer()
		*out = append(*out, span{p, p + 1, path, clone})
		for it := v.MapRange(); it.Next(); {
			collect(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()), clone, out, seen)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if path == "world" || path == "clone" {
				if f.Name == "spec" {
					continue
				}
			}
			collect(v.Field(i), path+"."+f.Name, clone, out, seen)
		}
	case reflect.Array:
		for i := range v.Len() {
			collect(v.Index(i), fmt.Sprintf("%s[%d]", path, i), clone, out, seen)
		}
	case reflect.Interface:
		if !v.IsNil() {
			collect(v.Elem(), path, clone, out, seen)
		}
	}
}

// hasPointers reports whether a value of t can reach other memory.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}
