package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/store/storetest"
	"github.com/thingyard/thingyard/wire"
)

// A room on two servers sharing a three-node JetStream cluster in the test
// process (the rooms' stream and buckets kept three ways): members on both
// servers send actions; the node leading the rooms' stream is shut down,
// then one server is killed with SIGKILL, and its members come back
// through the other with since= their last seq. At the end every member's
// log is the room's log, read back through its event stream: every seq
// once, in order, with no gap, and each envelope the same.
func TestRoomOutlivesANATSNodeAndAServer(t *testing.T) {
	nodes := storetest.Cluster(t, 3)
	urls := strings.Join(storetest.URLs(nodes), ",")
	start := func(name string) (*exec.Cmd, string) {
		t.Helper()
		srv, base, err := startServer(binary, "-addr", "127.0.0.1:0", "-nats", urls, "-nats-replicas", "3", "-instance", name, "-create-rate", "1000")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
		return srv, strings.TrimSuffix(base, "/") + "/"
	}
	_, baseA := start("a")
	b, baseB := start("b")
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
		server := func() string { return baseA }
		if i%2 == 1 {
			server = onB
		}
		wg.Go(func() { fs[i].follow(ctx, server, id, true) })
	}

	testkit.EventuallySays(t, time.Minute, haveAtLeast(fs, 150))
	leader := storetest.StreamLeader(t, nodes[0].ClientURL(), "THINGYARD_ROOMS")
	for _, n := range nodes {
		if n.Name() == leader {
			t.Logf("shutting down %s, the NATS node leading the rooms' stream, at seq %d", leader, lastSeen(fs))
			n.Shutdown()
		}
	}
	began := time.Now()
	testkit.EventuallySays(t, time.Minute, haveAtLeast(fs, lastSeen(fs)+150))
	t.Logf("150 envelopes more for every member in %v", time.Since(began))
	mu.Lock()
	bAlive = false
	mu.Unlock()
	t.Logf("killing server b at seq %d", lastSeen(fs))
	b.Process.Signal(syscall.SIGKILL)
	b.Wait()
	began = time.Now()
	testkit.EventuallySays(t, time.Minute, haveAtLeast(fs, lastSeen(fs)+150))
	t.Logf("150 envelopes more for every member, b's through a, in %v", time.Since(began))

	log := settle(t, baseA, id, fs)
	cancel()
	wg.Wait()
	sent := 0
	for i, f := range fs {
		sameLog(t, fmt.Sprintf("member %d", i), f, log)
		sent += f.sent
	}
	// What was sent to the server killed and not yet taken from its
	// socket is lost with it, unacknowledged: the page never saw it.
	t.Logf("the members sent %d actions; the room logged %d envelopes, the same for all %d", sent, log[len(log)-1].Seq, len(fs))
}

// haveAtLeast is the condition that every follower has seqs up to seq.
func haveAtLeast(fs []*follower, seq uint64) func() (bool, string) {
	return func() (bool, string) {
		var lasts []uint64
		ok := true
		for _, f := range fs {
			f.mu.Lock()
			lasts = append(lasts, f.last)
			ok = ok && f.last >= seq
			f.mu.Unlock()
		}
		return ok, fmt.Sprintf("the members are at seqs %v, not all at %d", lasts, seq)
	}
}

// lastSeen is the furthest seq a follower has.
func lastSeen(fs []*follower) uint64 {
	var last uint64
	for _, f := range fs {
		f.mu.Lock()
		last = max(last, f.last)
		f.mu.Unlock()
	}
	return last
}

// settle stops the followers sending and returns the room's log once every
// follower has all of it: read through the room's event stream at base,
// once every sender's mark (its last action) is in every follower's log
// and the room's seq is each follower's last. Waiting for a seq to stop
// moving is not enough: after the store stalls, frames members sent wait
// in their sockets and inboxes by the hundred and go on being logged
// (the room moved 150 envelopes in 81 ms once, after the test stopped
// looking five times).
func settle(t *testing.T, base, id string, fs []*follower) []wire.Envelope {
	t.Helper()
	var marks []int
	for i, f := range fs {
		f.mu.Lock()
		f.mark = 81 + i // the senders' other moves are to y = 80
		f.mu.Unlock()
		if f.sends.Load() {
			marks = append(marks, f.mark)
		}
		f.quiet.Store(true)
	}
	// Every sender's mark in every member's log: all they sent before it
	// is in the room.
	testkit.EventuallySays(t, time.Minute, func() (bool, string) {
		for i, f := range fs {
			if m := missingMarks(f, marks); len(m) > 0 {
				return false, fmt.Sprintf("member %d has not seen the marks %v (of %v)", i, m, marks)
			}
		}
		return true, ""
	})
	atEnd := func() (bool, string) {
		seq := uint64(roomSeq(t, base, id))
		var lasts []uint64
		ok := true
		for _, f := range fs {
			f.mu.Lock()
			lasts = append(lasts, f.last)
			ok = ok && f.last == seq
			f.mu.Unlock()
		}
		return ok, fmt.Sprintf("the room is at seq %d, its members at %v", seq, lasts)
	}
	for range 5 {
		testkit.EventuallySays(t, time.Minute, atEnd)
		log := roomLog(t, base, id)
		if done, _ := atEnd(); done && log[len(log)-1].Seq == uint64(roomSeq(t, base, id)) {
			return log
		}
	}
	t.Fatal("the room's seq kept moving after its members stopped sending")
	return nil
}

