//go:build bench

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/internal/testkit"
)

// The Idle connections section of make bench: the memory a server holds
// for idle connections, at two counts and twice at each, some time apart.

// idleCounts are the numbers of idle connections memory is read at.
var idleCounts = []int{5_000, 10_000}

const (
	// idleSettle is how long a server is left alone before its memory is
	// read, so that the connections' first frames are written and freed
	// (3 s).
	idleSettle = 3 * time.Second
	// idleHold is how long the connections stay idle between the two
	// readings at each count: longer than the relay's ping period (20 s),
	// so every connection was pinged and answered in between (25 s).
	idleHold = 25 * time.Second
	// idleDialers is how many clients connect at once (8).
	idleDialers = 8
	// idlePerRoom is how many idle members share a room (the relay's
	// default limit of members per room).
	idlePerRoom = 50
)

// memReading is a server's memory at one moment: resident, and for a Go
// server its heap and goroutine stacks in use right after a garbage
// collection and its goroutines (-1 when not known).
type memReading struct {
	rss, heap, stacks, goroutines int64
}

// goMem is what the Go runtime holds: heap and stacks.
func (m memReading) goMem() int64 { return m.heap + m.stacks }

// idleStep is the memory read with n connections idle, at once and
// idleHold later.
type idleStep struct {
	n            int
	first, later memReading
}

// idleResult is the memory one server holds for ever more idle
// connections.
type idleResult struct {
	name   string
	hold   time.Duration // between the two readings at each count
	base   memReading
	steps  []idleStep
	failed string
}

// measureIdle connects up to each of idleCounts through connect and reads
// the server's memory with read before the first and at each count, and
// again hold later when hold is not 0.
func measureIdle(name string, hold time.Duration, read func() (memReading, error), connect func(i int) (func(), error)) idleResult {
	res := idleResult{name: name, hold: hold}
	fail := func(format string, args ...any) idleResult {
		res.failed = fmt.Sprintf(format, args...)
		return res
	}
	time.Sleep(idleSettle)
	var err error
	if res.base, err = read(); err != nil {
		return fail("%v", err)
	}
	var mu sync.Mutex
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	have := 0
	for _, n := range idleCounts {
		// Dialers connect have..n-1 in turns.
		next := make(chan int)
		errs := make(chan error, idleDialers)
		var wg sync.WaitGroup
		for range idleDialers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					c, err := connect(i)
					if err != nil {
						errs <- fmt.Errorf("connection %d: %w", i+1, err)
						for range next {
						}
						return
					}
					mu.Lock()
					closers = append(closers, c)
					mu.Unlock()
				}
			}()
		}
		for i := have; i < n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return fail("%v", err)
		}
		have = n
		step := idleStep{n: n}
		time.Sleep(idleSettle)
		if step.first, err = read(); err != nil {
			return fail("%v", err)
		}
		step.later = step.first
		if hold > 0 {
			time.Sleep(hold)
			if step.later, err = read(); err != nil {
				return fail("%v", err)
			}
		}
		res.steps = append(res.steps, step)
	}
	return res
}

