//go:build !js

package controller_test

import (
	"testing"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/wasm/controller"
	"github.com/thingyard/thingyard/wasm/ui"
)

// locker counts the panels' lock, as vugu's event environment would take it.
type locker struct{ locks, renders int }

func (l *locker) Lock()         { l.locks++ }
func (l *locker) UnlockRender() { l.renders++ }

// With LazyEditor (the page's start), the scene editor's YAML is not made
// before the panels run: Boot leaves it empty, and the panels' lock fills
// it, with the scene that loaded, before their first render. A scene that
// loads once they run fills it at once.
func TestTheEditorWaitsForThePanels(t *testing.T) {
	f := unbooted(t, origin+"/?scene=protocols", noServer)
	c := f.c
	c.LazyEditor()
	c.Boot()
	f.run(3)
	if e := c.Model().Editor; e != "" {
		t.Fatalf("before the panels run the editor holds %d bytes of YAML, want none yet", len(e))
	}
	l := &locker{}
	c.SetLocker(l)
	if e, want := c.Model().Editor, yamlOf(t, "protocols"); e != want {
		t.Fatalf("once the panels run the editor holds %q, want the scene's YAML %q", e, want)
	}
	if l.locks != 1 || l.renders != 1 {
		t.Errorf("the editor was filled with %d locks and %d renders, want it under the panels' lock once", l.locks, l.renders)
	}
	f.do(ui.LoadScene{Name: "overview"})
	if e, want := c.Model().Editor, yamlOf(t, "overview"); e != want {
		t.Errorf("after loading the overview the editor holds %q, want %q", e, want)
	}
}

// yamlOf is a built-in scene as the editor shows it.
func yamlOf(t *testing.T, name string) string {
	t.Helper()
	sc, err := scenes.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	y, err := scenes.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	return string(y)
}

// With HoldModel (the page's start, until its first frame), updates run
// the world and leave the panels' model as it was, even when a command
// asked for a refresh; the first update after ReleaseModel makes it.
func TestTheModelWaitsForTheFirstFrame(t *testing.T) {
	f := unbooted(t, origin+"/?scene=protocols", noServer)
	c := f.c
	c.HoldModel()
	c.Boot()
	c.Send(ui.SetSpeed{Speed: 2})
	for i := range controller.TPS { // four refreshes' worth
		if c.Update() {
			t.Fatalf("update %d refreshed the model while it was held", i+1)
		}
	}
	if c.World().Tick() == 0 {
		t.Fatal("the world did not run while the model was held")
	}
	if m := c.Model(); m.Tick != 0 || m.Speed == 2 || m.Sides != nil {
		t.Fatalf("the held model was refreshed: tick %d, speed %v, %d sides", m.Tick, m.Speed, len(m.Sides))
	}
	c.ReleaseModel()
	if !c.Update() {
		t.Fatal("the first update after ReleaseModel did not refresh the model it owed")
	}
	if m := c.Model(); m.Tick != c.World().Tick() || m.Speed != 2 || len(m.Sides) == 0 {
		t.Errorf("the released model shows tick %d (world %d), speed %v, %d sides", m.Tick, c.World().Tick(), m.Speed, len(m.Sides))
	}
}