// missingMarks is which of marks (the senders' last moves, to y = mark)
// a follower has not been given.
func missingMarks(f *follower, marks []int) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[int]bool{}
	for _, e := range f.envs {
		var a struct {
			Kind, Device string
			Y            int
		}
		if e.Kind == wire.KindAction && json.Unmarshal(e.Body, &a) == nil && a.Kind == "move" && a.Device == "plc" {
			seen[a.Y] = true
		}
	}
	var missing []int
	for _, m := range marks {
		if !seen[m] {
			missing = append(missing, m)
		}
	}
	return missing
}

// sameLog checks that a follower's log is the room's log as roomLog reads
// it (the actions up to its snapshot, then its envelopes): the follower saw
// seqs 1 to the last once each, in order; each envelope after the room's
// snapshot is the room's; and the actions it holds, from its envelopes and
// its welcomes' folds, are the room's actions, in order.
func sameLog(t *testing.T, who string, f *follower, log []wire.Envelope) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var acts []json.RawMessage         // the room's actions, in order
	tail := map[uint64]wire.Envelope{} // the room's envelopes after its snapshot
	var snap uint64
	for _, e := range log {
		switch {
		case e.Kind == "snapshot":
			snap = e.Seq
		case e.Seq == 0:
			acts = append(acts, e.Body)
		default:
			tail[e.Seq] = e
			if e.Kind == wire.KindAction || e.Kind == wire.KindReading {
				acts = append(acts, e.Body)
			}
		}
	}
	last := log[len(log)-1].Seq
	for i, s := range f.seen {
		if s != uint64(i+1) {
			t.Fatalf("%s: its %dth envelope has seq %d (lost, repeated or out of order): %v", who, i+1, s, f.seen[max(0, i-3):min(len(f.seen), i+3)])
		}
	}
	if f.last != last {
		t.Fatalf("%s saw seqs up to %d, the room's log ends at %d", who, f.last, last)
	}
	var mine []json.RawMessage // the follower's actions, in order
	for s := uint64(1); s <= last; {
		if e, ok := f.envs[s]; ok {
			if s > snap && !sameEnvelope(e, tail[s]) {
				t.Fatalf("%s: seq %d is %s, in the room's log %s", who, s, envJSON(e), envJSON(tail[s]))
			}
			if e.Kind == wire.KindAction || e.Kind == wire.KindReading {
				mine = append(mine, e.Body)
			}
			s++
			continue
		}
		i := 0
		for i < len(f.folds) && f.folds[i].seq < s {
			i++
		}
		if i == len(f.folds) {
			t.Fatalf("%s has neither seq %d nor a fold of it", who, s)
		}
		fd := f.folds[i]
		if !sameActions(fd.actions[:min(len(mine), len(fd.actions))], mine) || len(fd.actions) < len(mine) {
			t.Fatalf("%s: the fold up to seq %d does not begin with the %d actions before it", who, fd.seq, len(mine))
		}
		mine = fd.actions
		s = fd.seq + 1
	}
	if !sameActions(mine, acts) {
		t.Fatalf("%s holds %d actions, the room's log %d, not the same", who, len(mine), len(acts))
	}
}

func envJSON(e wire.Envelope) []byte {
	b, _ := json.Marshal(e)
	return b
}

func sameEnvelope(a, b wire.Envelope) bool { return bytes.Equal(envJSON(a), envJSON(b)) }

func sameActions(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		var x, y bytes.Buffer
		json.Compact(&x, a[i])
		json.Compact(&y, b[i])
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			return false
		}
	}
	return true
}
