//go:build bench

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// The Relay section of make bench: Thingyard's relay with its rooms on the
// embedded JetStream (the default) and in memory, beside mosquitto, each
// at a browser's pace and flat out, in one run.

// fanoutResult is what one fan-out measured: deliveries a second and the
// latency from send to receipt.
type fanoutResult struct {
	rate     float64
	p50, p99 time.Duration
	// appendMean is a Thingyard server's mean time to append an envelope
	// to its store, from its /metrics; 0 for mosquitto.
	appendMean time.Duration
	failed     string // why nothing was measured
}

// summarize makes the figures of a fan-out that expected deliveries and
// got the latencies lat in took.
func summarize(lat []time.Duration, expected int, took time.Duration) fanoutResult {
	slices.Sort(lat)
	if len(lat) == 0 {
		return fanoutResult{failed: "nothing was delivered"}
	}
	res := fanoutResult{rate: float64(len(lat)) / took.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}
	if len(lat) < expected {
		res.failed = fmt.Sprintf("%d of %d deliveries arrived", len(lat), expected)
	}
	return res
}

const (
	benchRooms   = 4
	benchMembers = 10
	// benchMsgs is how many actions each room's sender sends at a
	// browser's pace (12 s of them), flatMsgs how many flat out.
	benchMsgs = 300
	flatMsgs  = 2000
	// relayRounds is how many times each relay is measured; the report
	// gives the median, so one run slowed by other work on the machine
	// does not make the figure.
	relayRounds = 3
)

// relayPace keeps one sender under the relay's default limit of 30
// frames a second.
const relayPace = 40 * time.Millisecond

// flatOut lifts a Thingyard server's per-browser rate limit and lets a
// member's queue hold a whole flat-out run.
var flatOut = []string{"-rate", "1000000", "-burst", "1000000", "-queue", "100000"}

// relayPeer is one relay of the comparison: run measures it at a
// browser's pace or flat out.
type relayPeer struct {
	name string
	run  func(t *testing.T, flat bool) fanoutResult
}

