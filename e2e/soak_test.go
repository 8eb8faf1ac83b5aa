//go:build soak

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// The soak's sizes and pacing. The server runs with its default limits
// but for -max-members.
const (
	soakMembers    = 500 // simulated members, besides a witness per room
	soakRooms      = 5   // rooms they share; the first grows to the device budget
	soakMaxMembers = 120 // -max-members: a room's 100 members, its witness, the slow reader, a flooder

	sessionMin = 20 * time.Second // a member stays between sessionMin
	sessionMax = 2 * time.Minute  // and sessionMax,
	awayMin    = time.Second      // then is away between awayMin
	awayMax    = 5 * time.Second  // and awayMax
	abruptOdds = 3                // one leave in abruptOdds is a TCP reset

	floodEvery    = 10 * time.Second // each flooder floods this often,
	floodSize     = 500              // this many requests back to back
	mqttKillEvery = time.Minute      // the MQTT follower is killed this often
	figureEvery   = time.Minute      // figures are printed this often

	joinTimeout  = 30 * time.Second // a join, or an MQTT connection, takes at most this
	writeTimeout = 10 * time.Second // a flooder's frame; how long a leaving member waits for a send still pending
	drainTimeout = 2 * time.Minute  // once the clients stop, the server frees everything within this
	// slowDropWithin is how long a reader that never reads may stay: a
	// ping period, the ping's unanswered wait and a period to spare.
	slowDropWithin = 3 * relay.DefaultPingEvery
	slowPoll       = 5 * time.Second // how often the room is asked whether it dropped the slow reader
)

// The flooders' addresses: each stands for a machine of its own, so the
// server's limits per address keep it from hurting the others.
var (
	wsFloodIP   = net.IPv4(127, 0, 0, 2)
	restFloodIP = net.IPv4(127, 0, 0, 3)
	mqttFloodIP = net.IPv4(127, 0, 0, 4)
)

// The soak's kinds of flood.
const (
	floodWS = iota
	floodREST
	floodMQTT
)

var floodNames = [...]string{"WebSocket", "REST", "MQTT"}

// soak is one run: the server, its rooms, and what every client counted.
type soak struct {
	base     string // the server's URL, ending in /
	mqttAddr string
	rooms    []*soakRoom
	fail     failures

	joins, abrupt, snapshots atomic.Int64 // members' visits, resets, welcomes that resumed from a snapshot
	delivered, lost, dups    atomic.Int64 // envelopes the well-behaved members got, missed, got twice
	slowJoined, slowDropped  atomic.Int64
	mqttConnects, mqttMsgs   atomic.Int64 // the MQTT follower's
	flood                    [3]floodCounts
	longestSend              atomic.Int64 // nanoseconds a member's send waited for the server to read it, at the most
}

// sent records how long a member's send waited.
func (s *soak) sent(waited time.Duration) {
	for {
		old := s.longestSend.Load()
		if int64(waited) <= old || s.longestSend.CompareAndSwap(old, int64(waited)) {
			return
		}
	}
}

// floodCounts are what one flooder did and what came of it.
type floodCounts struct {
	sent, accepted, refused atomic.Int64
	unsaid                  atomic.Int64 // refusals that came without their reason
}

