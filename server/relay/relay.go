// Package relay lets the browsers of a live room share one world. The
// server orders and relays what they send (wire envelopes); each browser
// runs the deterministic simulation itself, so the relay never needs to.
//
// A room keeps its log in memory, folded every few hundred envelopes into
// a snapshot of its actions, so a join or an event stream copies a short
// tail however old the room is, and no room's log fills with presence.
package relay

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/limit"
	"github.com/thingyard/thingyard/wire"
)

// Options are the relay's limits. Zero fields take the defaults below.
type Options struct {
	MaxRooms       int           // rooms at once (default 1000)
	MaxMembers     int           // members per room (default 50)
	MaxLogBytes    int           // bytes of actions a room's log keeps (default 16 MiB)
	FoldEvery      int           // envelopes after which a room's log is folded into a snapshot (default 500)
	MaxSubs        int           // event streams per room (default 64)
	Rate           float64       // frames per second a connection may send (default 30)
	Burst          int           // frames a connection may send at once (default 60)
	CreateRate     float64       // rooms per minute one IP address may make (default 10)
	QueueLen       int           // frames waiting for a slow reader before it is dropped (default 512)
	WriteTimeout   time.Duration // one frame's write (default 10 s)
	PingEvery      time.Duration // ping period; a peer that does not answer is dropped (default 20 s)
	IdleAfter      time.Duration // a room without members is removed after this (default 10 min)
	OriginPatterns []string      // extra allowed Origins (host patterns); same origin is always allowed
	// Scenes are the scene names a room may be made with; nil allows any
	// name of letters, digits and dashes.
	Scenes []string
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Gate vets every action and reading before a room logs it, from a
	// browser, the REST or MQTT API or a local member alike; nil accepts
	// any JSON object (tests of the relay alone).
	Gate *gate.Gate
	// Observer sees every room's life in order; nil sees nothing.
	Observer Observer
	// MQTT is the address of the server's MQTT broker, told to every
	// joiner; "" when there is none.
	MQTT string
	// Secret keys the rooms' tokens (Token); nil makes a random one, so
	// tokens change when the server restarts.
	Secret []byte
	// SubQueue is how many envelopes wait for a slow subscriber (an event
	// stream) before it is cut off (default 1024).
	SubQueue int
}

// Observer follows every room without a connection: the server's replica
// of each world. Its methods are called with the relay's locks held, in
// the room's order, so they must return at once and never call the relay.
type Observer interface {
	// Created is called when a room is made, with when.
	Created(room, scene string, at time.Time)
	// Envelope is called with every envelope the room logs, and with
	// every hash report (not logged: its Seq is the room's last seq then,
	// its At when it came).
	Envelope(room string, e wire.Envelope)
	// Removed is called when a room is removed.
	Removed(room string)
}

// Defaults of Options.
const (
	DefaultMaxRooms     = 1000
	DefaultMaxMembers   = 50
	DefaultMaxLogBytes  = 16 << 20
	DefaultMaxSubs      = 64
	DefaultCreateRate   = 10
	DefaultRate         = 30
	DefaultBurst        = 60
	DefaultQueueLen     = 512
	DefaultWriteTimeout = 10 * time.Second
	DefaultPingEvery    = 20 * time.Second
	DefaultIdleAfter    = 10 * time.Minute
	DefaultFoldEvery    = 500
	DefaultSubQueue     = 1024
)

func (o *Options) fill() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxRooms, DefaultMaxRooms)
	def(&o.MaxMembers, DefaultMaxMembers)
	def(&o.MaxLogBytes, DefaultMaxLogBytes)
	def(&o.MaxSubs, DefaultMaxSubs)
	def(&o.Burst, DefaultBurst)
	def(&o.QueueLen, DefaultQueueLen)
	def(&o.FoldEvery, DefaultFoldEvery)
	def(&o.SubQueue, DefaultSubQueue)
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.CreateRate <= 0 {
		o.CreateRate = DefaultCreateRate
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.PingEvery <= 0 {
		o.PingEvery = DefaultPingEvery
	}
	if o.IdleAfter <= 0 {
		o.IdleAfter = DefaultIdleAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Secret) == 0 {
		o.Secret = make([]byte, 32)
		rand.Read(o.Secret)
	}
}

// Relay holds the rooms.
type Relay struct {
	opt Options
	log *slog.Logger

	creates *limit.Keyed // rooms made per IP address

	mu    sync.Mutex
	rooms map[string]*room

	in, out, drops, refused, conns atomic.Int64
}

// New makes a relay.
func New(opt Options, log *slog.Logger) *Relay {
	opt.fill()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Relay{opt: opt, log: log, rooms: map[string]*room{},
		creates: limit.New(opt.CreateRate/60, max(1, int(opt.CreateRate)), opt.Now)}
}

