package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

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
		problem(w, http.StatusBadRequest, "since must be a sequence number: "+err.Error())
		return
	}
	if !validRoomID(id) {
		r.refused.Add(1)
		problem(w, http.StatusBadRequest, "room must be 8 to 64 letters, digits, - or _")
		return
	}
	rm, err := r.room(id, scene)
	if err != nil {
		r.refused.Add(1)
		status := http.StatusServiceUnavailable
		if errors.Is(err, ErrNoRoom) {
			status = http.StatusNotFound
		} else if errors.Is(err, ErrBadScene) {
			status = http.StatusUnprocessableEntity
		}
		problem(w, status, err.Error())
		return
	}
	rm.mu.Lock()
	full := len(rm.members) >= r.opt.MaxMembers
	rm.mu.Unlock()
	if full {
		r.refused.Add(1)
		problem(w, http.StatusServiceUnavailable, fmt.Sprintf("%v: %d members at most", ErrFull, r.opt.MaxMembers))
		return
	}
	conn, err := websocket.Accept(w, req, &websocket.AcceptOptions{OriginPatterns: r.opt.OriginPatterns})
	if err != nil {
		r.refused.Add(1)
		r.log.Info("websocket refused", "room", id, "origin", req.Header.Get("Origin"), "err", err)
		return // Accept wrote the response (403 for a foreign Origin)
	}
	conn.SetReadLimit(wire.MaxFrame)
	r.serve(req.Context(), rm, conn, since)
}

// room finds a room, creating it for a first join that names a scene.
func (r *Relay) room(id, scene string) (*room, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rm, ok := r.rooms[id]; ok {
		return rm, nil
	}
	if scene == "" {
		return nil, fmt.Errorf("%w %q: make one with POST /rooms, or join with a scene", ErrNoRoom, id)
	}
	if !r.validScene(scene) {
		return nil, fmt.Errorf("%w %q", ErrBadScene, scene)
	}
	if len(r.rooms) >= r.opt.MaxRooms {
		return nil, fmt.Errorf("%w (%d)", ErrTooMany, r.opt.MaxRooms)
	}
	rm := newRoom(id, scene, r.opt.Now(), r)
	r.rooms[id] = rm
	return rm, nil
}

func (r *Relay) serve(ctx context.Context, rm *room, conn *websocket.Conn, since uint64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := &member{out: newQueue(r.opt.QueueLen)}
	var closing = make(chan struct{})
	var once bool
	m.kill = func(code websocket.StatusCode, reason string) {
		if once {
			return
		}
		once = true
		close(closing)
		go conn.Close(code, reason)
	}

	r.join(rm, m, since)
	r.log.Info("member joined", "room", rm.id, "member", m.id, "since", since)

	go r.write(ctx, conn, m, closing)
	reason := r.read(ctx, rm, conn, m)

	rm.mu.Lock()
	rm.leave(m)
	rm.mu.Unlock()
	r.log.Info("member left", "room", rm.id, "member", m.id, "reason", reason)
}

// join makes m a member of rm: it gets an id, the welcome first in its
// queue, and the room hears of it.
func (r *Relay) join(rm *room, m *member, since uint64) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.nextID++
	m.id = "m" + strconv.Itoa(rm.nextID)
	rm.members[m.id] = m
	welcome := wire.Welcome{Room: rm.id, Scene: rm.scene, You: m.id, Seq: rm.store.Seq(), Now: rm.now(),
		Members: rm.memberIDs(), Log: rm.store.Since(since), MQTT: r.opt.MQTT}
	if r.opt.MQTT != "" {
		welcome.Token = r.Token(rm.id)
	}
	if since == 0 && r.opt.Folder != nil && len(welcome.Log) >= r.opt.FoldAfter {
		r.fold(rm, &welcome)
	}
	body, _ := json.Marshal(welcome)
	data, _ := json.Marshal(wire.Envelope{Room: rm.id, Kind: wire.KindWelcome, At: welcome.Now, Body: body})
	m.out.push(data) // the queue is empty: the welcome is first
	pres, _ := json.Marshal(wire.Presence{Member: m.id, Joined: true, Members: welcome.Members})
	rm.publish(wire.Envelope{Kind: wire.KindPresence, From: m.id, Body: pres}, "")
}

