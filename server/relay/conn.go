package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/thingyard/thingyard/server/limit"
	"github.com/thingyard/thingyard/server/problem"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// ServeHTTP is GET /ws?room=ID[&since=SEQ][&scene=NAME]: it upgrades to a
// WebSocket and makes the connection a member of the room. The first join
// with a scene creates the room. The member first receives a welcome with
// the room's log after SEQ, then every envelope of the room in order.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	id, scene := q.Get("room"), q.Get("scene")
	since, err := parseSince(q.Get("since"))
	if err != nil {
		r.refused.Add(1)
		problem.Write(w, http.StatusBadRequest, "since must be a sequence number: "+err.Error())
		return
	}
	if !validRoomID(id) {
		r.refused.Add(1)
		problem.Write(w, http.StatusBadRequest, "room must be 8 to 64 letters, digits, - or _")
		return
	}
	rm, err := r.room(id, scene, limit.Source(req))
	if err != nil {
		r.refused.Add(1)
		status := http.StatusServiceUnavailable
		switch {
		case errors.Is(err, ErrNoRoom):
			status = http.StatusNotFound
		case errors.Is(err, ErrBadScene):
			status = http.StatusUnprocessableEntity
		case errors.Is(err, ErrTooFast):
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconv.Itoa(int(60/r.opt.CreateRate)+1))
		}
		problem.Write(w, status, err.Error())
		return
	}
	rm.mu.Lock()
	full := len(rm.present) >= r.opt.MaxMembers
	rm.mu.Unlock()
	if full {
		r.refused.Add(1)
		problem.Write(w, http.StatusServiceUnavailable, fmt.Sprintf("%v: %d members at most", ErrFull, r.opt.MaxMembers))
		return
	}
	lw := &lightWriter{ResponseWriter: w}
	conn, err := websocket.Accept(lw, req, &websocket.AcceptOptions{OriginPatterns: r.opt.OriginPatterns})
	if err != nil {
		r.refused.Add(1)
		r.log.Info("websocket refused", "room", id, "origin", req.Header.Get("Origin"), "err", err)
		return // Accept wrote the response (403 for a foreign Origin)
	}
	conn.SetReadLimit(wire.MaxFrame)
	r.serve(rm, conn, lw.conn, since)
	// The member is served by goroutines of its own from here on: the
	// request, its headers and this goroutine's stack are let go of.
}

// room finds a room, creating it for a first join that names a scene, as
// many a minute from one address (source) as POST /rooms allows.
func (r *Relay) room(id, scene, source string) (*room, error) {
	rm, err := r.find(id)
	if !errors.Is(err, ErrNoRoom) {
		return rm, err
	}
	if scene == "" {
		return nil, fmt.Errorf("%w %q: make one with POST /rooms, or join with a scene", ErrNoRoom, id)
	}
	if !r.validScene(scene) {
		return nil, fmt.Errorf("%w %q", ErrBadScene, scene)
	}
	return r.createFor(id, scene, source)
}

// peer is a WebSocket member: the member, its connection and what
// serves it.
type peer struct {
	*member
	conn *websocket.Conn
	lc   *lightConn
	// ctx ends the member's writes once it has gone (and its close
	// handshake is over).
	ctx    context.Context
	cancel context.CancelFunc
	// tasks are the writer and the ping running for the member, if any.
	tasks   sync.WaitGroup
	pinging atomic.Bool // a ping waits for its pong
	slot    int         // of the pinger's wheel
}

