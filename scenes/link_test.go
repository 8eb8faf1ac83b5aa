package scenes_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// typicalActions is what a person does in a few minutes: cut and restore
// the internet, power devices, move some, add sensors, change a setting.
func typicalActions(sc *scenes.Scene, n int) []sim.Action {
	var ids, links []string
	for _, d := range sc.Devices {
		ids = append(ids, d.ID)
	}
	for _, l := range sc.Links {
		links = append(links, l.ID)
	}
	var out []sim.Action
	for i := range n {
		at := int64(1000 + 737*i)
		id := ids[i%len(ids)]
		switch i % 5 {
		case 0:
			out = append(out, sim.Action{At: at, Kind: sim.ActMove, Device: id, X: int32(50 + 13*i), Y: int32(400 - 7*i)})
		case 1:
			out = append(out, sim.Action{At: at, Kind: sim.ActPower, Device: id, On: i%2 == 0})
		case 2:
			out = append(out, sim.Action{At: at, Kind: sim.ActCut, Link: links[i%len(links)]})
		case 3:
			out = append(out, sim.Action{At: at, Kind: sim.ActRestore, Link: links[i%len(links)]})
		case 4:
			out = append(out, sim.Action{At: at, Kind: sim.ActAdd, Link: links[i%len(links)], DeviceKind: "sensor", Count: 10})
		}
	}
	return out
}

