package sim_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// decodeState is sim.DecodeState that fails the test on an error.
func decodeState(t testing.TB, b []byte) *sim.World {
	t.Helper()
	w, err := sim.DecodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A world decoded from its state steps on exactly as the original: for
// every built-in scene, run with random actions (on time, ahead and
// pending across the snapshot), the state is taken at random ticks and
// decoded, and the two, given the same actions, have the same hash at
// every tick, show the same at the end, and encode to the same bytes.
func TestStateStepsAsTheOriginal(t *testing.T) {
	for _, name := range scenes.Names() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(len(name)), 11))
			o := builtinWorld(t, name, 0)
			crowdCAN(o)
			for round := range 3 {
				// Run a while with actions, some of them for later.
				for range 1 + rng.IntN(600) {
					if rng.IntN(40) == 0 {
						a := scramble(rng, o)
						a.At = o.Tick() + rng.Int64N(300)
						o.Apply(a)
					}
					if rng.IntN(500) == 0 {
						stir(o, round)
					}
					o.Step(1)
				}
				state := o.State()
				c := decodeState(t, state)
				if again := c.State(); !bytes.Equal(again, state) {
					t.Fatalf("round %d at tick %d: the decoded world encodes to other bytes (%d, not %d)", round, o.Tick(), len(again), len(state))
				}
				if d := diff(fingerprint(o), fingerprint(c)); d != "" {
					t.Fatalf("round %d at tick %d: the decoded world differs at once: %s", round, o.Tick(), d)
				}
				for i := range 1500 {
					if rng.IntN(30) == 0 {
						a := scramble(rng, o)
						a.At = o.Tick() + rng.Int64N(50)
						ea, eb := o.Apply(a), c.Apply(a)
						if (ea == nil) != (eb == nil) {
							t.Fatalf("round %d: %+v: %v, decoded %v", round, a, ea, eb)
						}
					}
					if i == 700 {
						stir(o, i)
						stir(c, i)
					}
					o.Step(1)
					c.Step(1)
					if o.Hash() != c.Hash() {
						t.Fatalf("round %d: hashes part at tick %d: %x, decoded %x", round, o.Tick(), o.Hash(), c.Hash())
					}
				}
				if d := diff(fingerprint(o), fingerprint(c)); d != "" {
					t.Fatalf("round %d: after 1500 ticks: %s", round, d)
				}
				o = c // go on from the decoded one: a room folded again and again
			}
		})
	}
}

// A timeline started from a decoded world is the room's timeline from
// there: late actions back to its tick replay in place, as in the
// timeline that ran from tick 0, and older ones are refused as too late.
func TestTimelineAtAState(t *testing.T) {
	sc, err := scenes.Builtin("internet-outage")
	if err != nil {
		t.Fatal(err)
	}
	full, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	var tick int64
	for range 40 {
		tick += rng.Int64N(100)
		full.AdvanceTo(tick)
		a := scramble(rng, full.World())
		a.At = tick + rng.Int64N(200)
		full.Add(a)
	}
	at := full.World().Tick()
	joined := sim.NewTimelineAt(decodeState(t, full.World().State()))
	if h := joined.Horizon(); h != at {
		t.Fatalf("horizon %d, want the state's tick %d", h, at)
	}
	for range 60 {
		tick += rng.Int64N(100)
		full.AdvanceTo(tick)
		joined.AdvanceTo(tick)
		a := scramble(rng, full.World())
		a.At = max(at, tick-rng.Int64N(300)) // late, never before the state
		full.Add(a)
		joined.Add(a)
		if f, j := full.World().Hash(), joined.World().Hash(); f != j {
			t.Fatalf("tick %d, after %+v: %x, joined from the state %x", tick, a, f, j)
		}
	}
	if joined.Rebuilds() == 0 {
		t.Error("no late action was replayed, so this test proves nothing")
	}
	err = joined.Add(sim.Action{At: at - 1, Kind: sim.ActCut, Link: sim.Internet})
	if !errors.Is(err, sim.ErrTooLate) {
		t.Errorf("an action before the state's tick: %v, want ErrTooLate", err)
	}
}

// Advance moves a state on as a timeline started from it does, given the
// same actions (before its tick, malformed, now and ahead, in any order)
// and moved to the same tick: the server's fold and every member that
// joins from the state it makes reach the same world.
func TestAdvanceIsATimelineFromTheState(t *testing.T) {
	for _, name := range []string{"internet-outage", "protocols", "open-api"} {
		sc, err := scenes.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(len(name)), 3))
		w, err := sim.New(sc.Spec, sc.Seed)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			w.Step(1 + rng.IntN(2000))
			at := w.Tick()
			acts := make([]sim.Action, 30)
			for i := range acts {
				acts[i] = scramble(rng, w)
				switch rng.IntN(6) {
				case 0:
					acts[i].At = max(0, at-1-rng.Int64N(100)) // before the state: refused
				case 1:
					acts[i].Kind = "nonsense" // malformed: refused
				default:
					acts[i].At = at + rng.Int64N(1500)
				}
			}
			to := at + 1000 + rng.Int64N(1000)
			tl := sim.NewTimelineAt(decodeState(t, w.State()))
			wantKept := tl.AddAll(acts)
			tl.AdvanceTo(to)
			moved := decodeState(t, w.State())
			if kept := sim.Advance(moved, acts, to); kept != wantKept || kept == len(acts) || kept == 0 {
				t.Fatalf("%s, round %d: Advance kept %d of %d actions, a timeline %d", name, round, kept, len(acts), wantKept)
			}
			if !bytes.Equal(moved.State(), tl.World().State()) {
				t.Fatalf("%s, round %d: moved from tick %d to %d, Advance and a timeline differ: %s", name, round, at, to, diff(fingerprint(tl.World()), fingerprint(moved)))
			}
			w = moved
		}
	}
}