// serve makes a WebSocket connection a member of rm and serves it until
// it goes, however it goes: a close frame, a reset or silent peer (its
// read fails, or its ping goes unanswered), a refusal, or a slow reader
// dropped. Whichever way, the connection is closed and every goroutine
// serving it ended before the member is done with, so no socket or
// goroutine outlives the member.
//
// An idle member has one goroutine, its reader, which holds no buffer
// while it waits for the socket (lightConn). The others run only while
// they have work: the writer while frames wait for the member that its
// socket did not take at once (a delivery writes to an idle member in
// passing, from its own goroutine: writeInPassing), drain while frames
// it sent wait for the room (started by its inbox), a ping while its
// pong is due (started by the relay's pinger, which pings every member
// in turns).
//
// read takes the member's frames off the socket as they arrive, so the
// rate limit sees the member's own pace, and puts them in its inbox;
// drain appends them to the room one at a time, in order, however long
// the store takes; write sends the room to it.
func (r *Relay) serve(rm *room, conn *websocket.Conn, lc *lightConn, since uint64) {
	r.conns.Add(1)
	p := &peer{member: &member{}, conn: conn, lc: lc}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.out = newQueue(r.opt.QueueLen, func() {
		p.tasks.Add(1)
		r.startWriter(p)
	})
	p.out.claim = func() { p.tasks.Add(1) }
	p.inPassing = func() { r.writeInPassing(p) }
	closed := make(chan struct{}) // the close handshake is over
	dead := make(chan struct{})   // closed as the member is killed
	var once sync.Once
	p.kill = func(code websocket.StatusCode, reason string) {
		once.Do(func() {
			close(dead)
			go func() {
				defer close(closed)
				conn.Close(code, reason) // bounded by the library's own close timeouts
			}()
		})
	}

	r.join(rm, p.member, since)
	p.out.open()
	r.log.Info("member joined", "room", rm.id, "member", p.id, "since", since)
	r.pings.add(r, p)
	go func() {
		defer r.conns.Add(-1)
		in := newInbox(r.opt.InboxLen, r.opt.InboxBytes, nil)
		in.drain = func() { r.drain(rm, p.member, in) }
		reason := r.read(p.ctx, rm, conn, p.member, in, dead)
		// What the member sent before it went is still the room's.
		in.wait()

		r.pings.remove(p)
		rm.mu.Lock()
		rm.leave(p.member)
		rm.mu.Unlock()
		p.kill(websocket.StatusGoingAway, reason)
		// The close handshake first: cancelling a write in flight would cut
		// the connection before the member is told why it ends.
		<-closed
		p.out.close()
		p.cancel()
		p.tasks.Wait()
		conn.CloseNow()
		r.log.Info("member left", "room", rm.id, "member", p.id, "reason", reason)
	}()
}

// goingAway tells every member here that the server is going away, and
// closes its connection: members are served apart from their requests,
// whose contexts the HTTP server ends when it stops.
func (r *Relay) goingAway() {
	r.mu.Lock()
	rooms := slices.Collect(maps.Values(r.rooms))
	r.mu.Unlock()
	for _, rm := range rooms {
		rm.mu.Lock()
		for _, m := range rm.members {
			rm.drop(m, websocket.StatusGoingAway, "the server is shutting down")
		}
		rm.mu.Unlock()
	}
}

// join makes m a member of rm: it gets an id, the welcome first in its
// queue, and the room hears of it. Under the room's lock it copies only
// the log's tail; the snapshot, however long, is shared, never copied
// (see welcomeFrame), and the welcome is encoded after the lock is
// released.
func (r *Relay) join(rm *room, m *member, since uint64) {
	had := r.had(rm, since)
	rm.mu.Lock()
	rm.nextID++
	m.id = r.memberID(rm.nextID)
	if had > rm.log.seq {
		m.had = had
	}
	rm.members[m.id] = m
	snap, tail := rm.log.since(since)
	members := append(rm.everyone(), m.id)
	slices.Sort(members)
	welcome := wire.Welcome{Room: rm.id, Scene: rm.scene, You: m.id, Seq: max(rm.log.seq, m.had), Now: rm.now(),
		Members: members, Log: tail, MQTT: r.opt.MQTT}
	rm.mu.Unlock()

	if r.opt.MQTT != "" {
		welcome.Token = r.Token(rm.id)
	}
	var actions [][]byte
	var world []byte
	if snap != nil {
		actions, welcome.FoldedSeq = snap.Parts(), snap.Seq
		if snap.World != nil {
			world, welcome.WorldSeq = snap.WorldJSON(), snap.WorldSeq
		}
	}
	m.out.first(welcomeFrame(rm.id, welcome, actions, world)...) // before anything the room sent since the member joined
	pres, _ := json.Marshal(wire.Presence{Member: m.id, Joined: true, Members: members})
	if _, err := rm.append(wire.Envelope{Kind: wire.KindPresence, From: m.id, Body: pres}); err != nil {
		r.log.Warn("cannot tell the room of a member", "room", rm.id, "member", m.id, "err", err)
	}
}

