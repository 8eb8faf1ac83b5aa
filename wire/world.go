package wire

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"

	"github.com/thingyard/thingyard/sim"
)

// MaxWorld is the most bytes a room's world state (sim.World.State) may
// take unpacked: a room at its device budget (20,000 devices) takes about
// 3 MB, so this leaves room and still bounds what a corrupt or hostile
// packed state can make a page allocate.
const MaxWorld = 32 << 20

// ErrBadWorld refuses a packed world state that does not unpack.
var ErrBadWorld = errors.New("wire: bad packed world state")

// PackWorld packs a world's state for the welcome and the store: deflated,
// since a state is mostly small numbers and ids repeated (a room at its
// device budget packs to a fraction of its size).
func PackWorld(state []byte) []byte {
	var b bytes.Buffer
	zw, _ := flate.NewWriter(&b, flate.BestSpeed) // a valid level: never an error
	zw.Write(state)                               // a bytes.Buffer does not fail
	zw.Close()
	return b.Bytes()
}

// UnpackWorld is the world whose state PackWorld packed: the state
// unpacked and decoded. A state that does not unpack, is larger than
// MaxWorld or does not decode is refused with an error that says so.
func UnpackWorld(packed []byte) (*sim.World, error) {
	zr := flate.NewReader(bytes.NewReader(packed))
	state, err := io.ReadAll(io.LimitReader(zr, MaxWorld+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %d packed bytes: %v", ErrBadWorld, len(packed), err)
	}
	if len(state) > MaxWorld {
		return nil, fmt.Errorf("%w: it unpacks to more than %d bytes", ErrBadWorld, MaxWorld)
	}
	return sim.DecodeState(state)
}