// Bytes that are not a whole world's state of this version are refused,
// saying what was wrong and at which byte, never with a panic.
func TestStateRefusesBadBytes(t *testing.T) {
	w := builtinWorld(t, "overview", 2500)
	good := w.State()
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	version := bytes.Clone(good)
	version[4] = 9
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"cut short", good[:len(good)/2], "checksum"},
		{"one byte less", good[:len(good)-1], "checksum"},
		{"a byte changed", flip(len(good) / 3), "checksum"},
		{"not a state", []byte(`{"actions":[]}`), "not a world's state"},
		{"another version", version, "version 9 at byte 4"},
	} {
		_, err := sim.DecodeState(c.b)
		if !errors.Is(err, sim.ErrBadState) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadState saying %q", c.name, err, c.want)
		}
	}
	// Inconsistent bytes with a right checksum: what and where.
	body := bytes.Clone(good[:len(good)-8])
	body = append(body, 7) // a byte more than the fields
	_, err := sim.DecodeState(sim.SealState(body))
	if !errors.Is(err, sim.ErrBadState) || !strings.Contains(err.Error(), "left over") {
		t.Errorf("a byte left over: %v", err)
	}
}

// FuzzDecodeState feeds the decoder bytes that pass the checksum, so it
// reads every field: whatever they are, it returns a world whose state
// encodes back to them, or an error; it never panics.
func FuzzDecodeState(f *testing.F) {
	// More seeds, small worlds of their own, are in testdata/fuzz.
	sc, err := scenes.Builtin("overview")
	if err != nil {
		f.Fatal(err)
	}
	w, err := sim.New(sc.Spec, sc.Seed)
	if err != nil {
		f.Fatal(err)
	}
	w.Step(1500)
	b := w.State()
	f.Add(b[:len(b)-8])
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := sim.DecodeState(sim.SealState(body))
		if err != nil {
			if !errors.Is(err, sim.ErrBadState) {
				t.Fatalf("not ErrBadState: %v", err)
			}
			return
		}
		w.Hash()
		if got := w.State(); !bytes.Equal(got[:len(got)-8], body) {
			// Different bytes may decode alike (a varint written long);
			// the world they make must then encode to itself.
			if again := decodeState(t, got).State(); !bytes.Equal(again, got) {
				t.Fatal("a decoded world does not encode to itself")
			}
		}
	})
}

// Every field of the world's state types is either written by State or
// named here as what it leaves out (a cache, a hook); a field added later
// without either fails here, so it cannot silently be lost from a room's
// state.
func TestStateCoversEveryField(t *testing.T) {
	world := reflect.TypeOf(sim.World{})
	elem := func(field string) reflect.Type {
		f, _ := world.FieldByName(field)
		return f.Type.Elem()
	}
	metrics := elem("metrics")
	for _, c := range []struct {
		t    reflect.Type
		want string
	}{
		{world, "spec seed rng tick now sides devices links byID linkIDs msgs freeMsgs nextMsg events evSeq pending rules " +
			"routes topoVers metrics series added appsBySide appVers brokerList brokerVers shapeVers hashes scratch path " +
			"refusalText refusalTick onFrame frame framesSent onEnd end frames"},
		{elem("devices"), "id label kind side x y stds fixed proto addr period quantity unit base swing cycle phase qos target " +
			"powered removed real serves value valueAt named on links busyUntil refusedTil gen sink sinkVers pollPos " +
			"cycleStart waiting pollSeq commands lastCycle buffer stats topic setTopic"},
		{elem("links"), "id medium members bitrate latency jitter loss rng up removed busyUntil queue bytes"},
		{elem("msgs"), "id live kind enc app side origin dst from to link start arrive sampled trigger value sensor on lost qos frame lostWhy buf wire"},
		{elem("events"), "at seq kind ref gen id"},
		{elem("rules"), "where sensor actuator above hyst state"},
		{metrics, "sent delivered lost bytes payload translations decisionsLocal decisionsCloud actuations pollCycle latency window reaction"},
		{reflect.TypeOf(sim.Sample{}), "Tick Side Delivered Lost Bytes LatencyP50Ms LatencyP99Ms"},
		{reflect.TypeOf(sim.DeviceStats{}), "Sent Received Lost Bytes Decisions Buffered"},
	} {
		// As sets: moving a field, or into an embedded struct, changes
		// nothing State writes.
		names, want := fieldNames(c.t), strings.Fields(c.want)
		slices.Sort(names)
		slices.Sort(want)
		if got := strings.Join(names, " "); got != strings.Join(want, " ") {
			t.Errorf("%s's fields changed; make State write the new ones (or name them as left out) and update this list:\ngot  %s\nwant %s", c.t, got, strings.Join(want, " "))
		}
	}
}

// fieldNames are the names of t's fields, those of embedded structs in
// their place.
func fieldNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, fieldNames(f.Type)...)
			continue
		}
		out = append(out, f.Name)
	}
	return out
}