// actionsMark and worldMark stand for a welcome's actions and world state
// while the rest of it is encoded: JSON values that json.Marshal writes as
// they are.
const (
	actionsMark = `"thingyard:snapshot-actions"`
	worldMark   = `"thingyard:snapshot-world"`
)

// welcomeFrame is a welcome envelope whose Actions are the parts of a
// snapshot (nil: none) and whose World is the snapshot's world state as a
// JSON string (nil: none), as the parts of one frame: the frame
// json.Marshal would make of it, but with the snapshot's actions and world
// state left where they are, between a head and a tail made for this
// member. A join then costs the bytes of its tail and member list, not of
// the room's age; the actions and the state are the snapshot's own bytes,
// which json.Marshal would have copied unchanged (a snapshot holds them
// compact and escaped as it writes them, the state as base64 made once).
// Nothing after the actions comes from a member (folded_seq, the world
// state, the broker's address, the room's token), so the last mark of
// each is the snapshot's.
func welcomeFrame(room string, w wire.Welcome, actions [][]byte, world []byte) [][]byte {
	if actions != nil {
		w.Actions = json.RawMessage(actionsMark)
	}
	if world != nil {
		w.World = []byte{0} // a placeholder, replaced by the mark below
	}
	body, _ := json.Marshal(w)
	if world != nil {
		// []byte{0} is "AA==" in JSON.
		i := bytes.LastIndex(body, []byte(`"world":"AA=="`))
		body = slices.Concat(body[:i], []byte(`"world":`+worldMark), body[i+len(`"world":"AA=="`):])
	}
	data, _ := json.Marshal(wire.Envelope{Room: room, Kind: wire.KindWelcome, At: w.Now, Body: body})
	if actions == nil && world == nil {
		return [][]byte{data}
	}
	var parts [][]byte
	rest := data
	if actions != nil {
		i := bytes.LastIndex(rest, []byte(actionsMark))
		parts = append(parts, rest[:i])
		parts = append(parts, actions...)
		rest = rest[i+len(actionsMark):]
	}
	if world != nil {
		i := bytes.LastIndex(rest, []byte(worldMark))
		parts = append(parts, rest[:i], world)
		rest = rest[i+len(worldMark):]
	}
	return append(parts, rest)
}

// had is how far a member joining with since has room rm's log: since, or,
// when since is further than this server's copy of the room and than the
// store, the store's last seq (a page of a removed room made again).
func (r *Relay) had(rm *room, since uint64) uint64 {
	rm.mu.Lock()
	here := rm.log.seq
	rm.mu.Unlock()
	if since <= here {
		return since
	}
	ctx, cancel := r.ctx()
	defer cancel()
	if h, err := r.opt.Store.Head(ctx, rm.id); err == nil {
		return min(since, h.Seq)
	}
	return since
}

// startWriter starts a member's writer, which has a task of p.tasks.
func (r *Relay) startWriter(p *peer) {
	r.writers.Add(1)
	go r.write(p)
}

// write sends what waits in a member's queue, corked so that frames
// waiting together leave in one write, until the queue is empty; the next
// frame starts another. It never holds the room's lock.
func (r *Relay) write(p *peer) {
	defer p.tasks.Done()
	var batch [][]byte
	for {
		// What a write in passing left first.
		if err := p.lc.flushPending(); err != nil {
			p.kill(websocket.StatusGoingAway, "write failed")
			return
		}
		welcome, frames := p.out.take(batch)
		if welcome == nil && len(frames) == 0 {
			return
		}
		batch = frames
		p.lc.cork()
		err := r.writeBatch(p, welcome, batch)
		if uerr := p.lc.uncork(); err == nil {
			err = uerr
		}
		clear(batch)
		if err != nil {
			p.kill(websocket.StatusGoingAway, "write failed")
			return
		}
	}
}