// TestSoak is make soak: the real binary under 500 members joining and
// leaving a handful of rooms, actions at the rate limit, a slow reader, a
// flooder on every surface, a room at the device budget and an MQTT client
// killed every minute, for THINGYARD_SOAK (30m by default). At the end the
// well-behaved members lost and repeated no envelope, the rooms' logs are
// what they saw, the server's open files and goroutines are back at their
// baseline, and its memory stayed within twice its first minute's. A full
// run writes the Soak section of docs/benchmarks.md.
func TestSoak(t *testing.T) {
	dur := soakDuration(t)
	watchdog := time.AfterFunc(dur+30*time.Minute, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("soak: still running %v after a soak of %v", dur+30*time.Minute, dur))
	})
	defer watchdog.Stop()

	if err := os.MkdirAll("out", 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := "out/soak-server.log"
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	mqttAddr := "127.0.0.1:" + freePort(t)
	pprofAddr := "127.0.0.1:" + freePort(t)
	args := []string{"-addr", "127.0.0.1:0", "-mqtt", mqttAddr, "-max-members", strconv.Itoa(soakMaxMembers), "-pprof", pprofAddr}
	srv, base, err := startServerLog(binary, logFile, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	pid := srv.Process.Pid

	s := &soak{base: base, mqttAddr: mqttAddr, fail: failures{t: t}}
	defer s.fail.close() // before the server stops, which the clients would see
	s.makeRooms(t)
	s.growCrowd(t)
	files0, gor0 := openFiles(t, pid), int(serverMetric(t, base, "go_goroutines"))
	t.Logf("soak of %v; the server (pid %d, log in e2e/%s) before any client: %d open files, %d goroutines", dur, pid, logPath, files0, gor0)

	wctx, stopWitnesses := context.WithCancel(context.Background())
	defer stopWitnesses()
	var witnesses sync.WaitGroup
	for _, r := range s.rooms {
		witnesses.Go(func() { s.session(wctx, r.witness, 0) })
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var clients sync.WaitGroup
	for n := range soakMembers {
		// The first member of each room sends at the rate limit.
		m := &soakMember{name: fmt.Sprintf("member %d", n), room: s.rooms[n%soakRooms], sender: n < soakRooms}
		clients.Go(func() { s.member(ctx, m) })
	}
	clients.Go(func() { s.slowReader(ctx) })
	clients.Go(func() { s.mqttFollower(ctx) })
	clients.Go(func() { s.flooder(ctx, s.wsFlood) })
	restClient := fromAddress(restFloodIP)
	clients.Go(func() { s.flooder(ctx, func(ctx context.Context, r *soakRoom) { s.restFlood(ctx, restClient, r) }) })
	clients.Go(func() { s.flooder(ctx, s.mqttFlood) })

	start := time.Now()
	var rows []soakFigures
	tick := time.NewTicker(figureEvery)
	for time.Since(start) < dur {
		<-tick.C
		f := s.figures(t, pid, time.Since(start))
		rows = append(rows, f)
		t.Log(f)
		saveHeapProfile(t, pprofAddr, fmt.Sprintf("out/soak-heap-%dm.pb.gz", len(rows)))
	}
	tick.Stop()

	// The clients leave, normally; each room keeps its witness, which has
	// seen the room's whole log.
	stop()
	waitGroup(t, &clients, "the members, flooders and followers to stop")
	restClient.CloseIdleConnections()
	compared := 0
	for _, r := range s.rooms {
		var final uint64
		testkit.EventuallySays(t, drainTimeout, func() (bool, string) {
			info := getRoom(t, base, r.id)
			final = info.Seq
			return len(info.Members) == 1 && r.witness.last.Load() == final,
				fmt.Sprintf("room %d holds %v at seq %d; its witness saw up to %d", r.n, info.Members, final, r.witness.last.Load())
		})
		compared += s.compareLog(t, r, final)
	}
	stopWitnesses()
	waitGroup(t, &witnesses, "the witnesses to leave")

	var conns, mqttClients float64
	var files, gor int
	testkit.EventuallySays(t, drainTimeout, func() (bool, string) {
		conns, mqttClients = serverMetric(t, base, "thingyard_connections"), serverMetric(t, base, "thingyard_mqtt_clients")
		files, gor = openFiles(t, pid), int(serverMetric(t, base, "go_goroutines"))
		return conns == 0 && mqttClients == 0 && files <= files0 && gor <= gor0,
			fmt.Sprintf("%v WebSocket connections, %v MQTT clients, %d open files (%d before), %d goroutines (%d before)", conns, mqttClients, files, files0, gor, gor0)
	})
	drained := s.figures(t, pid, time.Since(start))
	t.Logf("%v (drained)", drained)
	saveHeapProfile(t, pprofAddr, "out/soak-heap-drained.pb.gz")

	res := soakResult{dur: dur, rows: rows, drained: drained, files0: files0, gor0: gor0, compared: compared,
		serverLog: summarizeLog(t, logPath)}
	res.judge(s)
	for _, line := range strings.Split(res.summary(s), "\n") {
		t.Log(line)
	}
	if dur >= 30*time.Minute {
		s.writeDoc(t, res, args)
	} else {
		t.Logf("a soak shorter than 30m leaves docs/benchmarks.md alone")
	}
	for _, v := range res.verdicts {
		t.Error(v)
	}
}

// soakDuration is THINGYARD_SOAK (default 30m), in whole figure periods.
func soakDuration(t *testing.T) time.Duration {
	v := os.Getenv("THINGYARD_SOAK")
	if v == "" {
		return 30 * time.Minute
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("THINGYARD_SOAK=%q (make soak SOAK=…): %v; write it as 30m or 2h", v, err)
	}
	if d < 2*figureEvery {
		t.Fatalf("THINGYARD_SOAK=%v: a soak runs at least %v, as its memory is compared with its first minute's", d, 2*figureEvery)
	}
	return d
}

// waitGroup waits for a group of goroutines, failing the test when they take
// longer than drainTimeout.
func waitGroup(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		t.Fatalf("waited %v for %s", drainTimeout, what)
	}
}

// failures collects what went wrong in the soak's goroutines: the first
// ones are logged as they happen, all are counted, and the test fails
// with them at the end.
type failures struct {
	t      *testing.T
	mu     sync.Mutex
	n      int
	first  []string
	closed bool // the test is over: what the clients still see is not told
}

// failuresShown is how many failures are logged one by one.
const failuresShown = 20

func (f *failures) add(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.n++
	if len(f.first) < failuresShown {
		f.first = append(f.first, msg)
		f.t.Log("FAIL: " + msg)
	}
}

func (f *failures) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
}

