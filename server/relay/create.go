package relay

import (
	"errors"
	"fmt"

	"github.com/thingyard/thingyard/server/store"
)

// create makes room id with scene in the store and opens it here.
func (r *Relay) create(id, scene string) (*room, error) {
	ctx, cancel := r.ctx()
	defer cancel()
	if r.opt.Gate != nil {
		if _, err := r.opt.Gate.Open(scene); err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrBadScene, scene, err)
		}
	}
	// The count and the create are one step here: two creates at once
	// would both count the same rooms and both make one past MaxRooms.
	// Servers sharing a store are not in step with each other: creates on
	// several at the same moment may each make one room past it.
	r.createMu.Lock()
	rooms, err := r.opt.Store.List(ctx)
	if err == nil && len(rooms) >= r.opt.MaxRooms {
		r.createMu.Unlock()
		return nil, fmt.Errorf("%w (%d)", ErrTooMany, r.opt.MaxRooms)
	}
	if err == nil {
		err = r.opt.Store.Create(ctx, store.Room{ID: id, Scene: scene, Created: r.opt.Now()})
	}
	r.createMu.Unlock()
	if err != nil && !errors.Is(err, store.ErrExists) {
		return nil, storeErr(id, err)
	}
	return r.find(id)
}

// createFor makes room id with scene for a join from source that found no
// such room, as many a minute from one address as POST /rooms allows, or
// returns the room another join made meanwhile. Joins of the same new
// room at once make it once: the first makes it while the others wait and
// then join it, whatever scene they named (the welcome says which it is),
// without spending their address's allowance. Another server making it
// at the same moment is settled by the store, which makes a room once.
func (r *Relay) createFor(id, scene, source string) (*room, error) {
	for {
		r.mu.Lock()
		rm := r.rooms[id]
		wait, busy := r.creating[id]
		if rm == nil && !busy {
			r.creating[id] = make(chan struct{})
		}
		r.mu.Unlock()
		if rm != nil {
			return rm, rm.wait(r.opt.StoreTimeout)
		}
		if busy {
			<-wait
			continue // made (open here now), or not: then this join tries
		}
		rm, err := r.createOnce(id, scene, source)
		r.mu.Lock()
		close(r.creating[id])
		delete(r.creating, id)
		r.mu.Unlock()
		return rm, err
	}
}

func (r *Relay) createOnce(id, scene, source string) (*room, error) {
	// The room may have been made (and closed here, or made on another
	// server) since this join looked.
	if rm, err := r.find(id); !errors.Is(err, ErrNoRoom) {
		return rm, err
	}
	if source != "" && !r.creates.Allow(source) {
		return nil, fmt.Errorf("%w: at most %g a minute", ErrTooFast, r.opt.CreateRate)
	}
	return r.create(id, scene)
}