// goMemory reads a Go server's memory: a heap profile asked for with gc=1
// on its -pprof address collects garbage first and ends with the
// runtime's MemStats; resident memory is read from /proc after it.
func goMemory(pid int, pprof string) func() (memReading, error) {
	return func() (memReading, error) {
		res, err := noKeepAlive.Get("http://" + pprof + "/debug/pprof/heap?gc=1&debug=1")
		if err != nil {
			return memReading{}, fmt.Errorf("heap profile: %w", err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return memReading{}, fmt.Errorf("heap profile: %d %v", res.StatusCode, err)
		}
		heap, stacks := memStat.FindSubmatch(body), stackStat.FindSubmatch(body)
		if heap == nil || stacks == nil {
			return memReading{}, fmt.Errorf("heap profile without HeapAlloc and Stack: %.200s", body)
		}
		m := memReading{}
		m.heap, _ = strconv.ParseInt(string(heap[1]), 10, 64)
		m.stacks, _ = strconv.ParseInt(string(stacks[1]), 10, 64)
		if m.goroutines, err = goroutines(pprof); err != nil {
			return m, err
		}
		m.rss, err = rss(pid)
		return m, err
	}
}

// goroutines reads how many goroutines a Go server runs from the
// goroutine profile on its -pprof address.
func goroutines(pprof string) (int64, error) {
	res, err := noKeepAlive.Get("http://" + pprof + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, fmt.Errorf("goroutine profile: %w", err)
	}
	defer res.Body.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(res.Body, head)
	total := goroutineStat.FindSubmatch(head[:n])
	if total == nil {
		return 0, fmt.Errorf("goroutine profile without its total: %.64s", head[:n])
	}
	return strconv.ParseInt(string(total[1]), 10, 64)
}

var (
	memStat       = regexp.MustCompile(`(?m)^# HeapAlloc = (\d+)$`)
	stackStat     = regexp.MustCompile(`(?m)^# Stack = (\d+) / \d+$`)
	goroutineStat = regexp.MustCompile(`^goroutine profile: total (\d+)`)
)

// relayIdle starts a thingyard with its rooms kept where store says, with
// room limits that admit every idle member, and measures its memory with
// them joined and idle.
func relayIdle(t *testing.T, name string, store ...string) idleResult {
	n := idleCounts[len(idleCounts)-1]
	rooms := n / idlePerRoom
	pprof := freeAddr(t)
	args := append([]string{"-addr", "127.0.0.1:0", "-max-members", strconv.Itoa(idlePerRoom),
		"-max-rooms", strconv.Itoa(rooms + 10), "-create-rate", "100000", "-pprof", pprof}, store...)
	srv, url, err := startServer(binary, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ids []string
	for range rooms {
		ids = append(ids, createRoom(t, url, "overview"))
	}
	ws := "ws" + strings.TrimPrefix(url, "http") + "ws?room="
	return measureIdle(name, idleHold, goMemory(srv.Process.Pid, pprof), func(i int) (func(), error) {
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		defer dcancel()
		c, _, err := websocket.Dial(dctx, ws+ids[i/idlePerRoom], nil)
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(1 << 20)
		// Read and drop what the room sends (welcome, presence), which also
		// answers the server's pings, as an idle browser would.
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		return func() { c.CloseNow() }, nil
	})
}

// mosquittoIdle measures Debian's mosquitto holding idle MQTT connections
// (over TCP, no keep-alive, so nothing happens on them) in the same run:
// resident memory only, read once at each count.
func mosquittoIdle(t *testing.T) idleResult {
	bin := mosquittoBinary()
	if bin == "" {
		return idleResult{name: "mosquitto", failed: "mosquitto missing (make deps installs it)"}
	}
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\n", port)), 0o644)
	cmd := exec.Command(bin, "-c", conf)
	testkit.DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := "127.0.0.1:" + port
	if err := waitListening(addr, 10*time.Second); err != nil {
		return idleResult{name: "mosquitto", failed: "mosquitto did not listen: " + err.Error()}
	}
	read := func() (memReading, error) {
		r, err := rss(cmd.Process.Pid)
		return memReading{rss: r, heap: -1, stacks: -1, goroutines: -1}, err
	}
	return measureIdle("mosquitto", 0, read, func(i int) (func(), error) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("idle%05d", i)
		// MQTT 3.1.1 CONNECT: clean session, keep-alive 0 (none).
		vh := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, byte(len(id))}
		pkt := append([]byte{0x10, byte(len(vh) + len(id))}, vh...)
		pkt = append(pkt, id...)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(pkt); err != nil {
			c.Close()
			return nil, err
		}
		ack := make([]byte, 4)
		if _, err := c.Read(ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
			c.Close()
			return nil, fmt.Errorf("no CONNACK (% x, %v)", ack, err)
		}
		c.SetDeadline(time.Time{})
		return func() { c.Close() }, nil
	})
}

// waitListening waits until something accepts TCP connections on addr,
// and returns the last dial's error if nothing did within the time given.
func waitListening(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: this
// process and the servers it starts each hold every idle connection.
func raiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	n := idleCounts[len(idleCounts)-1]
	if l.Cur < uint64(n)+1000 {
		return fmt.Errorf("open files are limited to %d; %d connections need more (ulimit -n)", l.Cur, n)
	}
	return nil
}

// idleGrowth is how much the memory per idle connection may grow, over
// idleHold or from one count to the next, and still be said not to grow
// (5%).
const idleGrowth = 0.05