// Errors a join can be refused with.
var (
	ErrNoRoom    = errors.New("relay: no such room")
	ErrFull      = errors.New("relay: room is full")
	ErrTooMany   = errors.New("relay: too many rooms")
	ErrBadScene  = errors.New("relay: unknown scene")
	ErrBadRoomID = errors.New("relay: bad room id")
	ErrTooFast   = errors.New("relay: too many rooms made from this address")
	ErrSubs      = errors.New("relay: too many event streams on this room")
)

// NewRoomID is 128 random bits in lower-case base32, without padding.
func NewRoomID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// Token is room id's secret for outside programs (the MQTT password of
// user id): an HMAC of the id under the relay's secret, so it needs no
// storage and proves that whoever shows it was given it with the room.
func (r *Relay) Token(id string) string {
	mac := hmac.New(sha256.New, r.opt.Secret)
	mac.Write([]byte(id))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(mac.Sum(nil)[:15]))
}

// ValidToken reports whether token is room id's token, in constant time.
func (r *Relay) ValidToken(id, token string) bool {
	return hmac.Equal([]byte(r.Token(id)), []byte(token))
}

func validRoomID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (r *Relay) validScene(s string) bool {
	if r.opt.Scenes != nil {
		return slices.Contains(r.opt.Scenes, s)
	}
	return validRoomID(s + "-scene")
}

// Create makes a room for scene and returns its id.
func (r *Relay) Create(scene string) (string, error) {
	if !r.validScene(scene) {
		return "", fmt.Errorf("%w %q", ErrBadScene, scene)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rooms) >= r.opt.MaxRooms {
		return "", fmt.Errorf("%w (%d)", ErrTooMany, r.opt.MaxRooms)
	}
	id := NewRoomID()
	rm, err := newRoom(id, scene, r.opt.Now(), r)
	if err != nil {
		return "", err
	}
	r.rooms[id] = rm
	return id, nil
}

// Publish logs an envelope of kind action or reading in room id from an
// outside program (the REST or MQTT API) and sends it to every member, as if
// a member had sent it; from names the sender ("api", "mqtt:…").
func (r *Relay) Publish(id, from, kind string, body json.RawMessage) (wire.Envelope, error) {
	if kind != wire.KindAction && kind != wire.KindReading {
		return wire.Envelope{}, fmt.Errorf("%w: %q (an outside program may publish action or reading)", wire.ErrKind, kind)
	}
	if r.opt.Gate == nil && (len(body) == 0 || body[0] != '{') {
		return wire.Envelope{}, fmt.Errorf("%w: body must be a JSON object", wire.ErrBadJSON)
	}
	r.mu.Lock()
	rm := r.rooms[id]
	r.mu.Unlock()
	if rm == nil {
		return wire.Envelope{}, fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	r.in.Add(1)
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.admit(wire.Envelope{Kind: kind, From: from, Body: body})
}

// ErrCutOff closes a subscription whose reader fell too far behind.
var ErrCutOff = errors.New("relay: the subscriber fell behind and was cut off; resume from the last seq it saw")

// Subscription is a read-only follower of a room: an event stream.
type Subscription struct {
	// C delivers the room's envelopes in order, after the backlog; it is
	// closed when the room goes or the reader falls behind (Err says which).
	C   <-chan wire.Envelope
	c   chan wire.Envelope
	err error
	rm  *room
}

// Err is why C was closed.
func (s *Subscription) Err() error {
	s.rm.mu.Lock()
	defer s.rm.mu.Unlock()
	return s.err
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.rm.mu.Lock()
	defer s.rm.mu.Unlock()
	s.rm.unsubscribe(s, nil)
}

// FromNow, as since, follows a room from its next envelope on.
const FromNow = ^uint64(0)

// Subscribe follows room id from after seq since (FromNow: only what comes
// next): it returns what was logged after since (a snapshot, when since
// lies before the room's latest one, and the envelopes after it) and a
// subscription for what comes next, with no gap or overlap between them.
func (r *Relay) Subscribe(id string, since uint64) (*Snapshot, []wire.Envelope, *Subscription, error) {
	r.mu.Lock()
	rm := r.rooms[id]
	r.mu.Unlock()
	if rm == nil {
		return nil, nil, nil, fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.gone {
		return nil, nil, nil, fmt.Errorf("%w %q", ErrNoRoom, id)
	}
	if len(rm.subs) >= r.opt.MaxSubs {
		r.refused.Add(1)
		return nil, nil, nil, fmt.Errorf("%w: %d at most; close one or try again later", ErrSubs, r.opt.MaxSubs)
	}
	s := &Subscription{c: make(chan wire.Envelope, r.opt.SubQueue), rm: rm}
	s.C = s.c
	rm.subs[s] = true
	snap, tail := rm.log.since(since)
	return snap, tail, s, nil
}

// unsubscribe drops a subscription, saying why. Call with rm.mu held.
func (rm *room) unsubscribe(s *Subscription, why error) {
	if !rm.subs[s] {
		return
	}
	delete(rm.subs, s)
	s.err = why
	close(s.c)
}

// room is one live room. Its mutex guards everything in it; publishing
// never blocks: a member whose queue is full is dropped.
type room struct {
	id, scene string
	relay     *Relay
	created   time.Time

	mu      sync.Mutex
	log     *history
	door    *gate.Room // nil without a gate
	members map[string]*member
	subs    map[*Subscription]bool
	gone    bool              // removed from the relay
	boards  map[string]string // device id -> member holding it
	nextID  int
	idle    time.Time // when the last member left
}

// member is one connection in a room.
type member struct {
	id   string
	out  *queue
	kill func(websocket.StatusCode, string)
}

func newRoom(id, scene string, now time.Time, r *Relay) (*room, error) {
	rm := &room{id: id, scene: scene, relay: r, created: now, log: newHistory(r.opt.FoldEvery, r.opt.MaxLogBytes),
		members: map[string]*member{}, subs: map[*Subscription]bool{}, boards: map[string]string{}, idle: now}
	if r.opt.Gate != nil {
		door, err := r.opt.Gate.Open(scene)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrBadScene, scene, err)
		}
		rm.door = door
	}
	if r.opt.Observer != nil {
		r.opt.Observer.Created(id, scene, now)
	}
	return rm, nil
}

