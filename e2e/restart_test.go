package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// freeAddr is a loopback address no one listens on now, for a server that
// must come back on the same one.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// restartable is a server that can be started again on the same address
// and data: start runs it, base is its URL.
func restartable(t *testing.T) (start func() *exec.Cmd, base string) {
	t.Helper()
	addr, data := freeAddr(t), t.TempDir()
	return func() *exec.Cmd {
		t.Helper()
		srv, _, err := startServer(binary, "-addr", addr, "-data", data, "-create-rate", "1000")
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}, "http://" + addr + "/"
}

// sentAtLeast is the condition that the followers sent n actions in all.
func sentAtLeast(fs []*follower, n int) func() (bool, string) {
	return func() (bool, string) {
		total := 0
		for _, f := range fs {
			f.mu.Lock()
			total += f.sent
			f.mu.Unlock()
		}
		return total >= n, fmt.Sprintf("%d actions sent", total)
	}
}

// replay is a timeline of scene with the actions of a room's log applied.
func replay(t *testing.T, scene string, log []wire.Envelope) *sim.Timeline {
	t.Helper()
	sc, _ := scenes.Builtin(scene)
	tl, err := sim.NewTimeline(sc.Spec, sc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Kind == wire.KindAction || e.Kind == wire.KindReading {
			var a sim.Action
			json.Unmarshal(e.Body, &a)
			tl.Add(a)
		}
	}
	return tl
}

// follower is a member that keeps coming back: it joins with since= the
// last seq it saw, and keeps every seq it was given.
type follower struct {
	mu   sync.Mutex
	seen []uint64
	last uint64
	sent int
	// envs is every envelope it was given as itself, by seq; folds, the
	// welcomes' folds of seqs it had not seen (their actions, up to seq).
	envs  map[uint64]wire.Envelope
	folds []fold
	quiet atomic.Bool // it stops sending, and goes on reading
	// sends: it sends actions. Once quiet it sends one last, its mark
	// (a move of the PLC to y = mark), and notes that it wrote it: a
	// member's frames are logged in the order it sent them, so once the
	// mark is in the room nothing it sent before waits in a socket or an
	// inbox of the server (a store that stalled can leave hundreds there).
	sends  atomic.Bool
	mark   int
	marked bool
}

// fold is a welcome's log up to seq folded into its actions.
type fold struct {
	seq     uint64
	actions []json.RawMessage
}

func (f *follower) run(ctx context.Context, base, room string, send bool) {
	f.follow(ctx, func() string { return base }, room, send)
}

// follow is run with the server to join asked anew at each join.
func (f *follower) follow(ctx context.Context, server func() string, room string, send bool) {
	for ctx.Err() == nil {
		base := server()
		f.mu.Lock()
		q := fmt.Sprintf("room=%s&since=%d", room, f.last)
		f.mu.Unlock()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"ws?"+q, nil)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond): // the server is restarting
			}
			continue
		}
		c.SetReadLimit(1 << 24)
		if send {
			f.sends.Store(true)
			go func() {
				tick := time.NewTicker(50 * time.Millisecond) // 20 actions a second, within the rate limit
				defer tick.Stop()
				for n := 0; ; n++ {
					select {
					case <-ctx.Done():
						return
					case <-tick.C:
					}
					if f.quiet.Load() {
						f.mu.Lock()
						mark, due := f.mark, f.mark != 0 && !f.marked
						f.mu.Unlock()
						if due {
							body := fmt.Sprintf(`{"kind":"action","body":{"kind":"move","device":"plc","x":0,"y":%d}}`, mark)
							if c.Write(ctx, websocket.MessageText, []byte(body)) != nil {
								return
							}
							f.mu.Lock()
							f.marked = true
							f.sent++
							f.mu.Unlock()
						}
						continue
					}
					body := fmt.Sprintf(`{"kind":"action","body":{"kind":"move","device":"plc","x":%d,"y":80}}`, n%500)
					if c.Write(ctx, websocket.MessageText, []byte(body)) != nil {
						return
					}
					f.mu.Lock()
					f.sent++
					f.mu.Unlock()
				}
			}()
		}
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				break
			}
			var e wire.Envelope
			if json.Unmarshal(data, &e) != nil {
				continue
			}
			var got []uint64
			var envs []wire.Envelope
			f.mu.Lock()
			if e.Kind == wire.KindWelcome {
				var w wire.Welcome
				json.Unmarshal(e.Body, &w)
				// A member further back than the room's latest fold gets
				// the fold's actions instead of their envelopes.
				if w.FoldedSeq > f.last {
					fd := fold{seq: w.FoldedSeq}
					json.Unmarshal(w.Actions, &fd.actions)
					f.folds = append(f.folds, fd)
				}
				for s := f.last + 1; s <= w.FoldedSeq; s++ {
					got = append(got, s)
				}
				envs = w.Log
			} else if e.Seq > 0 {
				envs = []wire.Envelope{e}
			}
			for _, le := range envs {
				got = append(got, le.Seq)
				if f.envs == nil {
					f.envs = map[uint64]wire.Envelope{}
				}
				f.envs[le.Seq] = le
			}
			for _, s := range got {
				f.seen = append(f.seen, s)
				f.last = max(f.last, s)
			}
			f.mu.Unlock()
		}
		c.CloseNow()
	}
}