// A link reproduces the very world: the same hash at the same tick as the
// world in which the actions were taken live.
func TestLinkReproducesTheWorld(t *testing.T) {
	var report strings.Builder
	fmt.Fprintf(&report, "| scene | link characters with 40 actions |\n|---|---|\n")
	for _, n := range scenes.Names() {
		sc, err := scenes.Builtin(n)
		if err != nil {
			t.Fatal(err)
		}
		acts := typicalActions(sc, 40)
		tl, err := sim.NewTimeline(sc.Spec, sc.Seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acts {
			tl.AdvanceTo(a.At)
			tl.Add(a) // refusals are part of the story
		}
		tl.AdvanceTo(40_000)

		link, err := scenes.Link("http://127.0.0.1:8080/", scenes.Scenario{Name: n, Scene: sc, Seed: sc.Seed, Actions: acts})
		if err != nil {
			t.Fatal(err)
		}
		if len(link) >= 2000 {
			t.Errorf("%s: link of %d characters, want under 2000", n, len(link))
		}
		fmt.Fprintf(&report, "| %s | %d |\n", n, len(link))
		got, err := scenes.FromURL(link)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		w, err := sim.New(got.Spec(), got.Seed)
		if err != nil {
			t.Fatal(err)
		}
		w.Step(40_000)
		if w.Hash() != tl.World().Hash() {
			t.Errorf("%s: link world %x, live world %x", n, w.Hash(), tl.World().Hash())
		}
	}
	t.Log("\n" + report.String())
}

func TestEditedSceneLink(t *testing.T) {
	sc, _ := scenes.Builtin("overview")
	sc.Title = "My own cell"
	sc.Devices[1].Base = 70
	link, err := scenes.Link("http://x/", scenes.Scenario{Scene: sc, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	got, err := scenes.FromURL(link)
	if err != nil {
		t.Fatal(err)
	}
	if got.Scene.Title != "My own cell" || got.Scene.Devices[1].Base != 70 || got.Seed != 9 {
		t.Errorf("decoded %q base %v seed %d", got.Scene.Title, got.Scene.Devices[1].Base, got.Seed)
	}
}

// A link keeps the moment as the sharer saw it: paused or running, what
// was inspected and the part of the world on screen.
func TestLinkKeepsTheMoment(t *testing.T) {
	sc, _ := scenes.Builtin("overview")
	tests := []scenes.Scenario{
		{Name: "overview", Scene: sc, Seed: 1, Tick: 12_345, Paused: true, Selected: "hub",
			View: &scenes.View{X: 612.25, Y: -40.5, W: 880, H: 512.75}},
		{Name: "overview", Scene: sc, Seed: 1, Tick: 800, Message: 4711},
		{Name: "overview", Scene: sc, Seed: 1}, // running, nothing inspected, the world fitted
	}
	for _, want := range tests {
		link, err := scenes.Link("http://x/", want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scenes.FromURL(link)
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if got.Tick != want.Tick || got.Paused != want.Paused || got.Selected != want.Selected || got.Message != want.Message {
			t.Errorf("decoded tick %d paused %v device %q message %d, want %d %v %q %d",
				got.Tick, got.Paused, got.Selected, got.Message, want.Tick, want.Paused, want.Selected, want.Message)
		}
		if (got.View == nil) != (want.View == nil) || (got.View != nil && *got.View != *want.View) {
			t.Errorf("decoded view %+v, want %+v", got.View, want.View)
		}
	}
	// A view is kept to a hundredth of a unit, far below a pixel.
	link, _ := scenes.Link("http://x/", scenes.Scenario{Name: "overview", View: &scenes.View{X: 1.0049, Y: 2, W: 3.3333, H: 4}})
	if got, _ := scenes.FromURL(link); got.View == nil || *got.View != (scenes.View{X: 1, Y: 2, W: 3.33, H: 4}) {
		t.Errorf("view %+v, want it rounded to hundredths", got.View)
	}
}

// A shared view or inspected device that no page could show is refused
// with what was wrong.
func TestLinkBadMoment(t *testing.T) {
	tests := map[string]struct{ json, want string }{
		"zero-sized view":  {`{"n":"overview","v":[0,0,0,10]}`, "smaller than"},
		"view far away":    {`{"n":"overview","v":[1e9,0,100,100]}`, "centre x"},
		"view of 3 values": {`{"n":"overview","v":[1,2,3]}`, ""},
		"long device id":   {`{"n":"overview","d":"` + strings.Repeat("d", sim.MaxIDLen+1) + `"}`, "inspected device"},
	}
	for name, tt := range tests {
		_, err := scenes.Decode(deflated(t, []byte(tt.json)))
		if !errors.Is(err, scenes.ErrLinkCorrupt) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want damaged, saying %q", name, err, tt.want)
		}
	}
}

func deflated(t *testing.T, js []byte) string {
	t.Helper()
	var b bytes.Buffer
	zw, _ := flate.NewWriter(&b, flate.BestCompression)
	zw.Write(js)
	zw.Close()
	return "1" + base64.RawURLEncoding.EncodeToString(b.Bytes())
}

func TestTamperedLinks(t *testing.T) {
	good, _ := scenes.Encode(scenes.Scenario{Name: "overview"})
	bomb := deflated(t, append([]byte(`{"n":"overview","y":"`), bytes.Repeat([]byte("a"), 4<<20)...))
	tests := map[string]struct {
		text string
		want error
	}{
		"truncated":     {good[:len(good)/2], scenes.ErrLinkCorrupt},
		"bad base64":    {good[:5] + "!!" + good[7:], scenes.ErrLinkCorrupt},
		"other version": {"9" + good[1:], scenes.ErrLinkVersion},
		"empty":         {"", scenes.ErrLinkVersion},
		"huge":          {"1" + strings.Repeat("A", scenes.MaxLinkLen), scenes.ErrLinkTooLong},
		"inflate bomb":  {bomb, scenes.ErrLinkTooLarge},
		"no scene":      {deflated(t, []byte(`{"s":3}`)), scenes.ErrLinkCorrupt},
		"unknown field": {deflated(t, []byte(`{"n":"overview","x":1}`)), scenes.ErrLinkCorrupt},
		"bad action":    {deflated(t, []byte(`{"n":"overview","a":[{"kind":"explode"}]}`)), scenes.ErrLinkCorrupt},
	}
	for name, tt := range tests {
		_, err := scenes.Decode(tt.text)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tt.want)
		}
	}
	if _, err := scenes.Decode(deflated(t, []byte(`{"n":"nowhere"}`))); err == nil || !strings.Contains(err.Error(), "built-in") {
		t.Errorf("unknown scene: %v", err)
	}
	if _, err := scenes.FromURL("http://x/#foo=bar"); !errors.Is(err, scenes.ErrNoScenario) {
		t.Errorf("no scenario: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := scenes.Encode(scenes.Scenario{Name: "overview", Actions: []sim.Action{{Kind: sim.ActCut, Link: "internet", At: 5}}})
	f.Add(good)
	f.Add("1")
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := scenes.Decode(s)
		if err == nil && sc.Scene == nil {
			t.Fatal("no error and no scene")
		}
	})
}
