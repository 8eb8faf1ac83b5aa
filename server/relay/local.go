package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/wire"
)

// Local is a member of a room that lives inside the server, such as the
// gateway of a board plugged into the server's machine. The room treats
// it as it treats a browser: what it sends is checked, ordered and
// relayed the same way, it receives every envelope of the room (commands
// for a board only while it holds that board), and it is dropped if it
// falls behind.
type Local struct {
	ID string // its member id in the room

	r    *Relay
	rm   *room
	m    *member
	once sync.Once
	gone chan struct{}
	// ready is signalled when frames wait in an idle queue (capacity 1).
	ready chan struct{}
	// frames taken from the queue and not yet returned by Next (Next is
	// called from one goroutine).
	frames [][]byte
}

// ErrLeft is returned by a Local that left its room or was dropped.
var ErrLeft = errors.New("relay: the member left the room")

// JoinLocal joins room id as an in-process member, making the room with
// scene if it does not exist yet (as a browser's first join does).
func (r *Relay) JoinLocal(id, scene string) (*Local, error) {
	if !validRoomID(id) {
		return nil, fmt.Errorf("%w %q: 8 to 64 letters, digits, - or _", ErrBadRoomID, id)
	}
	rm, err := r.room(id, scene, "")
	if err != nil {
		return nil, err
	}
	l := &Local{r: r, rm: rm, gone: make(chan struct{}), ready: make(chan struct{}, 1)}
	l.m = &member{out: newQueue(r.opt.QueueLen, func() { signal(l.ready) })}
	l.m.kill = func(websocket.StatusCode, string) { l.once.Do(func() { close(l.gone) }) }
	r.join(rm, l.m, 0)
	l.m.out.open()
	l.ID = l.m.id
	r.log.Info("member joined", "room", rm.id, "member", l.ID, "local", true)
	return l, nil
}

// Send sends the room an envelope of kind with body (marshalled to
// JSON), through the same checks as a browser's frame. A refusal comes
// back to this member as an error envelope, as it would to a browser.
func (l *Local) Send(kind string, body any) error {
	select {
	case <-l.gone:
		return ErrLeft
	default:
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("relay: marshal %s body: %w", kind, err)
	}
	frame, _ := json.Marshal(wire.Envelope{Kind: kind, Body: b})
	e, err := wire.Decode(frame)
	if err != nil {
		return err
	}
	l.r.in.Add(1)
	l.r.handle(l.rm, l.m, e)
	return nil
}

// Next waits for the room's next envelope (the welcome first). Call it
// from one goroutine.
func (l *Local) Next(ctx context.Context) (wire.Envelope, error) {
	var e wire.Envelope
	for len(l.frames) == 0 {
		var welcome [][]byte
		welcome, l.frames = l.m.out.take(l.frames)
		if welcome != nil {
			l.frames = slices.Insert(l.frames, 0, bytes.Join(welcome, nil))
		}
		if len(l.frames) > 0 {
			break
		}
		select {
		case <-l.ready:
		case <-l.gone:
			return e, ErrLeft
		case <-ctx.Done():
			return e, ctx.Err()
		}
	}
	data := l.frames[0]
	l.frames = l.frames[1:]
	err := json.Unmarshal(data, &e)
	return e, err
}

// Now is the room's clock: milliseconds since the room was made.
func (l *Local) Now() int64 {
	l.rm.mu.Lock()
	defer l.rm.mu.Unlock()
	return l.rm.now()
}

// Leave takes the member out of the room.
func (l *Local) Leave() {
	l.rm.mu.Lock()
	l.rm.leave(l.m)
	l.rm.mu.Unlock()
	l.m.kill(websocket.StatusNormalClosure, "left")
	l.r.log.Info("member left", "room", l.rm.id, "member", l.ID, "local", true)
}