func (f *failures) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// roomInfo is what GET /api/rooms/{id} says of a room.
type roomInfo struct {
	Seq     uint64
	Members []string
	Token   string
}

// getRoom reads a room through the REST API, which also brings the
// server's replica of it up to date, as a browser's hash report would.
func getRoom(t *testing.T, base, id string) roomInfo {
	t.Helper()
	info, err := readRoom(base, id)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// readRoom is getRoom for the soak's goroutines: it returns its error.
func readRoom(base, id string) (roomInfo, error) {
	var info roomInfo
	res, err := noKeepAlive.Get(base + "api/rooms/" + id)
	if err != nil {
		return info, err
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil || res.StatusCode != http.StatusOK {
		return info, fmt.Errorf("GET /api/rooms/%s: %d %v", id, res.StatusCode, err)
	}
	return info, nil
}

// makeRooms makes the soak's rooms of the open-api scene, each with its
// witness.
func (s *soak) makeRooms(t *testing.T) {
	for i := range soakRooms {
		status, p := post(t, s.base+"rooms", "application/json", `{"scene":"open-api"}`)
		id, _ := p["id"].(string)
		if status != http.StatusCreated || id == "" {
			t.Fatalf("make room %d: %d %v", i+1, status, p)
		}
		r := &soakRoom{n: i + 1, id: id, token: getRoom(t, s.base, id).Token, flooders: map[string]bool{}}
		r.witness = &soakMember{name: fmt.Sprintf("the witness of room %d", r.n), room: r, witness: true}
		s.rooms = append(s.rooms, r)
	}
}

// growCrowd adds crowds of sensors to room 1 until its world holds the
// device budget, checks that one more is refused, and that the server's
// replica of the room holds them all.
func (s *soak) growCrowd(t *testing.T) {
	r := s.rooms[0]
	actions := s.base + "api/rooms/" + r.id + "/actions"
	add := func(n int) (int, map[string]any) {
		return post(t, actions, "application/json", fmt.Sprintf(`{"kind":"add","link":"net","device_kind":"sensor","count":%d}`, n))
	}
	sc, err := scenes.Builtin("open-api")
	if err != nil {
		t.Fatal(err)
	}
	for have := len(sc.Devices); have < sim.MaxDevices; {
		n := min(sim.MaxAddCount, sim.MaxDevices-have)
		if status, p := add(n); status != http.StatusAccepted {
			t.Fatalf("add %d sensors to room 1: %d %v", n, status, p)
		}
		have += n
	}
	if status, p := add(1); status != http.StatusUnprocessableEntity || p["field"] != "count" {
		t.Fatalf("a sensor past the budget of %d devices: %d %v, want 422 on count", sim.MaxDevices, status, p)
	}
	testkit.EventuallySays(t, time.Minute, func() (bool, string) {
		res, err := noKeepAlive.Get(s.base + "api/rooms/" + r.id + "/devices")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ Devices []json.RawMessage }
		json.NewDecoder(res.Body).Decode(&out)
		return len(out.Devices) == sim.MaxDevices, fmt.Sprintf("room 1 shows %d devices (%d), want %d", len(out.Devices), res.StatusCode, sim.MaxDevices)
	})
}

// compareLog reads room r's log through its event stream from since=0
// (the latest snapshot of its actions, then every envelope after it) up
// to seq final, and compares it with what the members saw. It returns how
// many envelopes it compared.
func (s *soak) compareLog(t *testing.T, r *soakRoom, final uint64) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"api/rooms/"+r.id+"/events?since=0", nil)
	res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("room %d's event stream: %d", r.n, res.StatusCode)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if uint64(len(r.log)) != final+1 {
		s.fail.add("room %d's log runs to seq %d; the members saw up to %d", r.n, final, len(r.log)-1)
		return 0
	}
	for seq, e := range r.log[1:] {
		if e.env == 0 {
			s.fail.add("no member of room %d saw seq %d", r.n, seq+1)
		}
	}
	compared := 0
	differ := func(format string, args ...any) {
		s.fail.add("room %d's log differs from what its members saw: %s", r.n, fmt.Sprintf(format, args...))
	}
	br := bufio.NewReader(res.Body)
	var id, snapSeq uint64
	var event, data string
	for done := false; !done; {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("room %d's event stream ended at seq %d of %d: %v", r.n, id, final, err)
		}
		line = strings.TrimSuffix(line, "\n")
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id, _ = strconv.ParseUint(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = v
		}
		if line != "" || event == "" {
			continue
		}
		switch event {
		case "snapshot":
			var snap struct {
				Seq      uint64
				WorldSeq uint64 `json:"world_seq"`
				Actions  []json.RawMessage
			}
			if err := json.Unmarshal([]byte(data), &snap); err != nil || snap.WorldSeq > snap.Seq {
				t.Fatalf("room %d's snapshot: %v (world state up to seq %d, snapshot up to %d)", r.n, err, snap.WorldSeq, snap.Seq)
			}
			// The snapshot holds the actions up to its seq, in order: those
			// after its world state when the log was folded into one.
			var saw []uint64
			for _, e := range r.log[snap.WorldSeq+1 : snap.Seq+1] {
				if e.body != 0 {
					saw = append(saw, e.body)
				}
			}
			if len(saw) != len(snap.Actions) {
				differ("its snapshot from seq %d to %d holds %d actions; the members saw %d", snap.WorldSeq, snap.Seq, len(snap.Actions), len(saw))
			}
			for i, a := range snap.Actions {
				if i < len(saw) && bodyHash(a) != saw[i] {
					differ("action %d of its snapshot is %s", i+1, a)
				}
			}
			compared += int(snap.Seq)
			snapSeq = snap.Seq
		default:
			var e wire.Envelope
			if err := json.Unmarshal([]byte(data), &e); err != nil || e.Seq != id || e.Seq > final {
				t.Fatalf("room %d's event %d: %v %.200s", r.n, id, err, data)
			}
			if seenOf(e) != r.log[e.Seq] {
				differ("seq %d is %.200s", e.Seq, data)
			}
			compared++
		}
		event, data = "", ""
		done = id >= final
	}
	t.Logf("room %d: its event stream from since=0, a snapshot up to seq %d and the %d envelopes after it, agrees with what its members saw up to seq %d", r.n, snapSeq, compared-int(snapSeq), final)
	return compared
}

// saveHeapProfile keeps the server's heap profile (as of its last garbage
// collection, which it does not force) in file, for go tool pprof -base:
// the difference between two minutes' is what the server came to hold.
func saveHeapProfile(t *testing.T, pprofAddr, file string) {
	t.Helper()
	res, err := noKeepAlive.Get("http://" + pprofAddr + "/debug/pprof/heap")
	if err != nil {
		t.Errorf("heap profile: %v", err)
		return
	}
	defer res.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, res.Body); err != nil {
		t.Errorf("heap profile: %v", err)
	}
}
