package store_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/server/store/storetest"
)

// Tests of what only the JetStream store has.

func TestEmbeddedOpensNoPortUnlessAsked(t *testing.T) {
	s := newJetStream(t, store.JetStreamOptions{Dir: t.TempDir()})
	if u := s.ClientURL(); u != "" {
		t.Errorf("ClientURL without Listen = %q", u)
	}
	if err := s.Ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = store.NewJetStream(ctx(t), store.JetStreamOptions{Dir: t.TempDir(), Listen: busy.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("NewJetStream on a busy port: %v, want an error naming %s", err, busy.Addr())
	}
}

func TestRemoteUnreachableSaysWhere(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + free.Addr().String()
	free.Close()
	_, err = store.NewJetStream(ctx(t), store.JetStreamOptions{URLs: []string{url}})
	if err == nil || !strings.Contains(err.Error(), url) {
		t.Errorf("NewJetStream of nothing: %v, want an error naming %s", err, url)
	}
}

// A three-node JetStream cluster in the test process keeps a room's log
// three ways; two store instances append to one room and a third follows
// it while the stream's leader is shut down. Every acknowledged envelope
// is in the log at its seq, the log has no gap and no repeat, and the
// follower saw it all in order.
func TestClusterKeepsAckedEnvelopesWhenANodeDies(t *testing.T) {
	nodes := storetest.Cluster(t, 3)
	urls := storetest.URLs(nodes)
	opt := store.JetStreamOptions{URLs: urls, Replicas: 3, Timeout: 2 * time.Second}
	a, b := newJetStream(t, opt), newJetStream(t, opt)
	room(t, a, "room-cluster")

	follower, err := b.Subscribe(ctx(t), "room-cluster", 0)
	if err != nil {
		t.Fatal(err)
	}
	followed := make(chan []uint64, 1)
	stopFollow := make(chan struct{})
	var stopOnce sync.Once
	var followedSeqs []uint64
	endFollow := func() []uint64 {
		stopOnce.Do(func() {
			close(stopFollow)
			followedSeqs = <-followed
		})
		return followedSeqs
	}
	go func() { followed <- follow(t, b, follower, "room-cluster", stopFollow) }()
	t.Cleanup(func() { endFollow() }) // before the stores close, if the test fails

	// Each appender keeps what was acknowledged to it, and tells the test
	// of each acknowledgement as it comes.
	progress := make(chan struct{})
	stop := make(chan struct{})
	ackeds := make([]map[uint64]uint64, 2) // seq -> n
	var wg sync.WaitGroup
	for w, s := range []store.Store{a, b} {
		ackeds[w] = map[uint64]uint64{}
		wg.Go(func() {
			for n := uint64(w * 1_000_000); ; n++ {
				e, err := s.Append(ctx(t), "room-cluster", env("room-cluster", int(n)))
				if errors.Is(err, store.ErrUnavailable) {
					continue // the outage: the next Append waits for NATS again
				}
				if err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				ackeds[w][e.Seq] = n
				select {
				case progress <- struct{}{}:
				case <-stop:
					return
				}
			}
		})
	}
	wait := func(appends int) {
		t.Helper()
		deadline := time.After(3 * patience)
		for range appends {
			select {
			case <-progress:
			case <-deadline:
				t.Fatalf("no envelope acknowledged for %s", 3*patience)
			}
		}
	}
	wait(100)
	leader := storetest.StreamLeader(t, urls[0], "THINGYARD_ROOMS")
	for _, n := range nodes {
		if n.Name() == leader {
			t.Logf("shutting down %s, the stream's leader", leader)
			n.Shutdown()
		}
	}
	start := time.Now()
	wait(200)
	close(stop)
	wg.Wait()
	t.Logf("200 appends in %s after the shutdown", time.Since(start))
	acked := map[uint64]uint64{}
	for _, m := range ackeds {
		for seq, n := range m {
			if old, dup := acked[seq]; dup {
				t.Fatalf("seq %d acknowledged twice: %d and %d", seq, old, n)
			}
			acked[seq] = n
		}
	}

	log := readAll(t, a, "room-cluster", 0, 50)
	seen := map[int]bool{}
	for i, e := range log {
		if e.Seq != uint64(i+1) {
			t.Fatalf("log[%d] has seq %d", i, e.Seq)
		}
		n := bodyN(t, e)
		if seen[n] {
			t.Fatalf("envelope %d is in the log twice", n)
		}
		seen[n] = true
		if want, ok := acked[e.Seq]; ok && uint64(n) != want {
			t.Fatalf("seq %d holds %d, but %d was acknowledged with it", e.Seq, n, want)
		}
	}
	for seq := range acked {
		if seq > uint64(len(log)) {
			t.Fatalf("acknowledged seq %d is past the log's end %d", seq, len(log))
		}
	}
	t.Logf("%d envelopes in the log, %d acknowledged", len(log), len(acked))

	got := endFollow()
	if len(got) < len(acked) {
		t.Fatalf("the follower saw %d envelopes, fewer than the %d acknowledged", len(got), len(acked))
	}
	for i, seq := range got {
		if seq != uint64(i+1) {
			t.Fatalf("the follower's %dth envelope has seq %d", i+1, seq)
		}
	}
}

// follow takes a subscription's envelopes until stop and the log's end,
// subscribing again from the last seq it got when the subscription ends
// for an outage, as a caller must; it returns the seqs it saw.
func follow(t *testing.T, s store.Store, sub *store.Subscription, id string, stop chan struct{}) []uint64 {
	var seqs []uint64
	var last uint64
	for {
		select {
		case e, ok := <-sub.C:
			if ok {
				seqs = append(seqs, e.Seq)
				last = e.Seq
				continue
			}
			if !errors.Is(sub.Err(), store.ErrUnavailable) {
				t.Errorf("follower: %v", sub.Err())
				return seqs
			}
			var err error
			for sub, err = s.Subscribe(ctx(t), id, last); err != nil; sub, err = s.Subscribe(ctx(t), id, last) {
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("follower: subscribe again: %v", err)
					return seqs
				}
			}
		case <-stop:
			h, err := s.Head(ctx(t), id)
			if err != nil {
				t.Errorf("follower: %v", err)
				return seqs
			}
			for last < h.Seq {
				e, ok := recv(t, sub)
				if !ok {
					t.Errorf("follower: %v", sub.Err())
					return seqs
				}
				seqs = append(seqs, e.Seq)
				last = e.Seq
			}
			sub.Close()
			return seqs
		}
	}
}

// Instances started at once on a cluster that was just formed (three
// servers deployed together) all start: the stream and buckets are made
// by one of them and found by the others, however their requests meet.
func TestInstancesStartTogetherOnAFreshCluster(t *testing.T) {
	urls := storetest.URLs(storetest.Cluster(t, 3))
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := store.NewJetStream(ctx(t), store.JetStreamOptions{URLs: urls, Replicas: 3})
			if err == nil {
				t.Cleanup(func() { s.Close() })
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("NewJetStream: %v", err)
		}
	}
}

// A start asking for more replicas than the cluster has servers waits for
// them (a cluster just formed may not know all its servers online yet),
// and then says what is missing.
func TestTooFewServersForTheReplicas(t *testing.T) {
	urls := storetest.URLs(storetest.Cluster(t, 2))
	c, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	s, err := store.NewJetStream(c, store.JetStreamOptions{URLs: urls, Replicas: 3})
	if err == nil {
		s.Close()
		t.Fatal("3 replicas on 2 servers: started")
	}
	if !strings.Contains(err.Error(), "too few servers with JetStream online for 3 replicas") {
		t.Errorf("3 replicas on 2 servers: %v", err)
	}
}
