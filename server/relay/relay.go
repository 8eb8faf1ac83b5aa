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

	"github.com/VictoriaMetrics/metrics"
	"github.com/thingyard/thingyard/internal/defaults"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/limit"
	"github.com/thingyard/thingyard/server/problem"
	"github.com/thingyard/thingyard/server/store"
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
	InboxLen       int           // frames a member sent that wait for the room before its socket is no longer read (default 256)
	InboxBytes     int           // bytes of such frames (default 1 MiB)
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
	// Store keeps the rooms: their logs, order and fan-out go through it,
	// so rooms outlive the process (JetStream) and several servers can
	// share them. nil keeps them in this process's memory.
	Store store.Store
	// Instance names this server among those sharing a store; member ids
	// begin with it (default: random).
	Instance string
	// RoomTTL removes a room this long after anything last happened in
	// it, by the room's own log, so a restart does not reset the clock
	// (default 7 days).
	RoomTTL time.Duration
	// StoreTimeout bounds one call to the store (default 10 s).
	StoreTimeout time.Duration
	// Folder folds a room's log into its world state (the replica's
	// Fold), so a room never fills and a joiner loads the state instead
	// of replaying the room from tick 0; World says when. nil keeps the
	// actions from tick 0, up to sim.MaxLog of them and MaxLogBytes.
	Folder Folder
	World  WorldLimits
}

// Folder makes a room's world state: the world of world (a packed state,
// wire.PackWorld; nil: the scene's at tick 0) given acts, the bodies of the
// room's actions after it in order, and stepped to tick; packed. It is
// called away from the room's lock, one at a time per room.
type Folder interface {
	Fold(scene string, world []byte, acts []json.RawMessage, tick int64) ([]byte, error)
}

// WorldObserver is an Observer told of the world state a room opened from
// (packed), before the actions after it: the room's log before it is gone.
type WorldObserver interface {
	Restored(room string, world []byte)
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
	DefaultInboxLen     = 256
	DefaultInboxBytes   = 1 << 20
	DefaultWriteTimeout = 10 * time.Second
	DefaultPingEvery    = 20 * time.Second
	DefaultIdleAfter    = 10 * time.Minute
	DefaultFoldEvery    = 500
	DefaultSubQueue     = 1024
	DefaultRoomTTL      = 7 * 24 * time.Hour
	DefaultStoreTimeout = 10 * time.Second
)

