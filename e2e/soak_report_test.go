//go:build soak

package e2e

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/sim"
)

// The soak's figures, its verdict, and the Soak section of
// docs/benchmarks.md.

// soakFigures are the server's figures at one moment of the soak.
type soakFigures struct {
	at                        time.Duration
	members, rooms            int
	rss                       int64
	heap, released            int64 // the Go heap's live objects; memory the runtime gave back
	files, goroutines         int
	cpu                       float64 // seconds the server has used
	logged                    uint64  // envelopes in the rooms' logs
	delivered                 int64   // envelopes the well-behaved members got
	refused                   [3]int64
	slowDropped, mqttMessages int64
	rebuilds                  int           // late actions that made a replica replay its room
	slowestRead               time.Duration // the longest GET /api/rooms/{id} of the minute's round
	unread                    []int         // rooms whose GET failed: their seqs are not in logged
	load                      string        // the machine's load average over the last minute
	failures                  int
}

func (s *soak) figures(t *testing.T, pid int, at time.Duration) soakFigures {
	t.Helper()
	f := soakFigures{at: at.Round(time.Second), files: openFiles(t, pid), delivered: s.delivered.Load(),
		slowDropped: s.slowDropped.Load(), mqttMessages: s.mqttMsgs.Load(), failures: s.fail.count()}
	var err error
	if f.rss, err = rss(pid); err != nil {
		t.Fatal(err)
	}
	if f.cpu, err = cpuSeconds(pid); err != nil {
		t.Fatal(err)
	}
	f.load = loadAverage()
	f.members = int(serverMetric(t, s.base, "thingyard_members"))
	f.rooms = int(serverMetric(t, s.base, "thingyard_rooms"))
	f.goroutines = int(serverMetric(t, s.base, "go_goroutines"))
	f.heap = int64(serverMetric(t, s.base, "go_memstats_heap_alloc_bytes"))
	f.released = int64(serverMetric(t, s.base, "go_memstats_heap_released_bytes"))
	f.rebuilds = int(serverMetric(t, s.base, "thingyard_replica_rebuilds_total"))
	for _, r := range s.rooms {
		start := time.Now()
		info, err := readRoom(s.base, r.id)
		if err != nil {
			s.fail.add("read room %d: %v", r.n, err)
			f.unread = append(f.unread, r.n)
		}
		f.logged += info.Seq
		f.slowestRead = max(f.slowestRead, time.Since(start))
	}
	for i := range f.refused {
		f.refused[i] = s.flood[i].refused.Load()
	}
	return f
}

// loggedString is logged, saying which rooms it lacks.
func (f soakFigures) loggedString() string {
	if len(f.unread) == 0 {
		return strconv.FormatUint(f.logged, 10)
	}
	return fmt.Sprintf("%d (room %v unread)", f.logged, strings.Trim(fmt.Sprint(f.unread), "[]"))
}

func (f soakFigures) String() string {
	s := fmt.Sprintf("%6v  members %3d  rooms %d  RSS %6.1f MB  Go heap %6.1f MB  open files %4d  goroutines %5d  logged %7s  delivered %9d  refused: WebSocket %d, REST %d, MQTT %d  slow readers dropped %d  MQTT messages %d  replica rebuilds %d  slowest room read %v  server CPU %.0f s  machine load %s",
		f.at, f.members, f.rooms, float64(f.rss)/1e6, float64(f.heap)/1e6, f.files, f.goroutines, f.loggedString(), f.delivered,
		f.refused[floodWS], f.refused[floodREST], f.refused[floodMQTT], f.slowDropped, f.mqttMessages, f.rebuilds, f.slowestRead.Round(time.Millisecond), f.cpu, f.load)
	if f.failures > 0 {
		s += fmt.Sprintf("  FAILURES %d", f.failures)
	}
	return s
}

// soakResult is what a soak found.
type soakResult struct {
	dur            time.Duration
	rows           []soakFigures
	drained        soakFigures
	files0, gor0   int
	compared       int
	rss1, rssPeak  int64
	serverLog      string
	verdicts       []string // what failed, empty when it passed
	floodsRefused  bool
	slowAllDropped bool
}

