package sim_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-hashes.txt from this platform")

// TestGoldenHashes pins the hashes of a scripted run. It runs natively and
// under GOOS=js GOARCH=wasm (make test does both), so a browser and the
// server compute the very same world; -update rewrites the file after a
// deliberate change to the model.
func TestGoldenHashes(t *testing.T) {
	w := newWorld(t, sim.Demo(), 2026)
	for i, a := range scriptedActions() {
		w.Step(3000*(i+1) - int(w.Tick()))
		apply(t, w, a)
	}
	w.Step(30 * second)
	var b strings.Builder
	for _, m := range w.Hashes() {
		if m.Tick%(10*sim.HashEvery) == 0 {
			b.WriteString(sim.HashString(m.Hash) + "\n")
		}
	}
	got := b.String()
	const file = "testdata/golden-hashes.txt"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./sim -run Golden -update after a deliberate change)", err)
	}
	if got != string(want) {
		t.Errorf("hashes of the scripted run changed:\ngot\n%swant\n%s", got, want)
	}
}
