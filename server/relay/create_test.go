package relay_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
)

// listTogether is a store whose List counts the rooms and then waits until
// `n` callers are in it (or a moment passes, when they never all come), so
// creates at once all count the rooms before any of them makes one, if the
// relay lets them.
type listTogether struct {
	store.Store
	n       int
	mu      sync.Mutex
	inList  int
	arrived chan struct{}
}

func (s *listTogether) List(ctx context.Context) ([]store.Room, error) {
	rooms, err := s.Store.List(ctx) // what this caller counts, before the others make any
	s.mu.Lock()
	s.inList++
	if s.inList == s.n {
		close(s.arrived)
	}
	s.mu.Unlock()
	select {
	case <-s.arrived:
	case <-time.After(100 * time.Millisecond): // the relay lets one in at a time
	}
	return rooms, err
}

// Rooms made at the same moment stay within MaxRooms: the relay counts the
// rooms and makes one as a single step, so two creates never both count
// the same rooms and both make one.
func TestCreatesAtOnceStayWithinMaxRooms(t *testing.T) {
	const maxRooms, creates = 3, 8
	st := &listTogether{Store: store.NewMemory(store.Limits{}), n: creates, arrived: make(chan struct{})}
	r, _ := newServer(t, relay.Options{MaxRooms: maxRooms, Store: st})
	var wg sync.WaitGroup
	errs := make(chan error, creates)
	for range creates {
		wg.Go(func() {
			_, err := r.Create("overview")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	made := 0
	for err := range errs {
		switch {
		case err == nil:
			made++
		case !errors.Is(err, relay.ErrTooMany):
			t.Errorf("a create: %v, want ErrTooMany or a room", err)
		}
	}
	rooms, err := st.Store.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if made != maxRooms || len(rooms) != maxRooms {
		t.Errorf("%d creates at once made %d rooms (the store holds %d), want MaxRooms, %d", creates, made, len(rooms), maxRooms)
	}
}