// writeInPassing writes what waits for a member from the goroutine that
// delivered it and claimed the member's queue (room.sendInPassing), so a
// delivery reaches an idle member without waking a writer for it. It
// never waits for the member's socket: the frames are gathered and sent
// as far as the socket takes them at once (lightConn.corkIdle and
// uncorkNoWait). When bytes are left, or the connection is busy writing
// already, the member's writer takes over, as it would have started.
func (r *Relay) writeInPassing(p *peer) {
	if !p.lc.corkIdle() {
		r.startWriter(p) // the claim is the writer's now
		return
	}
	welcome, frames := p.out.take(nil)
	err := r.writeBatch(p, welcome, frames) // gathered: nothing waits for the socket
	left, uerr := p.lc.uncorkNoWait()
	if err == nil {
		err = uerr
	}
	switch {
	case err != nil:
		p.kill(websocket.StatusGoingAway, "write failed")
		p.tasks.Done()
	case !left && p.out.release():
		p.tasks.Done()
	default:
		r.startWriter(p) // for what the socket did not take, and what came since
	}
}

// writeBatch writes a welcome (nil: none) and frames.
func (r *Relay) writeBatch(p *peer, welcome, frames [][]byte) error {
	if welcome != nil {
		if err := writeParts(p.ctx, p.conn, r.opt.WriteTimeout, welcome); err != nil {
			return err
		}
	}
	for _, data := range frames {
		wctx, cancel := context.WithTimeout(p.ctx, r.opt.WriteTimeout)
		err := p.conn.Write(wctx, websocket.MessageText, data)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// ping pings a member and drops it if no pong comes within PingEvery,
// unless its reader was held meanwhile: its pong may then wait unread,
// and the server is behind, not the member.
func (r *Relay) ping(p *peer) {
	defer p.tasks.Done()
	defer p.pinging.Store(false)
	holds := p.holds.Load()
	ctx, cancel := context.WithTimeout(p.ctx, r.opt.PingEvery)
	err := p.conn.Ping(ctx)
	cancel()
	if err != nil && p.holds.Load() == holds && !p.held.Load() {
		p.kill(websocket.StatusPolicyViolation, "no answer to ping")
	}
}

// writeParts writes a frame given in parts as one text message.
func writeParts(ctx context.Context, conn *websocket.Conn, timeout time.Duration, parts [][]byte) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if len(parts) == 1 {
		return conn.Write(wctx, websocket.MessageText, parts[0])
	}
	w, err := conn.Writer(wctx, websocket.MessageText)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// read takes what a member sends off its socket until it goes, and
// returns why. A frame is limited when it arrives and waits in the
// member's inbox for drain. When the store is slow and the inbox full,
// read waits too, and the member's sends slow down with it; what piled up
// in the socket meanwhile is then read at once, so the limiter is given
// back the time read spent waiting (credit): a member keeping its pace is
// never taken for a flooder because the server was behind.
func (r *Relay) read(ctx context.Context, rm *room, conn *websocket.Conn, m *member, in *inbox, dead <-chan struct{}) string {
	lim := rate.NewLimiter(rate.Limit(r.opt.Rate), r.opt.Burst)
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != -1 {
				return "closed: " + websocket.CloseStatus(err).String()
			}
			return err.Error()
		}
		r.in.Add(1)
		now := r.opt.Now()
		if !lim.AllowN(now, 1) {
			r.refused.Add(1)
			m.kill(websocket.StatusPolicyViolation, fmt.Sprintf("rate limit: at most %g frames a second", r.opt.Rate))
			return "rate limit"
		}
		if lim.Burst() > r.opt.Burst && lim.TokensAt(now) <= float64(r.opt.Burst) {
			lim.SetBurstAt(now, r.opt.Burst) // the credit is spent
		}
		if typ != websocket.MessageText {
			r.refused.Add(1)
			m.kill(websocket.StatusUnsupportedData, "frames are JSON text")
			return "binary frame"
		}
		e, err := wire.Decode(data)
		if err != nil {
			r.refused.Add(1)
			r.tell(rm, m, err.Error())
			continue
		}
		if !in.full(len(data)) {
			in.push(e, len(data), dead)
			continue
		}
		r.behind.Add(1)
		began := r.opt.Now()
		m.held.Store(true)
		m.holds.Add(1)
		ok := in.push(e, len(data), dead)
		m.held.Store(false)
		if !ok {
			return "dropped while its frames waited for the room"
		}
		waited := r.opt.Now().Sub(began)
		lim.SetBurstAt(began, lim.Burst()+int(waited.Seconds()*r.opt.Rate))
	}
}

