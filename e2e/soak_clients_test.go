//go:build soak

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/wire"
)

// The clients of the soak: members and witnesses, the slow reader, the
// flooders and the MQTT follower.

// What the members do: one action on each visit, and the senders' actions
// at the rate limit, in turn. Each names a device or link of the open-api
// scene and no tick, so the server schedules it.
const joinAction = `{"kind":"power","device":"meter","on":true}`

var senderActions = []string{
	`{"kind":"power","device":"fan","on":false}`,
	`{"kind":"power","device":"fan","on":true}`,
	`{"kind":"cut","link":"internet"}`,
	`{"kind":"restore","link":"internet"}`,
	`{"kind":"set","device":"meter","key":"label","text":"Hall meter"}`,
}

// floodAction is what the WebSocket and REST flooders send: valid, so
// what gets through their limits is logged.
const floodAction = `{"kind":"power","device":"air","on":true}`

// soakRoom is one room of the soak and what its members saw of its log.
type soakRoom struct {
	n         int // 1, 2, …: room 1 holds the crowd
	id, token string
	witness   *soakMember

	mu       sync.Mutex
	log      []seen          // by seq: the first member's view of each envelope; zero where none saw it
	flooders map[string]bool // the member ids the WebSocket flooder had here
}

// seen is an envelope as a member saw it: a hash of the whole, and of the
// body of an action or reading (zero for other kinds).
type seen struct{ env, body uint64 }

func seenOf(e wire.Envelope) seen {
	h := fnv.New64a()
	var b [64]byte
	head := append(append(append(append(b[:0], e.Kind...), 0), e.From...), 0)
	h.Write(strconv.AppendInt(head, e.At, 10))
	h.Write(e.Body)
	v := seen{env: h.Sum64() | 1}
	if e.Kind == wire.KindAction || e.Kind == wire.KindReading {
		v.body = bodyHash(e.Body)
	}
	return v
}

func bodyHash(body []byte) uint64 {
	h := fnv.New64a()
	h.Write(body)
	return h.Sum64() | 1
}

// record keeps what a member saw at a seq, or checks it against what
// another member saw there.
func (r *soakRoom) record(s *soak, m *soakMember, e wire.Envelope) {
	v := seenOf(e)
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := int(e.Seq) + 1; n > len(r.log) {
		r.log = append(r.log, make([]seen, n-len(r.log))...)
	}
	switch old := r.log[e.Seq]; {
	case old.env == 0:
		r.log[e.Seq] = v
		if r.flooders[e.From] {
			s.flood[floodWS].accepted.Add(1) // an action of the flooder's the room logged
		}
	case old != v:
		s.fail.add("%s saw seq %d of room %d other than another member did", m, e.Seq, r.n)
	}
}

// soakMember is a well-behaved browser: it joins its room, stays a while,
// leaves (with a TCP reset one time in abruptOdds), and comes back with
// since= the last seq it saw. Across all its visits the seqs it sees must
// run on with no gap and no repeat, a welcome's snapshot standing for the
// seqs it folds.
type soakMember struct {
	name    string
	room    *soakRoom
	sender  bool // sends actions at the relay's rate limit while there
	witness bool // sends nothing and never leaves until told
	last    atomic.Uint64
}

func (m *soakMember) String() string { return fmt.Sprintf("%s (room %d)", m.name, m.room.n) }

// member comes and goes until ctx ends.
func (s *soak) member(ctx context.Context, m *soakMember) {
	for pause(ctx, between(awayMin, awayMax)) {
		s.session(ctx, m, between(sessionMin, sessionMax))
	}
}

// pause waits d; it reports false when ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func between(lo, hi time.Duration) time.Duration { return lo + rand.N(hi-lo) }