// A server killed with SIGKILL while members send actions comes back on the
// same data with every room: each member resumes where it was, and none
// misses or repeats an envelope; the room's seq goes on from where it was,
// and the server's replica of the world equals a fresh replay of the log.
func TestRoomsSurviveAKill(t *testing.T) {
	start, base := restartable(t)
	srv := start()
	id := createRoom(t, base, "open-api")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs := make([]*follower, 4)
	var wg sync.WaitGroup
	for i := range fs {
		fs[i] = &follower{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs[i].run(ctx, base, id, i < 3)
		}()
	}
	testkit.EventuallySays(t, time.Minute, sentAtLeast(fs, 100))
	before := roomSeq(t, base, id)
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	srv = start()
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	if after := roomSeq(t, base, id); after < before {
		t.Fatalf("the room's seq went back from %v to %v across the restart", before, after)
	}
	testkit.EventuallySays(t, time.Minute, sentAtLeast(fs, 700)) // past a fold of the log, at 500 envelopes
	cancel()
	wg.Wait()

	// The room's log, read by an event stream from the start.
	log := roomLog(t, base, id)
	last := log[len(log)-1].Seq
	for i, f := range fs {
		if len(f.seen) == 0 {
			t.Fatalf("member %d saw nothing", i)
		}
		for j, s := range f.seen {
			if s != f.seen[0]+uint64(j) {
				t.Fatalf("member %d: after seq %d came %d (lost or repeated across the restart)", i, f.seen[j-1], s)
			}
		}
		if f.seen[0] != 1 || f.last > last {
			t.Errorf("member %d saw seqs %d to %d of a log of %d", i, f.seen[0], f.last, last)
		}
	}

	// The replica's world is the log replayed.
	var room struct {
		Tick int64
		Hash string
	}
	res, err := noKeepAlive.Get(base + "api/rooms/" + id)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&room)
	res.Body.Close()
	tl := replay(t, "open-api", log)
	tl.AdvanceTo(room.Tick)
	if got := sim.HashString(tl.World().Hash()); got != room.Hash {
		t.Errorf("the replica's world at tick %d is %s after the restart; the log replayed gives %s", room.Tick, room.Hash, got)
	}
}

// roomLog reads a room's whole log through its event stream: a snapshot
// event of the older actions (as envelopes without seq) and the rest.
func roomLog(t *testing.T, base, id string) []wire.Envelope {
	t.Helper()
	seq := roomSeq(t, base, id)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"api/rooms/"+id+"/events?since=0", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out []wire.Envelope
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 64<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if event == "snapshot" {
			var s struct {
				Seq     uint64
				Actions []json.RawMessage
			}
			json.Unmarshal([]byte(data), &s)
			for _, a := range s.Actions {
				out = append(out, wire.Envelope{Kind: wire.KindAction, Body: a})
			}
			out = append(out, wire.Envelope{Seq: s.Seq, Kind: "snapshot"})
		} else {
			var e wire.Envelope
			json.Unmarshal([]byte(data), &e)
			out = append(out, e)
		}
		if out[len(out)-1].Seq >= uint64(seq) {
			return out
		}
	}
	t.Fatalf("the event stream ended before seq %v: %v", seq, sc.Err())
	return nil
}