func (rm *room) now() int64 { return rm.relay.opt.Now().Sub(rm.created).Milliseconds() }

// admit passes an action or reading through the room's gate and publishes
// what the gate returns. Call with rm.mu held.
func (rm *room) admit(e wire.Envelope) (wire.Envelope, error) {
	if rm.door != nil {
		body, err := rm.door.Admit(e.Kind, e.Body, wire.Tick(rm.now()))
		if err != nil {
			rm.relay.refused.Add(1)
			return e, err
		}
		e.Body = body
	}
	return rm.publish(e, "")
}

// publish stamps an envelope, appends it to the log and queues it for
// every member (or only to, when set). Call with rm.mu held.
func (rm *room) publish(e wire.Envelope, to string) (wire.Envelope, error) {
	e.Room, e.At = rm.id, rm.now()
	e, err := rm.log.append(e)
	if err != nil {
		return e, err
	}
	if o := rm.relay.opt.Observer; o != nil {
		o.Envelope(rm.id, e)
	}
	for s := range rm.subs {
		select {
		case s.c <- e:
		default:
			rm.unsubscribe(s, ErrCutOff)
		}
	}
	data, _ := json.Marshal(e)
	var slow []*member
	for _, m := range rm.members {
		if to != "" && m.id != to && m.id != e.From {
			continue
		}
		if !rm.push(m, data) {
			slow = append(slow, m)
		}
	}
	// The slow are dropped once every member has this envelope: the
	// presence saying they left comes after it for everyone.
	for _, m := range slow {
		rm.drop(m)
	}
	return e, nil
}

// send queues a frame for a member, dropping the member when it is too
// slow to keep up. Call with rm.mu held.
func (rm *room) send(m *member, data []byte) {
	if !rm.push(m, data) {
		rm.drop(m)
	}
}

// push queues a frame for a member; it reports false when the member's
// queue is full.
func (rm *room) push(m *member, data []byte) bool {
	if !m.out.push(data) {
		return false
	}
	rm.relay.out.Add(1)
	return true
}

// drop cuts off a member too slow to keep up, unless it is gone already.
// Call with rm.mu held.
func (rm *room) drop(m *member) {
	if rm.members[m.id] != m {
		return
	}
	rm.relay.drops.Add(1)
	rm.relay.log.Warn("dropping a slow reader", "room", rm.id, "member", m.id)
	rm.leave(m)
	m.kill(websocket.StatusPolicyViolation, "too slow: the room moved on without you; reconnect to catch up")
}