// judge checks the soak's figures against what a server a school can leave
// running must do.
func (res *soakResult) judge(s *soak) {
	fail := func(format string, args ...any) { res.verdicts = append(res.verdicts, fmt.Sprintf(format, args...)) }
	if n := s.fail.count(); n > 0 {
		fail("%d failures in the clients; the first:\n  - %s", n, strings.Join(s.fail.first, "\n  - "))
	}
	if lost, dups := s.lost.Load(), s.dups.Load(); lost+dups > 0 {
		fail("the well-behaved members lost %d envelopes and got %d twice", lost, dups)
	}
	res.rss1 = res.rows[0].rss
	for _, f := range append(res.rows, res.drained) {
		res.rssPeak = max(res.rssPeak, f.rss)
	}
	if res.rssPeak > 2*res.rss1 {
		fail("resident memory reached %.1f MB, %.2f× its %.1f MB after the first minute (at most 2×)",
			float64(res.rssPeak)/1e6, float64(res.rssPeak)/float64(res.rss1), float64(res.rss1)/1e6)
	}
	for i, name := range floodNames {
		if s.flood[i].refused.Load() == 0 {
			fail("the %s flooder was never refused", name)
		}
	}
	// The last slow reader may still be waiting to be dropped when the
	// soak ends.
	if joined, dropped := s.slowJoined.Load(), s.slowDropped.Load(); dropped < joined-1 || dropped == 0 {
		fail("%d slow readers joined and %d were dropped", joined, dropped)
	}
	if minutes := int64(res.dur / mqttKillEvery); s.mqttConnects.Load() < minutes {
		fail("the MQTT follower connected %d times in %d minutes", s.mqttConnects.Load(), minutes)
	}
}

// summary is the soak's results in a few lines.
func (res *soakResult) summary(s *soak) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("- Envelopes: %d delivered to the well-behaved members over %d visits (%d ended by a TCP reset; %d resumed from a snapshot); %d lost, %d duplicated. The rooms' logs, read back through their event streams from since=0, agree with what the members saw (%d envelopes compared).",
		s.delivered.Load(), s.joins.Load(), s.abrupt.Load(), s.snapshots.Load(), s.lost.Load(), s.dups.Load(), res.compared)
	line("- The longest a member's send waited for the server to read it: %v (the server stops reading a member while its room's store is behind).", time.Duration(s.longestSend.Load()).Round(time.Millisecond))
	line("- Memory: %.1f MB resident after the first minute, %.1f MB at the peak (%.2f×), %.1f MB once the clients left.",
		float64(res.rss1)/1e6, float64(res.rssPeak)/1e6, float64(res.rssPeak)/float64(res.rss1), float64(res.drained.rss)/1e6)
	line("- Open files %d and goroutines %d once the rooms were made and room 1 grown, before any client; %d and %d once the clients left.", res.files0, res.gor0, res.drained.files, res.drained.goroutines)
	for i, name := range floodNames {
		f := &s.flood[i]
		what := map[int]string{floodWS: "cut off for its rate", floodREST: "answered 429", floodMQTT: "refused with reason code 0x97 (quota exceeded)"}[i]
		unsaid := ""
		if n := f.unsaid.Load(); n > 0 {
			unsaid = fmt.Sprintf(" (%d of them without the close frame saying why: the connection ended first)", n)
		}
		line("- %s flooder: %d sent, %d let through, %s %d times%s.", name, f.sent.Load(), f.accepted.Load(), what, f.refused.Load(), unsaid)
	}
	line("- Slow readers: %d joined room 2 and never read; %d were dropped.", s.slowJoined.Load(), s.slowDropped.Load())
	line("- MQTT follower of room 1 (%d devices): %d connections, killed every minute, %d messages.", sim.MaxDevices, s.mqttConnects.Load(), s.mqttMsgs.Load())
	line("- Server CPU: %.0f s in %v (%.0f%% of one core, of %d).", res.drained.cpu, res.drained.at, 100*res.drained.cpu/res.drained.at.Seconds(), runtime.NumCPU())
	line("- Server log: %s.", res.serverLog)
	if len(res.verdicts) == 0 {
		line("- Passed.")
	} else {
		line("- FAILED: %s", strings.Join(res.verdicts, "; "))
	}
	return b.String()
}