// session is one visit of a member: it stays for length (0: until ctx
// ends), then leaves.
func (s *soak) session(ctx context.Context, m *soakMember, length time.Duration) {
	query := "room=" + m.room.id
	if last := m.last.Load(); last > 0 {
		query += "&since=" + strconv.FormatUint(last, 10)
	}
	jctx, cancel := context.WithTimeout(ctx, joinTimeout)
	c, tcp, welcome, err := dialFrom(jctx, nil, s.base, query)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			s.fail.add("%s could not join: %v", m, err)
		}
		return
	}
	s.joins.Add(1)
	m.welcome(s, welcome)

	var leaving atomic.Bool
	read := make(chan struct{})
	go func() {
		defer close(read)
		if err := m.read(s, c); !leaving.Load() {
			s.fail.add("%s was cut off: %v", m, err)
		}
	}()
	stop, wrote := make(chan struct{}), make(chan struct{})
	wctx, leave := context.WithCancel(context.Background())
	defer leave()
	go func() {
		defer close(wrote)
		m.write(wctx, s, c, stop)
	}()
	var end <-chan time.Time
	if length > 0 {
		timer := time.NewTimer(length)
		defer timer.Stop()
		end = timer.C
	}
	select {
	case <-end:
	case <-ctx.Done():
	case <-read:
	}
	close(stop)
	select {
	case <-wrote:
		leaving.Store(true)
	case <-time.After(writeTimeout):
		// A send is still waiting for the server to read: the member
		// leaves as a tab closes, taking the socket down with its send.
		leaving.Store(true)
		leave()
		<-wrote
	}
	if ctx.Err() == nil && rand.N(abruptOdds) == 0 {
		s.abrupt.Add(1)
		tcp.SetLinger(0) // the close sends a reset, not a FIN
		tcp.Close()
		c.CloseNow()
	} else {
		c.Close(websocket.StatusNormalClosure, "")
	}
	<-read
}

// welcome takes the log a welcome carries after the member's last seq.
// It is read in one pass, its actions (the room's whole history, which a
// page would replay) skipped: a member does no work that grows with the
// room's age, so a long soak does not starve its own clients.
func (m *soakMember) welcome(s *soak, data []byte) {
	var e struct {
		Body struct {
			Seq       uint64
			Log       []wire.Envelope
			FoldedSeq uint64 `json:"folded_seq"`
		}
	}
	if err := json.Unmarshal(data, &e); err != nil {
		s.fail.add("%s got a welcome it cannot read: %v", m, err)
		return
	}
	w := &e.Body
	if w.FoldedSeq > 0 {
		// The log up to FoldedSeq comes folded into the snapshot the
		// member rebuilds its world from.
		if last := m.last.Load(); w.FoldedSeq <= last {
			s.fail.add("%s asked for the log after seq %d and got a snapshot up to %d", m, last, w.FoldedSeq)
		} else {
			m.last.Store(w.FoldedSeq)
			s.snapshots.Add(1)
		}
	}
	for _, le := range w.Log {
		m.see(s, le)
	}
	if last := m.last.Load(); w.Seq != last {
		s.fail.add("%s got a welcome at seq %d whose log ends at seq %d", m, w.Seq, last)
		if w.Seq > last {
			s.lost.Add(int64(w.Seq - last))
			m.last.Store(w.Seq)
		}
	}
}

// read takes what the room sends until the connection ends, and says why
// it ended.
func (m *soakMember) read(s *soak, c *websocket.Conn) error {
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return err
		}
		var e wire.Envelope
		if err := json.Unmarshal(data, &e); err != nil {
			s.fail.add("%s got a frame it cannot read: %v: %.200s", m, err, data)
			continue
		}
		m.see(s, e)
	}
}

// see checks that an envelope follows the last one the member saw, and
// records it.
func (m *soakMember) see(s *soak, e wire.Envelope) {
	last := m.last.Load()
	switch {
	case e.Kind == wire.KindError:
		s.fail.add("%s was refused: %s", m, e.Body)
		return
	case e.Seq == 0:
		s.fail.add("%s got an envelope without a seq: %+v", m, e)
		return
	case e.Seq <= last:
		s.dups.Add(1)
		s.fail.add("%s got seq %d again, after seq %d", m, e.Seq, last)
		return
	case e.Seq > last+1:
		s.lost.Add(int64(e.Seq - last - 1))
		s.fail.add("%s missed seqs %d to %d", m, last+1, e.Seq-1)
	}
	m.last.Store(e.Seq)
	s.delivered.Add(1)
	m.room.record(s, m, e)
}

// write sends what a member does while there, until stop: an action on
// joining and, for a sender, actions at the relay's rate limit. A send
// waits as long as the server takes to read it, as a browser's does (its
// WebSocket buffers and never gives up on a send): the server slows a
// member's reading while the room's store is behind, and a deadline here
// would have the client close its own connection and call it the
// server's. How long a send waited is kept (longestSend); ctx ends one
// still waiting when the member leaves.
func (m *soakMember) write(ctx context.Context, s *soak, c *websocket.Conn, stop <-chan struct{}) {
	if m.witness {
		return
	}
	send := func(body string) bool {
		began := time.Now()
		err := c.Write(ctx, websocket.MessageText, []byte(`{"kind":"action","body":`+body+`}`))
		s.sent(time.Since(began))
		return err == nil
	}
	if !send(joinAction) || !m.sender {
		return
	}
	tick := time.NewTicker(time.Second / relay.DefaultRate)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
			if !send(senderActions[i%len(senderActions)]) {
				return // the reader says why
			}
		}
	}
}