// thingyardPeer is the real binary with its rooms kept where store says:
// a fresh server (with an empty store) for every run.
func thingyardPeer(name string, store func(t *testing.T) []string) relayPeer {
	return relayPeer{name, func(t *testing.T, flat bool) fanoutResult {
		args := append([]string{"-addr", "127.0.0.1:0", "-create-rate", "100000"}, store(t)...)
		pace, msgs := relayPace, benchMsgs
		if flat {
			args = append(args, flatOut...)
			pace, msgs = 0, flatMsgs
		}
		srv, url, err := startServer(binary, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
		res := relayFanout(t, url, pace, msgs)
		n, took := serverMetric(t, url, "thingyard_store_appends_total"), serverMetric(t, url, "thingyard_store_append_seconds_total")
		if n > 0 {
			res.appendMean = time.Duration(took / n * 1e9)
		}
		return res
	}}
}

var (
	jetStreamPeer = thingyardPeer("Thingyard, embedded JetStream", func(t *testing.T) []string { return []string{"-data", t.TempDir()} })
	memoryPeer    = thingyardPeer("Thingyard, in memory", func(*testing.T) []string { return []string{"-store", "memory"} })
	mosquittoPeer = relayPeer{"mosquitto", func(t *testing.T, flat bool) fanoutResult {
		if flat {
			return mosquittoFanout(t, 0, flatMsgs)
		}
		return mosquittoFanout(t, relayPace, benchMsgs)
	}}
)

// relayFigures are a peer's median figures at a browser's pace and flat
// out, and the flat-out rate of each run.
type relayFigures struct {
	paced, flat fanoutResult
	flatRuns    []float64
}

// median is the run with the median of each figure; a failed run fails
// the whole.
func median(runs []fanoutResult) fanoutResult {
	var rates []float64
	var p50s, p99s, appends []time.Duration
	for _, r := range runs {
		if r.failed != "" {
			return r
		}
		rates, p50s, p99s, appends = append(rates, r.rate), append(p50s, r.p50), append(p99s, r.p99), append(appends, r.appendMean)
	}
	if len(runs) == 0 {
		return fanoutResult{failed: "not run"}
	}
	slices.Sort(rates)
	for _, d := range [][]time.Duration{p50s, p99s, appends} {
		slices.Sort(d)
	}
	return fanoutResult{rate: rates[len(rates)/2], p50: p50s[len(p50s)/2], p99: p99s[len(p99s)/2], appendMean: appends[len(appends)/2]}
}

// Goals of the JetStream store against the in-memory one (issue: "the room
// log on NATS JetStream").
const (
	goalThroughput = 0.8 // JetStream's flat-out deliveries at least 0.8× memory's
	goalP99        = 2.0 // JetStream's p99 at most 2× memory's
)

func (r *report) relay(t *testing.T) {
	peers := []relayPeer{jetStreamPeer, memoryPeer, mosquittoPeer, natsPeer}
	if mosquittoBinary() == "" {
		t.Logf("mosquitto missing (make deps installs it): no mosquitto baseline")
		peers = slices.Delete(peers, 2, 3)
	}
	// Rounds interleave the peers, so a slow minute on a shared machine
	// falls on all of them.
	paced, flat := make([][]fanoutResult, len(peers)), make([][]fanoutResult, len(peers))
	for range relayRounds {
		for i, p := range peers {
			paced[i] = append(paced[i], p.run(t, false))
			flat[i] = append(flat[i], p.run(t, true))
		}
	}
	figs := make([]relayFigures, len(peers))
	for i := range peers {
		figs[i] = relayFigures{paced: median(paced[i]), flat: median(flat[i])}
		for _, f := range flat[i] {
			figs[i].flatRuns = append(figs[i].flatRuns, f.rate)
		}
	}

	r.line("## Relay\n")
	r.line("%d rooms × %d members; one member per room sends actions and every member, sender included, receives each. At a browser's pace each sender sends %d actions at 25 a second (under the relay's default limit of 30 frames a second per browser); flat out it writes %d as fast as it can, to a server started with its rate limit lifted (`%s`), and deliveries per second is the throughput, latency then including queueing. Latency is from send to receipt (loopback), the receipt timed as each client gets a message, before it reads what is in it; then each client reads the send time from the message's bytes as a number, as mosquitto's do from their payload, since the work one client does after a receipt delays the nine others of its room on a machine of two CPUs (in three runs of each, decoding every Thingyard envelope as JSON put about a fifth on its p99). Thingyard is the real binary with real WebSocket clients (coder/websocket), a fresh server for each run: its rooms on the embedded NATS JetStream (the default, `-data` in a temporary folder) or in memory (`-store memory`). Mosquitto (Debian, MQTT 5, QoS 0, over TCP: Debian's 2.0 stalls on a WebSocket listener) carries the same fan-out with one topic per room, to paho clients. NATS JetStream (nats-server built from the module Thingyard pins, its own process with a file store, one stream with a subject per room, an ordered consumer per member on a connection of its own, senders publishing without waiting for acknowledgements) carries it as a broker that, like Thingyard on JetStream, stores a message before it delivers it. Each figure is the median of %d runs, the relays taking turns.\n",
		benchRooms, benchMembers, benchMsgs, flatMsgs, strings.Join(flatOut, " "), relayRounds)
	r.line("| relay | paced deliveries/s | paced p50 | paced p99 | flat-out deliveries/s | flat-out p50 | flat-out p99 |\n|---|---|---|---|---|---|---|")
	for i, p := range peers {
		r.line("| %s | %s | %s |", p.name, fanoutCells(figs[i].paced), fanoutCells(figs[i].flat))
	}
	r.line("")
	var runs []string
	for i, p := range peers {
		var rs []string
		for _, v := range figs[i].flatRuns {
			rs = append(rs, fmt.Sprintf("%.0f", v))
		}
		runs = append(runs, p.name+" "+strings.Join(rs, ", "))
	}
	r.line("Flat-out deliveries/s of each run: %s.\n", strings.Join(runs, "; "))

	js, mem := figs[0], figs[1]
	if js.paced.failed != "" || js.flat.failed != "" || mem.paced.failed != "" || mem.flat.failed != "" {
		r.line("JetStream against memory: not compared, a run failed.\n")
		return
	}
	thr := js.flat.rate / mem.flat.rate
	p99paced, p99flat := js.paced.p99.Seconds()/mem.paced.p99.Seconds(), js.flat.p99.Seconds()/mem.flat.p99.Seconds()
	r.line("| JetStream ÷ memory | paced | flat out | goal |\n|---|---|---|---|")
	r.line("| deliveries/s | %.2f× | %.2f× | ≥ %.1f× flat out: %s |", js.paced.rate/mem.paced.rate, thr, goalThroughput, met(thr >= goalThroughput))
	r.line("| p50 | %.2f× | %.2f× | – |", js.paced.p50.Seconds()/mem.paced.p50.Seconds(), js.flat.p50.Seconds()/mem.flat.p50.Seconds())
	r.line("| p99 | %.2f× | %.2f× | ≤ %.0f×: %s paced, %s flat out |\n", p99paced, p99flat, goalP99, met(p99paced <= goalP99), met(p99flat <= goalP99))
	r.line("The mean time of one append to the store (`thingyard_store_append_seconds_total` over `thingyard_store_appends_total` on /metrics, median of the runs): on JetStream %v paced and %v flat out, in memory %v and %v.\n",
		js.paced.appendMean.Round(time.Microsecond), js.flat.appendMean.Round(time.Microsecond), mem.paced.appendMean.Round(time.Microsecond), mem.flat.appendMean.Round(time.Microsecond))
	r.line("A member is sent an envelope only once the store has it, so that the room's log holds everything any member was sent, even after a crash (the restart test kills the server with SIGKILL while members send, and none of them misses or repeats an envelope as they resume). On JetStream every delivery therefore waits for one append; mosquitto, at QoS 0 and without persistence, stores nothing before it delivers.\n")
	if i := slices.IndexFunc(peers, func(p relayPeer) bool { return p.name == natsPeer.name }); i >= 0 && figs[i].paced.failed == "" {
		x := js.paced.p99.Seconds() / figs[i].paced.p99.Seconds()
		r.line("Against NATS JetStream, which also stores each message before any consumer gets it, Thingyard on JetStream has %.2f× its p99 at a browser's pace and %.2f× its p50.\n", x, js.paced.p50.Seconds()/figs[i].paced.p50.Seconds())
	}
	if i := slices.IndexFunc(peers, func(p relayPeer) bool { return p.name == mosquittoPeer.name }); i >= 0 && figs[i].flat.failed == "" && figs[i].paced.failed == "" {
		mq := figs[i]
		r.line("On JetStream, Thingyard delivers %.2f× mosquitto's rate flat out, at %.2f× its p50 latency at a browser's pace.\n",
			js.flat.rate/mq.flat.rate, js.paced.p50.Seconds()/mq.paced.p50.Seconds())
		for _, p := range []struct {
			name string
			f    relayFigures
		}{{"embedded JetStream", js}, {"in memory", mem}} {
			x := p.f.paced.p99.Seconds() / mq.paced.p99.Seconds()
			r.goal("relay p99 latency at a browser's pace, rooms "+p.name+", against mosquitto's", fmt.Sprintf("%.2f×", x), "≤ 1.0×", x <= 1.0)
		}
	}
}

// fanoutCells are a result's three cells of the relay table.
func fanoutCells(f fanoutResult) string {
	if f.failed != "" {
		return "failed: " + strings.ReplaceAll(f.failed, "|", "/") + " | – | –"
	}
	return fmt.Sprintf("%.0f | %v | %v", f.rate, f.p50.Round(time.Microsecond), f.p99.Round(time.Microsecond))
}

// met says whether a goal was met.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// relayFanout runs the fan-out on the Thingyard server at base: each
// room's sender sends msgs actions, pace apart.
func relayFanout(t *testing.T, base string, pace time.Duration, msgs int) fanoutResult {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	var senders []*websocket.Conn
	var refused string
	for range benchRooms {
		id := createRoom(t, base, "overview")
		var conns []*websocket.Conn
		for range benchMembers {
			// The welcome read, the member is in the room: an action sent
			// now reaches it as an envelope of its own, not in its welcome.
			c, _, err := dialWS(ctx, base, "room="+id)
			if err != nil {
				t.Fatal(err)
			}
			// Reads and writes are given no context of their own, as a
			// browser's and paho's are not: a deadline on each would
			// register with the run's context, shared by every client, on
			// every read. The run's end closes the connection instead.
			defer context.AfterFunc(ctx, func() { c.CloseNow() })()
			conns = append(conns, c)
		}
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := 0
				for got < msgs {
					_, data, err := c.Read(context.Background())
					if err != nil {
						return
					}
					// Received now: what this client then does to read
					// the frame is not the relay's time, as mosquitto's
					// clients, whose handler reads a number, take theirs
					// before anything else. An action's send time is read
					// as cheaply as theirs (sentAt); any other frame is
					// decoded.
					at := time.Now()
					if sent, ok := sentAt(data); ok {
						mu.Lock()
						lat = append(lat, time.Duration(at.UnixNano()-sent))
						mu.Unlock()
						got++
						continue
					}
					var e wire.Envelope
					json.Unmarshal(data, &e)
					if e.Kind == wire.KindError {
						mu.Lock()
						refused = string(e.Body)
						mu.Unlock()
					}
					if e.Kind != wire.KindAction {
						continue
					}
					var a sim.Action
					json.Unmarshal(e.Body, &a)
					mu.Lock()
					sent, _ := strconv.ParseInt(a.Text, 10, 64)
					lat = append(lat, time.Duration(at.UnixNano()-sent))
					mu.Unlock()
					got++
				}
				c.Close(websocket.StatusNormalClosure, "")
			}()
		}
		senders = append(senders, conns[0])
	}
	start := time.Now()
	for _, sender := range senders {
		go func() {
			for range msgs {
				// A relabelling carries the send time, as a browser's action
				// would carry its change; the server schedules it (at 0).
				body, _ := json.Marshal(sim.Action{Kind: sim.ActSet, Device: "plc", Key: "label", Text: strconv.FormatInt(time.Now().UnixNano(), 10)})
				sender.Write(context.Background(), websocket.MessageText, []byte(`{"kind":"action","body":`+string(body)+`}`))
				time.Sleep(pace)
			}
		}()
	}
	wg.Wait()
	res := summarize(lat, benchRooms*benchMembers*msgs, time.Since(start))
	if refused != "" {
		res.failed = "the relay refused an action: " + refused
	}
	return res
}