// Two servers share rooms through one JetStream: the first embeds it and
// lets the second in (-nats-listen), the second joins it (-nats). Members on
// both see one room in one order; when the second server is killed, its
// members come back through the first, and every member saw every envelope
// once.
func TestTwoServersShareARoom(t *testing.T) {
	natsAddr := freeAddr(t)
	a, baseA, err := startServer(binary, "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-nats-listen", natsAddr, "-instance", "a", "-create-rate", "1000")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { a.Process.Signal(os.Interrupt); a.Wait() }()
	b, baseB, err := startServer(binary, "-addr", "127.0.0.1:0", "-nats", "nats://"+natsAddr, "-instance", "b", "-create-rate", "1000")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { b.Process.Signal(os.Interrupt); b.Wait() }()
	baseA, baseB = strings.TrimSuffix(baseA, "/")+"/", strings.TrimSuffix(baseB, "/")+"/"
	id := createRoom(t, baseB, "open-api") // made on one, found on the other

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	bAlive := true
	onB := func() string {
		mu.Lock()
		defer mu.Unlock()
		if bAlive {
			return baseB
		}
		return baseA
	}
	fs := make([]*follower, 4)
	var wg sync.WaitGroup
	for i := range fs {
		fs[i] = &follower{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				fs[i].follow(ctx, func() string { return baseA }, id, true)
			} else {
				fs[i].follow(ctx, onB, id, true)
			}
		}()
	}
	testkit.EventuallySays(t, time.Minute, sentAtLeast(fs, 150))
	mu.Lock()
	bAlive = false
	mu.Unlock()
	b.Process.Signal(syscall.SIGKILL)
	b.Wait()
	testkit.EventuallySays(t, time.Minute, sentAtLeast(fs, 400))
	cancel()
	wg.Wait()

	log := roomLog(t, baseA, id)
	last := log[len(log)-1].Seq
	for i, f := range fs {
		for j, s := range f.seen {
			if s != f.seen[0]+uint64(j) {
				t.Fatalf("member %d: after seq %d came %d", i, f.seen[j-1], s)
			}
		}
		if len(f.seen) == 0 || f.seen[0] != 1 || f.last < last-50 {
			t.Errorf("member %d saw %d envelopes, up to seq %d of %d", i, len(f.seen), f.last, last)
		}
	}
}

// A page in a live room rides out a restart of the server: it says it is
// reconnecting, comes back by itself without a reload, and its world is the
// room's log replayed (equal state hashes at a mark after the restart).
func TestPageRidesOutARestart(t *testing.T) {
	start, base := restartable(t)
	srv := start()
	id := createRoom(t, base, "internet-outage")
	ctx, errs := browser(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"?room="+id), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		waitFor(ctx, `document.querySelector("#room .ty-live") !== null`),
		chromedp.Click("#internet", chromedp.ByID),
		waitFor(ctx, `document.getElementById("internet").textContent === "Restore the internet"`)); err != nil {
		t.Fatalf("join the room and cut the internet: %v (%v)", err, *errs)
	}
	srv.Process.Signal(syscall.SIGKILL)
	srv.Wait()
	if err := chromedp.Run(ctx, waitFor(ctx, `document.querySelector("#room .ty-reconnecting") !== null`)); err != nil {
		t.Fatalf("the page never said it was reconnecting: %v", err)
	}
	srv = start()
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	var tick int64
	if err := chromedp.Run(ctx, waitFor(ctx, `document.querySelector("#room .ty-live") !== null`),
		chromedp.Evaluate(`window.thingyard.tick`, &tick)); err != nil {
		t.Fatalf("the page did not come back: %v", err)
	}
	// A browser of the room reports hashes too: the page did not reload,
	// the internet is still cut, and a mark after the restart agrees with
	// the log replayed.
	mark := (tick/sim.HashEvery + 2) * sim.HashEvery
	var hash, button string
	if err := chromedp.Run(ctx, waitFor(ctx, fmt.Sprintf(`window.thingyard.marks["%d"] !== undefined`, mark)),
		chromedp.Evaluate(fmt.Sprintf(`window.thingyard.marks["%d"]`, mark), &hash),
		chromedp.Text("#internet", &button, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if button != "Restore the internet" {
		t.Errorf("after the restart the page's button says %q: the cut was lost", button)
	}
	tl := replay(t, "internet-outage", roomLog(t, base, id))
	tl.AdvanceTo(mark + 1)
	want, ok := tl.World().HashAt(mark)
	if !ok || sim.HashString(want) != hash {
		t.Errorf("at tick %d the page has %s, the log replayed %s (%v)", mark, hash, sim.HashString(want), ok)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}