// slowReader joins room 2 and never reads again, as a frozen tab: the
// server must drop it, its queue full or its ping unanswered. When the
// room no longer lists it, another takes its place.
func (s *soak) slowReader(ctx context.Context) {
	r := s.rooms[1]
	for ctx.Err() == nil {
		c, _, welcome, err := dialFrom(ctx, nil, s.base, "room="+r.id)
		if err != nil {
			if ctx.Err() == nil {
				s.fail.add("the slow reader could not join: %v", err)
			}
			return
		}
		s.slowJoined.Add(1)
		var e wire.Envelope
		var w wire.Welcome
		json.Unmarshal(welcome, &e)
		json.Unmarshal(e.Body, &w)
		gone := s.waitGone(ctx, r, w.You)
		c.CloseNow()
		switch {
		case gone:
			s.slowDropped.Add(1)
		case ctx.Err() == nil:
			s.fail.add("the slow reader %s of room %d was not dropped within %v", w.You, r.n, slowDropWithin)
			return
		}
	}
}

// waitGone asks room r every slowPoll whether it still lists member you,
// for slowDropWithin at most; it reports whether the member went.
func (s *soak) waitGone(ctx context.Context, r *soakRoom, you string) bool {
	poll := time.NewTicker(slowPoll)
	defer poll.Stop()
	deadline := time.NewTimer(slowDropWithin)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-poll.C:
		}
		info, err := readRoom(s.base, r.id)
		if err != nil {
			s.fail.add("ask room %d for its members: %v", r.n, err)
			return false
		}
		if !slices.Contains(info.Members, you) {
			return true
		}
	}
}

// flooder runs flood every floodEvery, on each room in turn, until ctx
// ends.
func (s *soak) flooder(ctx context.Context, flood func(context.Context, *soakRoom)) {
	tick := time.NewTicker(floodEvery)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		flood(ctx, s.rooms[i%len(s.rooms)])
	}
}

// wsFlood joins room r and sends floodSize actions back to back, over the
// relay's rate: the server must cut it off, saying why.
func (s *soak) wsFlood(ctx context.Context, r *soakRoom) {
	f := &s.flood[floodWS]
	c, _, welcome, err := dialFrom(ctx, wsFloodIP, s.base, "room="+r.id)
	if err != nil {
		if ctx.Err() == nil {
			s.fail.add("the WebSocket flooder could not join room %d: %v", r.n, err)
		}
		return
	}
	defer c.CloseNow()
	var e wire.Envelope
	var w wire.Welcome
	json.Unmarshal(welcome, &e)
	json.Unmarshal(e.Body, &w)
	r.mu.Lock()
	r.flooders[w.You] = true
	r.mu.Unlock()
	frame := []byte(`{"kind":"action","body":` + floodAction + `}`)
	for range floodSize {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := c.Write(wctx, websocket.MessageText, frame)
		cancel()
		if err != nil {
			break
		}
		f.sent.Add(1)
	}
	// What the room still sends ends with the server cutting the flooder
	// off: a close frame saying why, or on a busy machine, where the close
	// handshake may time out, the connection's end. The members count
	// what the room logged of the flood.
	rctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	for {
		_, _, err := c.Read(rctx)
		switch {
		case err == nil:
			continue
		case rctx.Err() != nil:
			if ctx.Err() == nil {
				s.fail.add("the WebSocket flooder in room %d was not cut off within %v", r.n, joinTimeout)
			}
		case websocket.CloseStatus(err) == websocket.StatusPolicyViolation:
			f.refused.Add(1)
		default:
			f.refused.Add(1)
			f.unsaid.Add(1)
		}
		return
	}
}

// fromAddress is an HTTP client whose connections come from local.
func fromAddress(local net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: joinTimeout}
}

// restFlood posts floodSize actions to room r back to back, over the API's
// rate for one address: the server must answer 429 past it.
func (s *soak) restFlood(ctx context.Context, hc *http.Client, r *soakRoom) {
	f := &s.flood[floodREST]
	for range floodSize {
		req, _ := http.NewRequestWithContext(ctx, "POST", s.base+"api/rooms/"+r.id+"/actions", strings.NewReader(floodAction))
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				s.fail.add("the REST flooder on room %d: %v", r.n, err)
			}
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		f.sent.Add(1)
		switch res.StatusCode {
		case http.StatusAccepted:
			f.accepted.Add(1)
		case http.StatusTooManyRequests:
			f.refused.Add(1)
		default:
			s.fail.add("the REST flooder on room %d got %d", r.n, res.StatusCode)
			return
		}
	}
}

