package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/thingyard/thingyard/wire"
)

// Subscription follows one room from a seq (see Store.Subscribe). Its
// reader takes envelopes from C until C is closed, then asks Err why.
type Subscription struct {
	// C delivers the room's envelopes in order. It is closed when the
	// subscription ends, by Close or by the store (Err says which).
	C <-chan wire.Envelope

	room string
	c    chan wire.Envelope
	lag  int
	// ctx ends when the subscription is asked to stop; the feeder, the one
	// goroutine that sends on c, then closes c and exit.
	ctx    context.Context
	cancel context.CancelFunc
	exit   chan struct{}

	mu  sync.Mutex
	why error // why stop was asked for: nil for Close
	err error // why C was closed
}

func newSubscription(room string, lag int) *Subscription {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Subscription{room: room, c: make(chan wire.Envelope, lag), lag: lag, ctx: ctx, cancel: cancel, exit: make(chan struct{})}
	s.C = s.c
	return s
}

// Err is why C was closed: nil after Close, ErrCutOff for a reader that
// fell behind, ErrNoRoom when the room was removed, ErrTrimmed when the
// log was trimmed past what the reader still had to read, ErrClosed when
// the store closed, ErrUnavailable when the storage could not be reached.
// It is nil while C is open.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Done is closed once the subscription has ended and C is closed, for a
// caller that waits for the end without reading.
func (s *Subscription) Done() <-chan struct{} { return s.exit }

// Close ends the subscription and waits until its resources are freed;
// envelopes still in C may be read after it.
func (s *Subscription) Close() {
	s.stop(nil)
	<-s.exit
}

// stop asks the feeder to end the subscription with why (the first reason
// given wins); it does not wait.
func (s *Subscription) stop(why error) {
	s.mu.Lock()
	if s.ctx.Err() == nil {
		s.why = why
		s.cancel()
	}
	s.mu.Unlock()
}

// send hands e to the reader. An envelope that was kept before Subscribe
// (backlog) waits for the reader; a newer one is dropped on the floor
// together with the subscriber when SubLag envelopes already wait. A
// non-nil error ends the feeder, which then calls finish with it.
func (s *Subscription) send(e wire.Envelope, backlog bool) error {
	if backlog {
		select {
		case s.c <- e:
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	} else {
		select {
		case s.c <- e:
		default:
			return fmt.Errorf("%w: room %s, more than %d envelopes behind at seq %d", ErrCutOff, s.room, s.lag, e.Seq)
		}
	}
	return nil
}

// closeAll ends subs, as their store closes, with ErrClosed and waits
// until each has freed its resources.
func closeAll(subs []*Subscription) {
	for _, s := range subs {
		s.stop(ErrClosed)
	}
	for _, s := range subs {
		<-s.exit
	}
}

// finish closes C with err, or with the reason stop was given when it
// was asked to stop. Only the feeder calls it, once, as it returns.
func (s *Subscription) finish(err error) {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		err = s.why
	}
	s.err = err
	s.mu.Unlock()
	s.cancel()
	close(s.c)
	close(s.exit)
}
