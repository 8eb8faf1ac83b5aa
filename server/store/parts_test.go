package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/server/store/storetest"
)

// smallPayload is the max_payload of the NATS server these tests run
// against: a sixteenth of NATS's default (1 MiB), so that the snapshots
// below are as many times larger than a message as a 20,000-device room's
// world state is on a server left at its default.
const smallPayload = 64 << 10

// bigScene is a snapshot's scene of n bytes that says which one it is.
func bigScene(tag string, n int) string {
	line := fmt.Sprintf("- %s: %s\n", tag, strings.Repeat("x", 60))
	return strings.Repeat(line, n/len(line)+1)[:n]
}

// snapshotKeys are the keys of the snapshots bucket, read through a
// connection of the test's own.
func snapshotKeys(t *testing.T, url string) []string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx(t), "thingyard_snapshots")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Keys(ctx(t))
	if err != nil && err != jetstream.ErrNoKeysFound {
		t.Fatal(err)
	}
	return keys
}

// A remote NATS server that takes messages of 64 KiB keeps snapshots many
// times that size (in parts): another instance and a restarted one read
// them back whole, a newer snapshot, larger or smaller, takes the place of
// the older one and its parts, and removing the room leaves no part
// behind. Before, the store took at most max_payload less 64 KiB (on a
// server at NATS's default, less than a 20,000-device room's state) and
// refused the rest as too large.
func TestSnapshotsLargerThanAMessage(t *testing.T) {
	url := storetest.Server(t, smallPayload)
	s := newJetStream(t, store.JetStreamOptions{URLs: []string{url}})
	other := newJetStream(t, store.JetStreamOptions{URLs: []string{url}})
	const id = "bigsnapshot"
	room(t, s, id)
	appendN(t, s, id, 1, 4)

	for _, tt := range []struct {
		seq  uint64
		size int
	}{
		{1, 20 * smallPayload}, // 1.3 MB: a 20,000-device room's state on a 1 MiB server
		{2, smallPayload / 2},  // fits in one message again
		{3, 7*smallPayload + 5},
	} {
		want := store.Snapshot{Seq: tt.seq, Scene: bigScene(fmt.Sprint("seq", tt.seq), tt.size)}
		if err := s.PutSnapshot(ctx(t), id, want); err != nil {
			t.Fatalf("PutSnapshot of %d bytes at seq %d on a server taking %d: %v", tt.size, tt.seq, smallPayload, err)
		}
		for name, st := range map[string]store.Store{"the instance that kept it": s, "another instance": other} {
			got, err := st.Snapshot(ctx(t), id)
			if err != nil {
				t.Fatalf("%s: Snapshot: %v", name, err)
			}
			if got.Seq != want.Seq || got.Scene != want.Scene {
				t.Fatalf("%s: snapshot at seq %d of %d bytes, want seq %d of %d bytes", name, got.Seq, len(got.Scene), want.Seq, len(want.Scene))
			}
		}
	}
	// The room's line and the parts of its latest snapshot (more than
	// 7 messages' worth, of one write) are every key left.
	onlyLatest := func(when string) {
		t.Helper()
		keys := snapshotKeys(t, url)
		nonces := map[string]int{}
		for _, k := range keys {
			if k == id {
				continue
			}
			rest, ok := strings.CutPrefix(k, id+".1.3.")
			nonce, _, _ := strings.Cut(rest, ".")
			if !ok {
				t.Errorf("%s: key %s is not a part of the latest snapshot", when, k)
			}
			nonces[nonce]++
		}
		if len(nonces) != 1 || len(keys)-1 < 8 {
			t.Errorf("%s: the snapshots bucket has keys %v, want the room's and the parts (8 or more) of its latest", when, keys)
		}
	}
	onlyLatest("after three snapshots")
	// An older snapshot changes nothing.
	if err := other.PutSnapshot(ctx(t), id, store.Snapshot{Seq: 2, Scene: bigScene("old", 3*smallPayload)}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Snapshot(ctx(t), id); err != nil || got.Seq != 3 {
		t.Fatalf("after an older snapshot: seq %d, %v; want 3", got.Seq, err)
	}
	onlyLatest("after an older snapshot")
	if err := s.Remove(ctx(t), id); err != nil {
		t.Fatal(err)
	}
	if keys := snapshotKeys(t, url); len(keys) != 0 {
		t.Errorf("the removed room's snapshot left keys: %v", keys)
	}
}

// Readers of a snapshot in parts never get a mix of two snapshots, or a
// part short, while other instances replace it with newer ones.
func TestSnapshotPartsReadWhileReplaced(t *testing.T) {
	url := storetest.Server(t, smallPayload)
	s := newJetStream(t, store.JetStreamOptions{URLs: []string{url}})
	reader := newJetStream(t, store.JetStreamOptions{URLs: []string{url}})
	const id = "replacedsnapshot"
	room(t, s, id)
	const n = 40
	appendN(t, s, id, 1, n+1)
	scene := func(seq uint64) string { return bigScene(fmt.Sprint("seq", seq), 3*smallPayload+int(seq)) }
	if err := s.PutSnapshot(ctx(t), id, store.Snapshot{Seq: 1, Scene: scene(1)}); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx(t))
	var wg sync.WaitGroup
	var failed atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := uint64(2); seq <= n && c.Err() == nil; seq++ {
			if err := s.PutSnapshot(c, id, store.Snapshot{Seq: seq, Scene: scene(seq)}); err != nil && c.Err() == nil {
				t.Errorf("PutSnapshot %d: %v", seq, err)
				failed.Store(true)
				return
			}
		}
	}()
	var last uint64
	for last < n && !failed.Load() {
		got, err := reader.Snapshot(ctx(t), id)
		if err != nil {
			t.Fatalf("Snapshot while it is replaced: %v", err)
		}
		if got.Scene != scene(got.Seq) || got.Seq < last {
			t.Fatalf("read a snapshot of seq %d (%d bytes) after seq %d: not the one kept at that seq", got.Seq, len(got.Scene), last)
		}
		last = got.Seq
	}
	cancel()
	wg.Wait()
}