func (o *Options) fill() {
	defaults.Positive(&o.MaxRooms, DefaultMaxRooms)
	defaults.Positive(&o.MaxMembers, DefaultMaxMembers)
	defaults.Positive(&o.MaxLogBytes, DefaultMaxLogBytes)
	defaults.Positive(&o.MaxSubs, DefaultMaxSubs)
	defaults.Positive(&o.Burst, DefaultBurst)
	defaults.Positive(&o.QueueLen, DefaultQueueLen)
	defaults.Positive(&o.InboxLen, DefaultInboxLen)
	defaults.Positive(&o.InboxBytes, DefaultInboxBytes)
	defaults.Positive(&o.FoldEvery, DefaultFoldEvery)
	defaults.Positive(&o.SubQueue, DefaultSubQueue)
	defaults.Positive(&o.Rate, DefaultRate)
	defaults.Positive(&o.CreateRate, DefaultCreateRate)
	defaults.Positive(&o.WriteTimeout, DefaultWriteTimeout)
	defaults.Positive(&o.PingEvery, DefaultPingEvery)
	defaults.Positive(&o.IdleAfter, DefaultIdleAfter)
	defaults.Positive(&o.RoomTTL, DefaultRoomTTL)
	defaults.Positive(&o.StoreTimeout, DefaultStoreTimeout)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Store == nil {
		o.Store = store.NewMemory(store.Limits{})
	}
	if o.Instance == "" {
		var b [3]byte
		rand.Read(b[:])
		o.Instance = fmt.Sprintf("%x", b)
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
	// createMu makes a create's count of the rooms and its create one
	// step, so creates at once stay within MaxRooms.
	createMu sync.Mutex

	mu      sync.Mutex
	rooms   map[string]*room // the rooms open in this process
	opening map[string]chan struct{}
	// creating has a channel for each room a join is making here, closed
	// when it is made (or not): other joins of it wait for that.
	creating map[string]chan struct{}

	run                                    string      // this run of the process, in its member ids
	unavailable                            atomic.Bool // the store could not be reached lately
	in, out, drops, refused, conns, behind atomic.Int64
	// writers counts the members' writers started: for a welcome, and
	// for what a delivery could not write in passing.
	writers atomic.Int64
	// The store's figures: appends, their time, failed ones, and how
	// often a room's subscription had to be made again.
	appends, appendNanos, appendErrs, resubscribes atomic.Int64
	worlds                                         atomic.Int64 // world states made

	pings pinger // of the WebSocket members

	expiryMu sync.Mutex
	expiry   map[string]expiry // of the rooms of the store the sweep read
}

// New makes a relay.
func New(opt Options, log *slog.Logger) *Relay {
	opt.fill()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var run [2]byte
	rand.Read(run[:])
	return &Relay{opt: opt, log: log, rooms: map[string]*room{}, opening: map[string]chan struct{}{}, creating: map[string]chan struct{}{}, expiry: map[string]expiry{}, run: fmt.Sprintf("%x", run),
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
	// ErrUnavailable is a store that cannot be reached now.
	ErrUnavailable = errors.New("relay: storage unavailable, reconnecting")
)

// NewRoomID is 128 random bits in lower-case base32, without padding.
func NewRoomID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// memberID names member n of this run of the server: the instance, the
// run and n, so ids stay unique across servers sharing rooms and across
// restarts.
func (r *Relay) memberID(n int) string {
	return r.opt.Instance + "." + r.run + ".m" + strconv.Itoa(n)
}

// ownedBefore reports whether member id was this instance's in an earlier
// run: a member that cannot still be connected.
func (r *Relay) ownedBefore(id string) bool {
	return strings.HasPrefix(id, r.opt.Instance+".") && !strings.HasPrefix(id, r.opt.Instance+"."+r.run+".")
}

// Healthy reports whether the rooms' store could be reached lately, and,
// for a store that can tell (JetStream's Ready), whether it can take
// writes now: why not, such as a full disk, is the error.
func (r *Relay) Healthy() error {
	if r.unavailable.Load() {
		return ErrUnavailable
	}
	if s, ok := r.opt.Store.(interface{ Ready() error }); ok {
		return s.Ready()
	}
	return nil
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

// validRoomID reports whether id may name a room. Ids beginning with "_"
// are the server's own (its secret lives in one).
func validRoomID(id string) bool {
	if len(id) < 8 || len(id) > 64 || id[0] == '_' {
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
	id := NewRoomID()
	if _, err := r.create(id, scene); err != nil {
		return "", err
	}
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
	rm, err := r.find(id)
	if err != nil {
		return wire.Envelope{}, err
	}
	r.in.Add(1)
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
	rm, err := r.find(id)
	if err != nil {
		return nil, nil, nil, err
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

// Sweep folds into its world state the log of every room here that went
// quiet with actions its state does not hold (WorldLimits.Quiet), one room
// at a time; closes here the rooms that have had no member or event stream
// here for IdleAfter (they stay in the store, and open again on the next
// join); and removes from the store the rooms in which nothing happened for
// RoomTTL. The server calls it every minute; tests call it with their own
// clock. It returns how many rooms it closed or removed.
func (r *Relay) Sweep() int {
	if r.opt.Folder != nil {
		r.mu.Lock()
		open := make([]*room, 0, len(r.rooms))
		for _, rm := range r.rooms {
			open = append(open, rm)
		}
		r.mu.Unlock()
		for _, rm := range open {
			rm.foldIfQuiet()
		}
	}
	now := r.opt.Now()
	r.mu.Lock()
	var idle []*room
	for _, rm := range r.rooms {
		rm.mu.Lock()
		if len(rm.members) == 0 && len(rm.subs) == 0 && now.Sub(rm.idle) >= r.opt.IdleAfter {
			idle = append(idle, rm)
		}
		rm.mu.Unlock()
	}
	r.mu.Unlock()
	gone := r.expire(now)
	for _, rm := range idle {
		r.close(rm, ErrNoRoom)
		r.log.Info("room closed here after being idle", "room", rm.id)
		gone[rm.id] = true
	}
	return len(gone)
}

// expire removes the rooms of the store that saw nothing for RoomTTL, and
// returns them. It reads a room's head from the store only once the room
// may be due (see expiry).
func (r *Relay) expire(now time.Time) map[string]bool {
	r.expiryMu.Lock()
	defer r.expiryMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.opt.StoreTimeout)
	defer cancel()
	rooms, err := r.opt.Store.List(ctx)
	if err != nil {
		r.log.Warn("cannot list rooms to expire", "err", err)
		return map[string]bool{}
	}
	gone := map[string]bool{}
	listed := make(map[string]bool, len(rooms))
	for _, sr := range rooms {
		listed[sr.ID] = true
		if sr.ID[0] == '_' || r.inUse(sr.ID) {
			continue
		}
		if d, ok := r.expiry[sr.ID]; ok && d.created.Equal(sr.Created) && now.Before(d.at) {
			continue
		}
		h, err := r.opt.Store.Head(ctx, sr.ID)
		if err != nil {
			continue
		}
		// A room nobody ever joined goes after IdleAfter, so a loop of
		// POST /rooms cannot hold every place for a week; a room with a
		// history goes RoomTTL after its last envelope.
		last, ttl := sr.Created.Add(time.Duration(h.At)*time.Millisecond), r.opt.RoomTTL
		if h.Seq == 0 {
			ttl = r.opt.IdleAfter
		}
		r.expiry[sr.ID] = expiry{created: sr.Created, at: last.Add(min(ttl, r.opt.RoomTTL))}
		if now.Sub(last) < ttl || r.inUse(sr.ID) {
			continue
		}
		if err := r.opt.Store.Remove(ctx, sr.ID); err == nil {
			gone[sr.ID] = true
			r.log.Info("room removed: nothing happened in it", "room", sr.ID, "for", ttl)
		}
	}
	for id := range r.expiry {
		if !listed[id] || gone[id] {
			delete(r.expiry, id)
		}
	}
	return gone
}

// expiry is the earliest a room of the store can expire, as its head read
// last showed it. Nothing that happens in a room makes that earlier: an
// envelope moves its last one later, and the first moves a room nobody
// had joined from IdleAfter to RoomTTL, whichever is less. So the sweep
// need not read the room's head again before then. Without this, a
// server would read two envelopes of every room in its store each minute:
// on JetStream, with a few hundred MB of rooms, that loads most of the
// stream's message blocks into its cache at once. A room made again under
// the same id is told by its Created.
type expiry struct {
	created, at time.Time
}

// Run sweeps idle rooms until ctx ends, and then tells every member here
// that the server is going away and closes its connection.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.goingAway()
			return
		case <-t.C:
			r.Sweep()
		}
	}
}

// inUse reports whether a room has members here. A room in use is not
// expired, so the sweep need not read its head from the store: on
// JetStream each such read loads the message block holding the envelope
// read (up to 8 MB) into the stream's cache, where it stays 10 s.
func (r *Relay) inUse(id string) bool {
	r.mu.Lock()
	rm := r.rooms[id]
	r.mu.Unlock()
	if rm == nil {
		return false
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return len(rm.members) > 0
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
			problem.Write(w, http.StatusBadRequest, "the body must be {\"scene\":\"NAME\"} or empty: "+err.Error())
			return
		}
		if body.Scene == "" {
			body.Scene = defaultScene
		}
		if !r.validScene(body.Scene) {
			problem.Write(w, http.StatusUnprocessableEntity, fmt.Sprintf("%v %q", ErrBadScene, body.Scene))
			return
		}
		if !r.creates.Allow(limit.Source(req)) {
			r.refused.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(int(60/r.opt.CreateRate)+1))
			problem.Write(w, http.StatusTooManyRequests, fmt.Sprintf("%v: at most %g a minute; use the room you made, or wait", ErrTooFast, r.opt.CreateRate))
			return
		}
		id, err := r.Create(body.Scene)
		switch {
		case errors.Is(err, ErrBadScene):
			problem.Write(w, http.StatusUnprocessableEntity, err.Error())
			return
		case err != nil:
			problem.Write(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": id, "scene": body.Scene})
	}
}

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
	metrics.WriteGaugeUint64(w, "thingyard_rooms", uint64(rooms))                       // Live rooms.
	metrics.WriteGaugeUint64(w, "thingyard_members", uint64(members))                   // Connected members.
	metrics.WriteCounterUint64(w, "thingyard_messages_in_total", uint64(r.in.Load()))   // Frames received from browsers.
	metrics.WriteCounterUint64(w, "thingyard_messages_out_total", uint64(r.out.Load())) // Frames queued to browsers.
	metrics.WriteCounterUint64(w, "thingyard_drops_total", uint64(r.drops.Load()))      // Slow readers dropped.
	metrics.WriteCounterUint64(w, "thingyard_behind_total", uint64(r.behind.Load()))    // Times a member had to wait, its sends held back, because the store was behind.
	metrics.WriteGaugeUint64(w, "thingyard_connections", uint64(r.conns.Load()))        // Open WebSocket connections.
	metrics.WriteCounterUint64(w, "thingyard_writers_total", uint64(r.writers.Load()))  // Members' writers started: for a welcome, or for what a member's socket could not take at once.
	avail := 1
	if r.unavailable.Load() {
		avail = 0
	}
	metrics.WriteGaugeUint64(w, "thingyard_store_available", uint64(avail))                                   // Whether the rooms' store could be reached lately.
	metrics.WriteCounterUint64(w, "thingyard_store_appends_total", uint64(r.appends.Load()))                  // Envelopes appended to the rooms' store.
	metrics.WriteCounterFloat64(w, "thingyard_store_append_seconds_total", float64(r.appendNanos.Load())/1e9) // Time spent appending to the rooms' store.
	metrics.WriteCounterUint64(w, "thingyard_store_append_errors_total", uint64(r.appendErrs.Load()))         // Appends the store refused or could not take.
	metrics.WriteCounterUint64(w, "thingyard_world_states_total", uint64(r.worlds.Load()))                    // Rooms' logs folded into their world states.
	metrics.WriteCounterUint64(w, "thingyard_store_resubscribes_total", uint64(r.resubscribes.Load()))        // Times a room's log had to be followed again after the store failed.
	metrics.WriteCounterUint64(w, "thingyard_refused_total", uint64(r.refused.Load()))                        // Frames or connections refused.
}

// Room describes a room for the API.
type Room struct {
	ID      string   `json:"id"`
	Scene   string   `json:"scene"`
	Seq     uint64   `json:"seq"`
	Members []string `json:"members"`
	// WorldSeq is the seq up to which the room's log is folded into its
	// world state, 0 when it has none; Folding, whether one is being made.
	WorldSeq uint64 `json:"-"`
	Folding  bool   `json:"-"`
}

// Info describes a room.
func (r *Relay) Info(id string) (Room, bool) {
	rm, err := r.find(id)
	if err != nil {
		return Room{}, false
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	info := Room{ID: rm.id, Scene: rm.scene, Seq: rm.log.seq, Members: rm.everyone(), Folding: rm.log.folding}
	if rm.log.snap != nil {
		info.WorldSeq = rm.log.snap.WorldSeq
	}
	return info, true
}