// drain hands the room what a member sent, in order, until its inbox is
// empty. When the store cannot take a frame, the member is told to
// reconnect and what waits behind that frame is dropped, with all it sends
// after, so nothing it sent later is logged ahead of what was lost.
func (r *Relay) drain(rm *room, m *member, in *inbox) {
	for {
		e, ok := in.pop()
		if !ok {
			return
		}
		if err := r.handle(rm, m, e); errors.Is(err, ErrUnavailable) {
			m.kill(websocket.StatusTryAgainLater, "storage unavailable, reconnecting")
			in.discard()
		}
	}
}

// handle orders and relays one envelope a member sent, or tells the
// member why not, and returns why not. WebSocket and in-process members
// share it.
func (r *Relay) handle(rm *room, m *member, e wire.Envelope) error {
	var err error
	e.From = m.id
	switch e.Kind {
	case wire.KindHash:
		// Reports are not relayed: the server's replica compares
		// them with its own world.
		if o := r.opt.Observer; o != nil {
			rm.mu.Lock()
			e.Room, e.Seq, e.At = rm.id, rm.log.seq, rm.now()
			o.Envelope(rm.id, e)
			rm.mu.Unlock()
		}
		return nil
	case wire.KindBoard:
		var b wire.Board
		rm.mu.Lock()
		ok := json.Unmarshal(e.Body, &b) == nil && rm.hasDevice(b.Device)
		rm.mu.Unlock()
		if !ok {
			r.refused.Add(1)
			r.tell(rm, m, "a board announcement needs {\"device\":\"ID\"} naming a device of this room")
			return errBadBoard
		}
		_, err = rm.append(e)
	case wire.KindCommand:
		var c wire.Command
		if json.Unmarshal(e.Body, &c) != nil || c.Device == "" {
			r.refused.Add(1)
			r.tell(rm, m, "a command needs {\"device\":\"ID\",\"on\":true|false}")
			return errBadCommand
		}
		rm.mu.Lock()
		_, held := rm.boards[c.Device]
		rm.mu.Unlock()
		if !held {
			err := fmt.Errorf("no browser in this room holds board %q", c.Device)
			r.tell(rm, m, err.Error())
			return err
		}
		_, err = rm.append(e)
	default:
		_, err = rm.admit(e)
	}
	if err != nil {
		r.tell(rm, m, err.Error())
	}
	return err
}

var (
	errBadBoard   = errors.New("a board announcement names no device of this room")
	errBadCommand = errors.New("a command names no device")
)

// hasDevice reports whether a board announcement may name id. Call with
// rm.mu held.
func (rm *room) hasDevice(id string) bool {
	if id == "" || len(id) > sim.MaxIDLen {
		return false
	}
	return rm.door == nil || rm.door.Has(id)
}

// tell sends one member an error envelope, outside the room's log.
func (r *Relay) tell(rm *room, m *member, msg string) {
	body, _ := json.Marshal(wire.Error{Msg: msg})
	data, _ := json.Marshal(wire.Envelope{Room: rm.id, Kind: wire.KindError, Body: body})
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if _, ok := rm.members[m.id]; ok {
		rm.send(m, data)
	}
}

// parseSince reads a join's since= (none: 0).
func parseSince(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
