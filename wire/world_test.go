package wire_test

import (
	"errors"
	"testing"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// A packed world state unpacks to the same world; bytes that are not one
// are refused with ErrBadWorld or sim.ErrBadState, never a panic.
func TestPackWorld(t *testing.T) {
	w, err := sim.New(sim.Demo(), 3)
	if err != nil {
		t.Fatal(err)
	}
	w.Step(2500)
	packed := wire.PackWorld(w.State())
	got, err := wire.UnpackWorld(packed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != w.Hash() || got.Tick() != w.Tick() {
		t.Fatalf("unpacked world at %d hash %x, want %d %x", got.Tick(), got.Hash(), w.Tick(), w.Hash())
	}
	t.Logf("state %d bytes, packed %d", len(w.State()), len(packed))
	for _, bad := range [][]byte{nil, []byte("not deflate"), packed[:len(packed)/2], wire.PackWorld([]byte("TYWS\x01short"))} {
		if _, err := wire.UnpackWorld(bad); !errors.Is(err, wire.ErrBadWorld) && !errors.Is(err, sim.ErrBadState) {
			t.Errorf("UnpackWorld(%.20q): %v, want a refusal", bad, err)
		}
	}
}