// write sends a member's queue and pings; it never holds the room's lock.
func (r *Relay) write(ctx context.Context, conn *websocket.Conn, m *member, closing chan struct{}) {
	ping := time.NewTicker(r.opt.PingEvery)
	defer ping.Stop()
	var batch [][]byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-closing:
			return
		case <-m.out.ready:
			batch = m.out.take(batch)
			for i, data := range batch {
				wctx, cancel := context.WithTimeout(ctx, r.opt.WriteTimeout)
				err := conn.Write(wctx, websocket.MessageText, data)
				cancel()
				batch[i] = nil
				if err != nil {
					conn.Close(websocket.StatusGoingAway, "write failed")
					return
				}
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, r.opt.PingEvery)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				conn.Close(websocket.StatusPolicyViolation, "no answer to ping")
				return
			}
		}
	}
}

// read handles what a member sends until it goes; it returns why.
func (r *Relay) read(ctx context.Context, rm *room, conn *websocket.Conn, m *member) string {
	tokens, last := float64(r.opt.Burst), r.opt.Now()
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
		tokens = min(float64(r.opt.Burst), tokens+now.Sub(last).Seconds()*r.opt.Rate)
		last = now
		if tokens < 1 {
			r.refused.Add(1)
			conn.Close(websocket.StatusPolicyViolation, fmt.Sprintf("rate limit: at most %g frames a second", r.opt.Rate))
			return "rate limit"
		}
		tokens--
		if typ != websocket.MessageText {
			r.refused.Add(1)
			conn.Close(websocket.StatusUnsupportedData, "frames are JSON text")
			return "binary frame"
		}
		e, err := wire.Decode(data)
		if err != nil {
			r.refused.Add(1)
			r.tell(rm, m, err.Error())
			continue
		}
		r.handle(rm, m, e)
	}
}

// handle orders and relays one envelope a member sent, or tells the
// member why not. WebSocket and in-process members share it.
func (r *Relay) handle(rm *room, m *member, e wire.Envelope) {
	var err error
	e.From = m.id
	rm.mu.Lock()
	switch e.Kind {
	case wire.KindHash:
		// Reports are not relayed: the server's replica compares
		// them with its own world.
		if o := r.opt.Observer; o != nil {
			e.Room, e.Seq, e.At = rm.id, rm.store.Seq(), rm.now()
			o.Envelope(rm.id, e)
		}
	case wire.KindBoard:
		var b wire.Board
		if json.Unmarshal(e.Body, &b) != nil || b.Device == "" {
			rm.mu.Unlock()
			r.tell(rm, m, "a board announcement needs {\"device\":\"ID\"}")
			return
		}
		rm.boards[b.Device] = m.id
		_, err = rm.publish(e, "")
	case wire.KindCommand:
		var c wire.Command
		if json.Unmarshal(e.Body, &c) != nil || c.Device == "" {
			rm.mu.Unlock()
			r.tell(rm, m, "a command needs {\"device\":\"ID\",\"on\":true|false}")
			return
		}
		holder, ok := rm.boards[c.Device]
		if !ok {
			rm.mu.Unlock()
			r.tell(rm, m, fmt.Sprintf("no browser in this room holds board %q", c.Device))
			return
		}
		_, err = rm.publish(e, holder)
	default:
		if r.opt.Check != nil {
			if err = r.opt.Check(e.Kind, e.Body); err != nil {
				r.refused.Add(1)
				break
			}
		}
		_, err = rm.publish(e, "")
	}
	rm.mu.Unlock()
	if err != nil {
		r.tell(rm, m, err.Error())
	}
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

// fold replaces a fresh joiner's long log by the room's scene with the
// actions among its events. On failure the log goes as it is.
func (r *Relay) fold(rm *room, w *wire.Welcome) {
	var acts []json.RawMessage
	for _, e := range w.Log {
		if e.Kind == wire.KindAction || e.Kind == wire.KindReading {
			acts = append(acts, e.Body)
		}
	}
	y, err := r.opt.Folder.Fold(rm.scene, acts)
	if err != nil {
		r.log.Warn("cannot fold a room's log; sending it whole", "room", rm.id, "err", err)
		return
	}
	w.Folded, w.FoldedSeq, w.Log = y, w.Seq, nil
}
