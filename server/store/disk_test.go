package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/server/store/storetest"
	"github.com/thingyard/thingyard/wire"
)

// Tests of a full disk, on a small disk of the test's own.

// padded is envelope n of room id with a body of about a kilobyte, so a
// disk fills up in a few hundred appends.
func padded(id string, n int) wire.Envelope {
	e := env(id, n)
	e.Body = json.RawMessage(fmt.Sprintf(`{"n":%d,"pad":%q}`, n, strings.Repeat("x", 1000)))
	return e
}

// appendUntilRefused appends padded envelopes to room id from n on until
// one is refused, and returns the next n and the refusal; at most limit
// appends.
func appendUntilRefused(t *testing.T, s store.Store, id string, n, limit int) (int, error) {
	t.Helper()
	for end := n + limit; n < end; n++ {
		e, err := s.Append(ctx(t), id, padded(id, n))
		if err != nil {
			return n, err
		}
		if e.Seq != uint64(n+1) {
			t.Fatalf("envelope %d appended at seq %d", n, e.Seq)
		}
	}
	t.Fatalf("%d appends and no refusal", limit)
	return n, nil
}

// checkKept checks that room id keeps envelopes 0 … n-1 at seqs 1 … n,
// read and followed.
func checkKept(t *testing.T, s store.Store, id string, n int) {
	t.Helper()
	log := readAll(t, s, id, 0, 100)
	if len(log) != n {
		t.Fatalf("room %s keeps %d envelopes, want %d", id, len(log), n)
	}
	checkLog(t, log, 1, func(seq uint64) int { return int(seq) - 1 })
	sub, err := s.Subscribe(ctx(t), id, uint64(n/2))
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	defer sub.Close()
	for seq := uint64(n/2) + 1; seq <= uint64(n); seq++ {
		if e, ok := recv(t, sub); !ok || e.Seq != seq {
			t.Fatalf("followed seq %d (%v), want %d: %v", e.Seq, ok, seq, sub.Err())
		}
	}
}

// A disk that fills up under the embedded server refuses appends, room
// making and snapshots with ErrNoSpace saying where, while the store still
// keeps a reserve; what was kept is read and followed as before; once space
// is freed the room carries on at its next seq, and after a restart too.
func TestFullDiskRefusesWritesAndKeepsTheLog(t *testing.T) {
	disk := storetest.NewDisk(t, 16<<20) // a reserve of 1.6 MiB
	dir := disk.Path("data")
	s := newJetStream(t, store.JetStreamOptions{Dir: dir})
	const id = "room-disk"
	room(t, s, id)
	appendN(t, s, id, 0, 20)
	release := disk.Fill(t, 2<<20)
	n, err := appendUntilRefused(t, s, id, 20, 5000)
	if !errors.Is(err, store.ErrNoSpace) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Append to a full disk: %v, want ErrNoSpace naming %s", err, dir)
	}
	t.Logf("refused after %d envelopes with %d bytes free: %v", n, disk.Free(t), err)
	if err := s.Ready(); !errors.Is(err, store.ErrNoSpace) {
		t.Errorf("Ready on a full disk: %v, want ErrNoSpace", err)
	}
	if err := s.Create(ctx(t), store.Room{ID: "room-disk-2", Scene: "overview"}); !errors.Is(err, store.ErrNoSpace) {
		t.Errorf("Create on a full disk: %v, want ErrNoSpace", err)
	}
	if err := s.PutSnapshot(ctx(t), id, store.Snapshot{Seq: uint64(n), Scene: "folded"}); !errors.Is(err, store.ErrNoSpace) {
		t.Errorf("PutSnapshot on a full disk: %v, want ErrNoSpace", err)
	}
	checkKept(t, s, id, n)

	release()
	if err := s.Ready(); err != nil {
		t.Errorf("Ready with space freed: %v", err)
	}
	if e, err := s.Append(ctx(t), id, padded(id, n)); err != nil || e.Seq != uint64(n+1) {
		t.Fatalf("Append with space freed: seq %d, %v; want seq %d", e.Seq, err, n+1)
	}
	n++
	s = restart(t, s, dir)
	checkKept(t, s, id, n)
	if e, err := s.Append(ctx(t), id, padded(id, n)); err != nil || e.Seq != uint64(n+1) {
		t.Fatalf("Append after a restart: seq %d, %v; want seq %d", e.Seq, err, n+1)
	}
}

// restart closes s and opens its data directory again.
func restart(t *testing.T, s *store.JetStream, dir string) *store.JetStream {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return newJetStream(t, store.JetStreamOptions{Dir: dir})
}

// When the disk fills up between the store's look and JetStream's write
// (no reserve here, as when another program fills it faster than the store
// looks), JetStream stops writing the stream and does not answer the
// append: the store says ErrNoSpace and that a restart is needed, refuses
// the next append at once, keeps every envelope it acknowledged, and after
// a restart with space the room goes on at its next seq.
func TestDiskFilledUnderJetStream(t *testing.T) {
	disk := storetest.NewDisk(t, 16<<20)
	dir := disk.Path("data")
	opt := store.JetStreamOptions{Dir: dir, Reserve: -1, Timeout: 2 * time.Second}
	s := newJetStream(t, opt)
	const id = "room-disk"
	room(t, s, id)
	release := disk.Fill(t, 64<<10)
	n, err := appendUntilRefused(t, s, id, 0, 5000)
	if !errors.Is(err, store.ErrNoSpace) || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("Append to a disk full under JetStream: %v, want ErrNoSpace asking for a restart", err)
	}
	t.Logf("refused after %d envelopes: %v", n, err)
	if _, err := s.Append(ctx(t), id, padded(id, n)); !errors.Is(err, store.ErrNoSpace) {
		t.Errorf("the next Append: %v, want ErrNoSpace", err)
	}
	if err := s.Ready(); !errors.Is(err, store.ErrNoSpace) {
		t.Errorf("Ready: %v, want ErrNoSpace", err)
	}
	checkKept(t, s, id, n)

	release()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = newJetStream(t, opt)
	checkKept(t, s, id, n)
	if e, err := s.Append(ctx(t), id, padded(id, n)); err != nil || e.Seq != uint64(n+1) {
		t.Fatalf("Append after a restart with space: seq %d, %v; want seq %d", e.Seq, err, n+1)
	}
}

// NATS servers of a cluster that have no storage left for a room's
// envelope (their JetStream's max_file_store) refuse it, and the store
// says ErrNoSpace (not that the room is full, which a new room would
// mend).
func TestNATSWithoutStorageSaysNoSpace(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), JetStreamMaxStore: 1 << 20, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown) // after the store closes
	if !srv.ReadyForConnections(patience) {
		t.Fatal("nats-server not ready")
	}
	s := newJetStream(t, store.JetStreamOptions{URLs: []string{srv.ClientURL()}})
	const id = "room-disk"
	room(t, s, id)
	n, err := appendUntilRefused(t, s, id, 0, 5000)
	if !errors.Is(err, store.ErrNoSpace) || !strings.Contains(err.Error(), "NATS servers") {
		t.Fatalf("Append beyond the NATS servers' storage: %v, want ErrNoSpace", err)
	}
	t.Logf("refused after %d envelopes: %v", n, err)
	checkKept(t, s, id, n)
}