func (r *report) idle(t *testing.T) {
	r.line("## Idle connections\n")
	if err := raiseFileLimit(); err != nil {
		r.line("Not measured: %v.\n", err)
		return
	}
	results := []idleResult{
		relayIdle(t, "Thingyard, embedded JetStream", "-data", t.TempDir()),
		relayIdle(t, "Thingyard, in memory", "-store", "memory"),
		mosquittoIdle(t),
	}
	var counts []string
	for _, n := range idleCounts {
		counts = append(counts, strconv.Itoa(n))
	}
	r.line("The memory a server holds for idle connections, read with none, then with %s connected (%d browsers to a room for Thingyard, each having received its welcome), each count read %v after its last connection and again %v later, in which time the relay pinged every browser (every %v by default) and had its answer. Thingyard is the real binary with its rooms on the embedded JetStream or in memory, and its memory is read right after a garbage collection (a heap profile with gc=1 on its `-pprof` address): the Go heap in use plus the goroutines' stacks, and the resident set from /proc. On JetStream, a reading taken %v after the joins may also hold the stream's cache of the message block their presence envelopes went to (up to 8 MB, kept 10 s after its last use); the reading %v later does not. Debian's mosquitto holds as many idle MQTT connections over TCP (no keep-alive, so nothing happens on them and it is read once at each count); its resident set is read. Per connection is the reading minus the one with none, divided by the count; so are Thingyard's goroutines (from its goroutine profile).\n",
		strings.Join(counts, " and then "), idlePerRoom, idleSettle, idleHold, 20*time.Second, idleSettle, idleHold)
	r.line("| server | connections | read | resident | per connection | Go heap + stacks | per connection | goroutines | per connection |\n|---|---|---|---|---|---|---|---|---|")
	for _, x := range results {
		if x.failed != "" {
			r.line("| %s | failed: %s | – | – | – | – | – | – | – |", x.name, strings.ReplaceAll(x.failed, "|", "/"))
			continue
		}
		r.line("| %s | 0 | – | %s | – | %s | – | %s | – |", x.name, mb(x.base.rss), goCell(x.base.goMem()), countCell(x.base.goroutines))
		for _, s := range x.steps {
			readings := []memReading{s.first, s.later}
			if x.hold == 0 {
				readings = readings[:1]
			}
			for i, m := range readings {
				when := fmt.Sprintf("%v after", idleSettle)
				if i == 1 {
					when = fmt.Sprintf("%v after", idleSettle+x.hold)
				}
				r.line("| %s | %d | %s | %s | %s | %s | %s | %s | %s |", x.name, s.n, when, mb(m.rss), perConnKB(m.rss-x.base.rss, s.n), goCell(m.goMem()), kbGo(m.goMem()-x.base.goMem(), s.n, m.heap >= 0),
					countCell(m.goroutines), perConnCount(m.goroutines-x.base.goroutines, s.n, m.goroutines >= 0))
			}
		}
	}
	r.line("")
	for _, x := range results[:2] {
		if x.failed != "" || len(x.steps) < 2 {
			continue
		}
		// Per connection: over idleHold at each count, and from one count
		// to the next.
		var over []string
		grows := false
		for _, s := range x.steps {
			d := float64(s.later.goMem()-s.first.goMem()) / float64(s.n)
			per := float64(s.first.goMem()-x.base.goMem()) / float64(s.n)
			over = append(over, fmt.Sprintf("%+.2f KB at %d", d/1e3, s.n))
			if d > idleGrowth*per {
				grows = true
			}
		}
		a, b := x.steps[0], x.steps[len(x.steps)-1]
		perA := float64(a.later.goMem()-x.base.goMem()) / float64(a.n)
		perB := float64(b.later.goMem()-x.base.goMem()) / float64(b.n)
		marginal := float64(b.later.goMem()-a.later.goMem()) / float64(b.n-a.n)
		if perB > (1+idleGrowth)*perA {
			grows = true
		}
		r.line("%s: Go memory per connection %.1f KB at %d and %.1f KB at %d (each connection from %d to %d: %.1f KB); over %v idle it changed by %s per connection. Goal, memory per idle connection does not grow (within %.0f%%, over time and from one count to the next): %s. Goal, at most %.0f KB per idle connection at %d: %s. Goroutines per idle connection at %d: %.2f.\n",
			x.name, perA/1e3, a.n, perB/1e3, b.n, a.n, b.n, marginal/1e3, idleHold, strings.Join(over, ", "), idleGrowth*100, met(!grows),
			idleGoalKB, b.n, met(perB <= idleGoalKB*1e3), b.n, float64(b.later.goroutines-x.base.goroutines)/float64(b.n))
		r.goal(fmt.Sprintf("server memory per idle browser at %d, %s", b.n, x.name), fmt.Sprintf("%.1f KB", perB/1e3), fmt.Sprintf("≤ %.0f KB", idleGoalKB), perB <= idleGoalKB*1e3)
	}
	js, mq := results[0], results[2]
	if js.failed == "" && mq.failed == "" && len(js.steps) > 0 && len(mq.steps) > 0 {
		s, m := js.steps[len(js.steps)-1], mq.steps[len(mq.steps)-1]
		ours, theirs := float64(s.later.rss-js.base.rss)/float64(s.n), float64(m.later.rss-mq.base.rss)/float64(m.n)
		if theirs > 0 {
			r.line("At %d connections a Thingyard connection holds %.1f× the resident memory of a mosquitto one (the goroutine reading each browser, its stack, the WebSocket and the socket).\n", s.n, ours/theirs)
		}
	}
}

// idleGoalKB is the most Go memory an idle browser's connection may hold,
// in kilobytes (issue: "a server connection in 20 KB").
const idleGoalKB = 20.0

// countCell is a count, "–" when not known.
func countCell(n int64) string {
	if n < 0 {
		return "–"
	}
	return strconv.FormatInt(n, 10)
}

// perConnCount is a count per connection, "–" when not known.
func perConnCount(n int64, conns int, known bool) string {
	if !known {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(n)/float64(conns))
}

// perConnKB is bytes per connection, in kilobytes.
func perConnKB(b int64, n int) string { return fmt.Sprintf("%.1f KB", float64(b)/float64(n)/1e3) }

// kbGo is perConnKB of a Go figure, "–" when the server is not a Go one.
func kbGo(b int64, n int, known bool) string {
	if !known {
		return "–"
	}
	return perConnKB(b, n)
}

// goCell is a Go figure in megabytes, "–" when not known.
func goCell(b int64) string {
	if b < 0 {
		return "–"
	}
	return mb(b)
}
