package replica

import (
	"encoding/json"
	"fmt"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Fold is a room's world state at tick, packed (wire.PackWorld): the world
// of world (a packed state; nil: the scene's, at tick 0) given acts, the
// bodies of the room's action envelopes after it, in the room's order, as
// every member gives them, and stepped to tick. An action of a tick before
// world's is left out, as every member that starts from it refuses it
// (sim.ErrTooLate). It is the relay's Folder: the room's log up to the
// last of acts can then be dropped.
//
// It builds its own world from the last state rather than taking the
// replica's, which runs ahead of tick and forgets the actions before its
// window: a state is exactly what a member starting from the previous
// one and given the same log would have, whatever the replica did.
func (s *Set) Fold(scene string, world []byte, acts []json.RawMessage, tick int64) ([]byte, error) {
	var w *sim.World
	if world == nil {
		sc, err := s.opt.Scene(scene)
		if err != nil {
			return nil, fmt.Errorf("fold a room of scene %q: %w", scene, err)
		}
		if w, err = sim.New(sc.Spec, sc.Seed); err != nil {
			return nil, fmt.Errorf("fold a room of scene %q: %w", scene, err)
		}
	} else {
		var err error
		if w, err = wire.UnpackWorld(world); err != nil {
			return nil, fmt.Errorf("fold a room of scene %q: its last world state: %w", scene, err)
		}
	}
	if tick < w.Tick() {
		return nil, fmt.Errorf("fold a room of scene %q: tick %d is before its last world state's, %d", scene, tick, w.Tick())
	}
	batch := make([]sim.Action, 0, len(acts))
	for _, body := range acts {
		var a sim.Action
		if json.Unmarshal(body, &a) == nil {
			batch = append(batch, a) // a refused one is refused by every member alike
		}
	}
	// One world at a time: the fold keeps no copy to replay from, as
	// nothing comes late to it (a timeline would, and double the memory
	// of a large room's fold).
	sim.Advance(w, batch, tick)
	return wire.PackWorld(w.State()), nil
}

// Restored tells the room's replica that the room opened from a world
// state (packed): its world starts from it rather than from the scene,
// since the room's log before it is gone.
func (s *Set) Restored(room string, world []byte) {
	r := s.Get(room)
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tl != nil {
		return // it followed the room here before: its world is further on
	}
	w, err := wire.UnpackWorld(world)
	if err != nil {
		r.err = fmt.Errorf("replica of room %s: its world state: %w", r.ID, err)
		s.log.Error("cannot build a room's replica", "room", r.ID, "err", err)
		return
	}
	r.tl = sim.NewTimelineAt(w)
	late := s.opt.Late
	r.tl.CheckpointStates(max(1, late/2), late)
}
