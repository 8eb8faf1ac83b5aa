package scenes_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// A page that joined a live room from its world state holds the state and
// the actions after it, not the room's history. Its link carries both and
// reproduces the world: the same hash as the world that took every action
// from tick 0. Before, the link carried the actions after the state alone,
// replayed from the scene's tick 0: another world.
func TestLinkFromAWorldState(t *testing.T) {
	sc, err := scenes.Builtin("overview")
	if err != nil {
		t.Fatal(err)
	}
	acts := typicalActions(sc, 40)
	full, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	full.AddAll(acts[:20])
	full.AdvanceTo(acts[20].At - 1)
	state := full.World().State() // where a joiner starts
	full.AddAll(acts[20:])
	const at = 40_000
	full.AdvanceTo(at)

	link, err := scenes.Link("http://127.0.0.1:8080/", scenes.Scenario{Name: "overview", Scene: sc, Seed: sc.Seed,
		World: state, Actions: acts[20:], Tick: at})
	if err != nil {
		t.Fatal(err)
	}
	got, err := scenes.FromURL(link)
	if err != nil {
		t.Fatal(err)
	}
	if got.Start == nil {
		t.Fatal("the link's scenario has no world state")
	}
	tl := sim.NewTimelineAt(got.Start)
	tl.AddAll(got.Actions)
	tl.AdvanceTo(got.Tick)
	if tl.World().Hash() != full.World().Hash() {
		t.Errorf("the link's world has hash %x, the world that took every action %x", tl.World().Hash(), full.World().Hash())
	}
	t.Logf("a link with the overview's world state: %d characters", len(link))

	// A tampered state is refused, saying so.
	enc := link[strings.Index(link, "#s=")+3:]
	bad := scenes.Scenario{Name: "overview", Scene: sc, Seed: sc.Seed, World: append([]byte(nil), state...), Tick: at}
	bad.World[len(bad.World)/2] ^= 0xff
	badText, err := scenes.Encode(bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenes.Decode(badText); !errors.Is(err, scenes.ErrLinkCorrupt) || !strings.Contains(err.Error(), "world state") {
		t.Errorf("a link with a damaged world state: %v, want %v about its world state", err, scenes.ErrLinkCorrupt)
	}
	if _, err := scenes.Decode(enc[:len(enc)-40]); err == nil {
		t.Error("a link cut short was taken")
	}
	late := scenes.Scenario{Name: "overview", Scene: sc, Seed: sc.Seed, World: state, Tick: 1}
	lateText, _ := scenes.Encode(late)
	if _, err := scenes.Decode(lateText); !errors.Is(err, scenes.ErrLinkCorrupt) {
		t.Errorf("a link opening before its world state's tick: %v, want %v", err, scenes.ErrLinkCorrupt)
	}

	// A world too large for a link is refused when the link is made.
	big, err := scenes.Builtin("scalability")
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.New(big.Spec, big.Seed)
	if err != nil {
		t.Fatal(err)
	}
	w.Step(60_000)
	_, err = scenes.Encode(scenes.Scenario{Name: "scalability", Scene: big, Seed: big.Seed, World: w.State(), Tick: w.Tick()})
	if !errors.Is(err, scenes.ErrLinkTooLong) || !strings.Contains(err.Error(), "world state") {
		t.Errorf("a link of a 1,000-device world state: %v, want %v", err, scenes.ErrLinkTooLong)
	}
}