// short writes a duration without its trailing zero units: 2m, not 2m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// summarizeLog counts the server's warnings and errors by message.
func summarizeLog(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg := regexp.MustCompile(`level=(WARN|ERROR) msg=("(?:[^"\\]|\\.)*"|\S+)`)
	counts := map[string]int{}
	lines := 0
	for _, m := range msg.FindAllStringSubmatch(string(data), -1) {
		counts[strings.ToLower(m[1])+" "+strings.Trim(m[2], `"`)]++
	}
	for range strings.Lines(string(data)) {
		lines++
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%d × %s", n, k))
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return fmt.Sprintf("%d lines, no warning or error", lines)
	}
	return fmt.Sprintf("%d lines; %s", lines, strings.Join(parts, ", "))
}

// writeDoc writes the soak's figures into the Soak section of
// docs/benchmarks.md, leaving the rest of it as make bench wrote it.
func (s *soak) writeDoc(t *testing.T, res soakResult, args []string) {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s\n", soakHeading)
	line("Measured by `make soak` on %s (`make bench` leaves this section as it is): %v against the real binary, run as `thingyard %s` (default limits otherwise), on %s with %d CPUs shared with other work.\n",
		time.Now().UTC().Format("2006-01-02"), short(res.dur), strings.Join(args, " "), machine(), runtime.NumCPU())
	line("%d members (coder/websocket clients) joined and left %d rooms of the open-api scene: each stayed %v to %v, was away %v to %v, left with a TCP reset one time in %d and normally otherwise, and came back with `since=` the last seq it saw. One member per room sent actions at the relay's limit (%d a second) while it was there, the others one action a visit; a witness per room stayed throughout. Room 1 holds %d devices (the budget; one more is refused) and an MQTT client follows it, killed with a TCP reset every minute and reconnected. A client that never reads joins room 2 again each time it is dropped. Every %v a flooder per surface, each from an address of its own, sends %d requests back to back: WebSocket frames, REST actions, MQTT set publishes. The figures are read every minute from /proc and /metrics; \"delivered\" counts envelopes the well-behaved members received, \"logged\" the rooms' sequence numbers, \"slowest room read\" is the longest of the five `GET /api/rooms/{id}` that take them (each brings the server's replica of the room up to date; one that fails after 20 s leaves its room out of \"logged\"), \"machine load\" the one-minute load average of the whole machine, other work included.\n",
		soakMembers, soakRooms, short(sessionMin), short(sessionMax), short(awayMin), short(awayMax), abruptOdds, relay.DefaultRate, sim.MaxDevices, short(floodEvery), floodSize)
	line("| time | members | RSS | open files | goroutines | logged | delivered | refused (WebSocket / REST / MQTT) | replica rebuilds | slowest room read | server CPU | machine load |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
	row := func(label string, f soakFigures) {
		line("| %s | %d | %.1f MB | %d | %d | %s | %d | %d / %d / %d | %d | %v | %.0f s | %s |", label, f.members, float64(f.rss)/1e6, f.files, f.goroutines,
			f.loggedString(), f.delivered, f.refused[floodWS], f.refused[floodREST], f.refused[floodMQTT], f.rebuilds, f.slowestRead.Round(time.Millisecond), f.cpu, f.load)
	}
	for i, f := range res.rows {
		if i == 0 || (i+1)%5 == 0 || i == len(res.rows)-1 {
			row(short(f.at), f)
		}
	}
	row("drained", res.drained)
	line("")
	b.WriteString(res.summary(s))

	old, err := os.ReadFile("../docs/benchmarks.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := withSection(string(old), soakHeading, b.String())
	if err := os.WriteFile("../docs/benchmarks.md", []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote the Soak section of docs/benchmarks.md")
}