// mqttConnect connects a paho client (MQTT 5) from local (nil: any
// address) to room r with its credentials; received, when set, is told of
// every message.
func (s *soak) mqttConnect(ctx context.Context, local net.IP, id string, r *soakRoom, received func()) (*paho.Client, *net.TCPConn, error) {
	d := &net.Dialer{}
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	conn, err := d.DialContext(ctx, "tcp", s.mqttAddr)
	if err != nil {
		return nil, nil, err
	}
	cfg := paho.ClientConfig{ClientID: id, Conn: conn}
	if received != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){func(paho.PublishReceived) (bool, error) {
			received()
			return true, nil
		}}
	}
	cl := paho.NewClient(cfg)
	cctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if _, err := cl.Connect(cctx, &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30,
		UsernameFlag: true, Username: r.id, PasswordFlag: true, Password: []byte(r.token)}); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("connect to room %d: %w", r.n, err)
	}
	return cl, conn.(*net.TCPConn), nil
}

// reasonQuotaExceeded is MQTT 5's reason code for a publish over a limit.
const reasonQuotaExceeded = 0x97

// mqttFlood publishes floodSize commands to room r's fan back to back, at
// QoS 1 so that each is answered: past the broker's limit per client the
// answer is quota exceeded.
func (s *soak) mqttFlood(ctx context.Context, r *soakRoom) {
	f := &s.flood[floodMQTT]
	cl, _, err := s.mqttConnect(ctx, mqttFloodIP, "flooder", r, nil)
	if err != nil {
		if ctx.Err() == nil {
			s.fail.add("the MQTT flooder: %v", err)
		}
		return
	}
	defer cl.Disconnect(&paho.Disconnect{})
	for i := range floodSize {
		pctx, cancel := context.WithTimeout(ctx, joinTimeout)
		pr, err := cl.Publish(pctx, &paho.Publish{Topic: "thingyard/" + r.id + "/fan/set", Payload: []byte([]string{"on", "off"}[i%2]), QoS: 1})
		unanswered := pctx.Err() != nil
		cancel()
		f.sent.Add(1)
		switch {
		case err == nil:
			f.accepted.Add(1)
		case pr != nil && pr.ReasonCode == reasonQuotaExceeded:
			f.refused.Add(1)
		case ctx.Err() != nil:
			return
		case unanswered:
			s.fail.add("the MQTT flooder on room %d: a publish unanswered after %v", r.n, joinTimeout)
			return
		default:
			s.fail.add("the MQTT flooder on room %d: %v", r.n, err)
			return
		}
	}
}

// mqttFollower follows room 1, the crowd, over MQTT as a dashboard would.
// Every mqttKillEvery it is killed (its TCP connection reset, no
// DISCONNECT) and connects again; each connection must get the room's
// readings.
func (s *soak) mqttFollower(ctx context.Context) {
	r := s.rooms[0]
	kill := time.NewTicker(mqttKillEvery)
	defer kill.Stop()
	for {
		var got atomic.Int64
		cl, tcp, err := s.mqttConnect(ctx, nil, "dashboard", r, func() { got.Add(1); s.mqttMsgs.Add(1) })
		if err != nil {
			if ctx.Err() == nil {
				s.fail.add("the MQTT follower: %v", err)
			}
			return
		}
		s.mqttConnects.Add(1)
		sctx, cancel := context.WithTimeout(ctx, joinTimeout)
		sa, err := cl.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "thingyard/" + r.id + "/#"}}})
		cancel()
		if err != nil || sa.Reasons[0] >= 0x80 {
			if ctx.Err() == nil {
				s.fail.add("the MQTT follower's subscription: %v %+v", err, sa)
			}
			cl.Disconnect(&paho.Disconnect{})
			return
		}
		select {
		case <-ctx.Done():
			cl.Disconnect(&paho.Disconnect{})
			return
		case <-kill.C:
		}
		if got.Load() == 0 {
			s.fail.add("the MQTT follower got nothing from room 1 in %v", mqttKillEvery)
		}
		tcp.SetLinger(0)
		tcp.Close()
		select {
		case <-cl.Done():
		case <-time.After(joinTimeout):
			s.fail.add("the MQTT follower's client did not stop within %v of its connection's reset", joinTimeout)
			return
		}
	}
}