// sentAt reads the send time that an action envelope of relayFanout's
// carries (its relabelling's text) from the frame's bytes, as cheaply as
// mosquitto's clients read the number that is their whole payload. Ten
// members take each delivery at once on a machine of two CPUs, so the
// work one does after its receipt delays the others': decoding the
// envelope and then its action as JSON would count against the relay.
// It reports false for any other frame.
func sentAt(data []byte) (int64, bool) {
	if !bytes.Contains(data, []byte(`"kind":"action"`)) {
		return 0, false
	}
	_, text, ok := bytes.Cut(data, []byte(`"text":"`))
	if !ok {
		return 0, false
	}
	digits, _, ok := bytes.Cut(text, []byte(`"`))
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	return n, err == nil
}

// mosquittoBinary is Debian's mosquitto, or "" when it is not installed.
func mosquittoBinary() string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	return ""
}

// mosquittoFanout runs the same fan-out on a mosquitto of its own: one
// topic per room, each room's first client publishing msgs messages, pace
// apart.
func mosquittoFanout(t *testing.T, pace time.Duration, msgs int) fanoutResult {
	bin := mosquittoBinary()
	if bin == "" {
		return fanoutResult{failed: "mosquitto missing (make deps installs it)"}
	}
	// Mosquitto is reached over TCP. Debian's mosquitto 2.0 cannot start
	// with only a WebSocket listener (eclipse-mosquitto/mosquitto#2284),
	// and beside a TCP one its libwebsockets, built without external poll,
	// stalls a subscription for seconds: that would measure the packaging.
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	port := freePort(t)
	os.WriteFile(conf, []byte(fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\n", port)), 0o644)
	cmd := exec.Command(bin, "-c", conf, "-v")
	testkit.DieWithTest(cmd)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	up := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), " running") {
			up = true
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if !up {
		cmd.Process.Kill()
		cmd.Wait()
		return fanoutResult{failed: "mosquitto did not start"}
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var rc receipts
	var senders []func()
	dial := func(id string, onMsg func(paho.PublishReceived) (bool, error)) *paho.Client {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("mosquitto: %v", err)
		}
		cfg := paho.ClientConfig{ClientID: id, Conn: conn}
		if onMsg != nil {
			cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onMsg}
		}
		c := paho.NewClient(cfg)
		if _, err := c.Connect(ctx, &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30}); err != nil {
			t.Fatalf("mqtt connect: %v", err)
		}
		return c
	}
	var clients []*paho.Client
	defer func() {
		for _, c := range clients {
			c.Disconnect(&paho.Disconnect{ReasonCode: 0})
		}
	}()
	for room := range benchRooms {
		topic := fmt.Sprintf("bench/%d", room)
		var inRoom []*paho.Client
		for m := range benchMembers {
			got := rc.member(msgs)
			c := dial(fmt.Sprintf("r%dm%d", room, m), func(p paho.PublishReceived) (bool, error) {
				got(time.Now(), p.Packet.Payload)
				return true, nil
			})
			if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 0}}}); err != nil {
				t.Fatal(err)
			}
			inRoom = append(inRoom, c)
		}
		clients = append(clients, inRoom...)
		senders = append(senders, func() {
			for range msgs {
				inRoom[0].Publish(ctx, &paho.Publish{Topic: topic, QoS: 0, Payload: []byte(strconv.FormatInt(time.Now().UnixNano(), 10))})
				time.Sleep(pace)
			}
		})
	}
	return rc.run(ctx, senders, msgs)
}

// receipts gathers what the members of a broker's fan-out get: the
// latency of each message, from the send time that is its whole payload.
type receipts struct {
	mu  sync.Mutex
	lat []time.Duration
	wg  sync.WaitGroup // a member is done once it has had all its messages
}

// member is what one member calls with each message it gets, at its
// receipt (taken first, as relayFanout's clients take theirs); it expects
// msgs messages.
func (rc *receipts) member(msgs int) func(at time.Time, payload []byte) {
	got := 0
	rc.wg.Add(1)
	return func(at time.Time, payload []byte) {
		sent, _ := strconv.ParseInt(string(payload), 10, 64)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.lat = append(rc.lat, time.Duration(at.UnixNano()-sent))
		if got++; got == msgs {
			rc.wg.Done()
		}
	}
}

// run starts every sender, waits until every member has had all its
// messages or ctx ends, and sums up what the members got.
func (rc *receipts) run(ctx context.Context, senders []func(), msgs int) fanoutResult {
	start := time.Now()
	for _, send := range senders {
		go send()
	}
	done := make(chan struct{})
	go func() { rc.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	took := time.Since(start)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return summarize(slices.Clone(rc.lat), benchRooms*benchMembers*msgs, took)
}