func (rm *room) memberIDs() []string {
	ids := make([]string, 0, len(rm.members))
	for id := range rm.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// leave removes a member and tells the others. Call with rm.mu held.
func (rm *room) leave(m *member) {
	if _, ok := rm.members[m.id]; !ok {
		return
	}
	delete(rm.members, m.id)
	for dev, holder := range rm.boards {
		if holder == m.id {
			delete(rm.boards, dev)
		}
	}
	if len(rm.members) == 0 {
		rm.idle = rm.relay.opt.Now()
	}
	body, _ := json.Marshal(wire.Presence{Member: m.id, Joined: false, Members: rm.memberIDs()})
	rm.publish(wire.Envelope{Kind: wire.KindPresence, From: m.id, Body: body}, "")
}

// Sweep removes rooms that have had no members for IdleAfter. The server
// calls it every minute; tests call it with their own clock.
func (r *Relay) Sweep() int {
	now := r.opt.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id, rm := range r.rooms {
		rm.mu.Lock()
		idle := len(rm.members) == 0 && now.Sub(rm.idle) >= r.opt.IdleAfter
		if idle {
			rm.gone = true
			for s := range rm.subs {
				rm.unsubscribe(s, ErrNoRoom)
			}
			if r.opt.Observer != nil {
				r.opt.Observer.Removed(id)
			}
		}
		rm.mu.Unlock()
		if idle {
			delete(r.rooms, id)
			n++
			r.log.Info("room removed after being idle", "room", id)
		}
	}
	return n
}

// Run sweeps idle rooms until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Sweep()
		}
	}
}

// HandleCreate is POST /rooms: body {"scene":"NAME"} (optional) returns
// {"id":"…","scene":"…"}.
func (r *Relay) HandleCreate(defaultScene string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Scene string `json:"scene"`
		}
		dec := json.NewDecoder(io.LimitReader(req.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			problem(w, http.StatusBadRequest, "the body must be {\"scene\":\"NAME\"} or empty: "+err.Error())
			return
		}
		if body.Scene == "" {
			body.Scene = defaultScene
		}
		if !r.validScene(body.Scene) {
			problem(w, http.StatusUnprocessableEntity, fmt.Sprintf("%v %q", ErrBadScene, body.Scene))
			return
		}
		if !r.creates.Allow(limit.Source(req)) {
			r.refused.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(int(60/r.opt.CreateRate)+1))
			problem(w, http.StatusTooManyRequests, fmt.Sprintf("%v: at most %g a minute; use the room you made, or wait", ErrTooFast, r.opt.CreateRate))
			return
		}
		id, err := r.Create(body.Scene)
		switch {
		case errors.Is(err, ErrBadScene):
			problem(w, http.StatusUnprocessableEntity, err.Error())
			return
		case err != nil:
			problem(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": id, "scene": body.Scene})
	}
}

// problem writes an RFC 9457 problem detail.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
}

// Observer is the observer the relay was made with, or nil.
func (r *Relay) Observer() Observer { return r.opt.Observer }

// HandleMetrics writes the relay's numbers in Prometheus' text format.
func (r *Relay) HandleMetrics(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	rooms, members := len(r.rooms), 0
	for _, rm := range r.rooms {
		rm.mu.Lock()
		members += len(rm.members)
		rm.mu.Unlock()
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP thingyard_rooms Live rooms.\n# TYPE thingyard_rooms gauge\nthingyard_rooms %d\n", rooms)
	fmt.Fprintf(w, "# HELP thingyard_members Connected members.\n# TYPE thingyard_members gauge\nthingyard_members %d\n", members)
	fmt.Fprintf(w, "# HELP thingyard_messages_in_total Frames received from browsers.\n# TYPE thingyard_messages_in_total counter\nthingyard_messages_in_total %d\n", r.in.Load())
	fmt.Fprintf(w, "# HELP thingyard_messages_out_total Frames queued to browsers.\n# TYPE thingyard_messages_out_total counter\nthingyard_messages_out_total %d\n", r.out.Load())
	fmt.Fprintf(w, "# HELP thingyard_drops_total Slow readers dropped.\n# TYPE thingyard_drops_total counter\nthingyard_drops_total %d\n", r.drops.Load())
	fmt.Fprintf(w, "# HELP thingyard_connections Open WebSocket connections.\n# TYPE thingyard_connections gauge\nthingyard_connections %d\n", r.conns.Load())
	fmt.Fprintf(w, "# HELP thingyard_refused_total Frames or connections refused.\n# TYPE thingyard_refused_total counter\nthingyard_refused_total %d\n", r.refused.Load())
}

// Room describes a room for the API.
type Room struct {
	ID      string   `json:"id"`
	Scene   string   `json:"scene"`
	Seq     uint64   `json:"seq"`
	Members []string `json:"members"`
}

// Info describes a room.
func (r *Relay) Info(id string) (Room, bool) {
	r.mu.Lock()
	rm := r.rooms[id]
	r.mu.Unlock()
	if rm == nil {
		return Room{}, false
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return Room{ID: rm.id, Scene: rm.scene, Seq: rm.log.seq, Members: rm.memberIDs()}, true
}

func parseSince(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
