package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/store"
)

// The conformance suite: every test runs against every implementation.

func TestRooms(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{MaxRoom: 300}, false).s
		want := store.Room{ID: "room-one", Scene: "overview", Created: time.Unix(1700000000, 0).UTC(), Meta: map[string]string{"by": "test"}}
		if err := s.Create(ctx(t), want); err != nil {
			t.Fatalf("Create: %v", err)
		}
		room(t, s, "room-two")
		got, err := s.Find(ctx(t), "room-one")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Find = %+v, %v; want %+v", got, err, want)
		}
		list, err := s.List(ctx(t))
		if err != nil || len(list) != 2 || list[0].ID != "room-one" || list[1].ID != "room-two" {
			t.Fatalf("List = %+v, %v", list, err)
		}
		for name, tt := range map[string]struct {
			err  error
			want error
		}{
			"again":      {s.Create(ctx(t), store.Room{ID: "room-one"}), store.ErrExists},
			"short id":   {s.Create(ctx(t), store.Room{ID: "short"}), store.ErrBadID},
			"subject id": {s.Create(ctx(t), store.Room{ID: "room.one.>"}), store.ErrBadID},
			"large":      {s.Create(ctx(t), store.Room{ID: "room-three", Scene: strings.Repeat("x", 300)}), store.ErrTooLarge},
		} {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("Create %s: %v, want %v", name, tt.err, tt.want)
			}
		}
		if _, err := s.Find(ctx(t), "room-nine"); !errors.Is(err, store.ErrNoRoom) {
			t.Errorf("Find of no room: %v", err)
		}
		if _, err := s.Find(ctx(t), "room.*"); !errors.Is(err, store.ErrNoRoom) {
			t.Errorf("Find of a subject: %v", err)
		}
		h, err := s.Head(ctx(t), "room-two")
		if err != nil || h != (store.Head{First: 1}) {
			t.Errorf("Head of an empty room = %+v, %v", h, err)
		}
	})
}

func TestAppendGivesGapFreeSeqs(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{}, false).s
		room(t, s, "room-seq")
		room(t, s, "room-other")
		for n := 1; n <= 30; n++ {
			in := env("room-seq", n)
			in.Seq = 999 // a caller's seq is replaced
			got, err := s.Append(ctx(t), "room-seq", in)
			if err != nil {
				t.Fatalf("Append %d: %v", n, err)
			}
			in.Seq = uint64(n)
			if !reflect.DeepEqual(got, in) {
				t.Fatalf("Append %d = %+v, want %+v", n, got, in)
			}
			if n%3 == 0 { // another room's appends in between
				appendN(t, s, "room-other", n, n+1)
			}
		}
		checkLog(t, readAll(t, s, "room-seq", 0, 0), 1, func(seq uint64) int { return int(seq) })
		h, err := s.Head(ctx(t), "room-seq")
		if err != nil || h.Seq != 30 || h.First != 1 || h.Envelopes != 30 || h.At != 300 || h.Bytes <= 0 {
			t.Errorf("Head = %+v, %v", h, err)
		}
		if _, err := s.Append(ctx(t), "room-none", env("room-none", 1)); !errors.Is(err, store.ErrNoRoom) {
			t.Errorf("Append to no room: %v", err)
		}
	})
}

// What Append returns is what a reader and a subscriber of the room get,
// byte for byte, even for a body as a person may type it: the relay
// delivers what it appended without waiting for its subscription.
func TestAppendReturnsWhatReadersGet(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{}, false).s
		room(t, s, "room-kept")
		sub, err := s.Subscribe(ctx(t), "room-kept", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		in := env("room-kept", 1)
		in.Body = json.RawMessage("{ \"label\" : \"<b> & c\",\n  \"n\": 1 }")
		got, err := s.Append(ctx(t), "room-kept", in)
		if err != nil {
			t.Fatal(err)
		}
		read := readAll(t, s, "room-kept", 0, 0)
		if len(read) != 1 || !reflect.DeepEqual(read[0], got) {
			t.Errorf("Append returned %+v (body %s); Read gives %+v", got, got.Body, read)
		}
		select {
		case e := <-sub.C:
			if !reflect.DeepEqual(e, got) {
				t.Errorf("Append returned %+v (body %s); the subscriber got %+v (body %s)", got, got.Body, e, e.Body)
			}
		case <-time.After(patience):
			t.Fatal("the subscriber got nothing")
		}
		var body struct{ Label string }
		if err := json.Unmarshal(got.Body, &body); err != nil || body.Label != "<b> & c" {
			t.Errorf("the body kept %s, want the label <b> & c: %v", got.Body, err)
		}
	})
}

// Two instances (goroutines, for memory) append to one room at once, and
// to a second room in between; neither log forks or has a gap, and each
// seq an Append returned holds what it appended.
func TestConcurrentAppendsNeverForkOrGap(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		r := k.open(t, store.Limits{}, true)
		stores := []store.Store{r.s, r.other(t)}
		room(t, r.s, "room-race")
		room(t, r.s, "room-side")
		const writers, each = 4, 60
		var mu sync.Mutex
		acked := map[uint64]int{} // seq -> n
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				s := stores[w%2]
				for i := range each {
					n := w*1000 + i
					got, err := s.Append(ctx(t), "room-race", env("room-race", n))
					if err != nil {
						t.Errorf("writer %d: Append: %v", w, err)
						return
					}
					if _, err := s.Append(ctx(t), "room-side", env("room-side", n)); err != nil {
						t.Errorf("writer %d: Append to side: %v", w, err)
						return
					}
					mu.Lock()
					if old, dup := acked[got.Seq]; dup {
						t.Errorf("seq %d given twice: to %d and %d", got.Seq, old, n)
					}
					acked[got.Seq] = n
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for _, s := range stores {
			log := readAll(t, s, "room-race", 0, 17)
			if len(log) != writers*each {
				t.Fatalf("log has %d envelopes, want %d", len(log), writers*each)
			}
			checkLog(t, log, 1, func(seq uint64) int { return acked[seq] })
		}
	})
}

func TestReadPages(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{}, false).s
		room(t, s, "room-page")
		room(t, s, "room-noise")
		for n := 1; n <= 50; n++ {
			appendN(t, s, "room-page", n, n+1)
			appendN(t, s, "room-noise", n, n+1+n%4) // uneven interleaving
		}
		for _, since := range []uint64{0, 1, 13, 25, 48, 49} {
			for _, max := range []int{1, 7, 100} {
				got, err := s.Read(ctx(t), "room-page", since, max)
				if err != nil {
					t.Fatalf("Read after %d, max %d: %v", since, max, err)
				}
				want := min(uint64(max), 50-since)
				if uint64(len(got)) != want {
					t.Fatalf("Read after %d, max %d: %d envelopes, want %d", since, max, len(got), want)
				}
				checkLog(t, got, since+1, func(seq uint64) int { return int(seq) })
			}
		}
		checkLog(t, readAll(t, s, "room-page", 0, 7), 1, func(seq uint64) int { return int(seq) })
		if got, err := s.Read(ctx(t), "room-page", 50, 10); err != nil || len(got) != 0 {
			t.Errorf("Read after the last = %d envelopes, %v", len(got), err)
		}
		if _, err := s.Read(ctx(t), "room-page", 51, 10); !errors.Is(err, store.ErrAhead) {
			t.Errorf("Read past the last: %v", err)
		}
		if _, err := s.Subscribe(ctx(t), "room-page", 51); !errors.Is(err, store.ErrAhead) {
			t.Errorf("Subscribe past the last: %v", err)
		}
		if got, err := s.Read(ctx(t), "room-page", 0, 0); err != nil || len(got) != 50 {
			t.Errorf("Read with no max = %d envelopes, %v", len(got), err)
		}
	})
}

// A subscription made while appends race delivers every envelope after
// since exactly once, in order, across the line between backlog and live.
func TestSubscribeHasNoGapOrOverlap(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{}, false).s
		room(t, s, "room-follow")
		room(t, s, "room-noise")
		appendN(t, s, "room-follow", 1, 41)
		const total = 200
		done := make(chan struct{})
		go func() {
			defer close(done)
			for n := 41; n <= total; n++ {
				if _, err := s.Append(ctx(t), "room-follow", env("room-follow", n)); err != nil {
					t.Errorf("Append %d: %v", n, err)
					return
				}
				if n%5 == 0 {
					if _, err := s.Append(ctx(t), "room-noise", env("room-noise", n)); err != nil {
						t.Errorf("Append noise: %v", err)
						return
					}
				}
			}
		}()
		var subs []*store.Subscription
		var froms []uint64
		for i := range 9 {
			h, err := s.Head(ctx(t), "room-follow")
			if err != nil {
				t.Fatal(err)
			}
			since := min(uint64(23*i), h.Seq) // as far as the log reaches now
			if i == 8 {
				since = h.Seq // at the head, while it moves
			}
			sub, err := s.Subscribe(ctx(t), "room-follow", since)
			if err != nil {
				t.Fatalf("Subscribe after %d: %v", since, err)
			}
			t.Cleanup(sub.Close)
			subs = append(subs, sub)
			froms = append(froms, since)
		}
		<-done
		for i, sub := range subs {
			for want := froms[i] + 1; want <= total; want++ {
				e, ok := recv(t, sub)
				if !ok {
					t.Fatalf("subscription after %d closed at %d: %v", froms[i], want, sub.Err())
				}
				if e.Seq != want || bodyN(t, e) != int(want) {
					t.Fatalf("subscription after %d: got seq %d (n %d), want %d", froms[i], e.Seq, bodyN(t, e), want)
				}
			}
			sub.Close()
			if err := sub.Err(); err != nil {
				t.Errorf("Err after Close = %v", err)
			}
		}
	})
}

// A subscriber that stops reading is cut off once more than SubLag new
// envelopes wait for it, and picks up again from the last seq it got; a
// long backlog alone, read slowly, is no reason to cut it off.
func TestSlowSubscriberIsCutOff(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		const lag = 8
		s := k.open(t, store.Limits{SubLag: lag}, false).s
		room(t, s, "room-slow")
		appendN(t, s, "room-slow", 1, 4*lag)
		backlog, err := s.Subscribe(ctx(t), "room-slow", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer backlog.Close()
		for want := uint64(1); want < 4*lag; want++ {
			if e, ok := recv(t, backlog); !ok || e.Seq != want {
				t.Fatalf("backlog: got seq %d (open %v), want %d: %v", e.Seq, ok, want, backlog.Err())
			}
		}

		slow, err := s.Subscribe(ctx(t), "room-slow", 4*lag-1)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		appendN(t, s, "room-slow", 4*lag, 5*lag+1) // lag+1 new envelopes
		select {
		case <-slow.Done():
		case <-time.After(patience):
			t.Fatalf("a subscriber that read nothing of %d new envelopes is still on after %s", lag+1, patience)
		}
		var last uint64
		for {
			e, ok := recv(t, slow)
			if !ok {
				break
			}
			last = e.Seq
		}
		if err := slow.Err(); !errors.Is(err, store.ErrCutOff) {
			t.Fatalf("Err of a slow subscriber = %v, want ErrCutOff", err)
		}
		if last != 5*lag-1 {
			t.Errorf("the slow subscriber got up to seq %d, want %d", last, 5*lag-1)
		}
		again, err := s.Subscribe(ctx(t), "room-slow", last)
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if e, ok := recv(t, again); !ok || e.Seq != last+1 {
			t.Fatalf("resumed: got seq %d (open %v), want %d", e.Seq, ok, last+1)
		}
	})
}

func TestSnapshotTrimsTheLog(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		s := k.open(t, store.Limits{MaxSnapshot: 100}, false).s
		room(t, s, "room-fold")
		room(t, s, "room-noise")
		for n := 1; n <= 20; n++ {
			appendN(t, s, "room-fold", n, n+1)
			appendN(t, s, "room-noise", n, n+1)
		}
		if _, err := s.Snapshot(ctx(t), "room-fold"); !errors.Is(err, store.ErrNoSnapshot) {
			t.Fatalf("Snapshot before any: %v", err)
		}
		want := store.Snapshot{Seq: 10, Scene: "name: overview\nevents:\n  - at: 1\n"}
		if err := s.PutSnapshot(ctx(t), "room-fold", want); err != nil {
			t.Fatalf("PutSnapshot: %v", err)
		}
		if got, err := s.Snapshot(ctx(t), "room-fold"); err != nil || got != want {
			t.Fatalf("Snapshot = %+v, %v; want %+v", got, err, want)
		}
		// An older snapshot is ignored; bad ones are refused.
		if err := s.PutSnapshot(ctx(t), "room-fold", store.Snapshot{Seq: 5, Scene: "old"}); err != nil {
			t.Fatalf("PutSnapshot of an older one: %v", err)
		}
		// One at the same seq whose world state holds more is newer (a
		// world state made after the fold); an equal one is ignored.
		withWorld := store.Snapshot{Seq: 10, Scene: "with its world state", World: 10}
		for _, put := range []store.Snapshot{withWorld, {Seq: 10, Scene: "same seq, no world state"}, {Seq: 10, Scene: "equal", World: 10}} {
			if err := s.PutSnapshot(ctx(t), "room-fold", put); err != nil {
				t.Fatalf("PutSnapshot %+v: %v", put, err)
			}
		}
		if got, err := s.Snapshot(ctx(t), "room-fold"); err != nil || got != withWorld {
			t.Fatalf("Snapshot = %+v, %v; want %+v", got, err, withWorld)
		}
		want = withWorld
		for name, tt := range map[string]struct {
			snap store.Snapshot
			want error
		}{
			"ahead": {store.Snapshot{Seq: 21, Scene: "x"}, store.ErrAhead},
			"zero":  {store.Snapshot{Seq: 0, Scene: "x"}, store.ErrAhead},
			"large": {store.Snapshot{Seq: 15, Scene: strings.Repeat("x", 101)}, store.ErrTooLarge},
		} {
			if err := s.PutSnapshot(ctx(t), "room-fold", tt.snap); !errors.Is(err, tt.want) {
				t.Errorf("PutSnapshot %s: %v, want %v", name, err, tt.want)
			}
		}
		if got, err := s.Snapshot(ctx(t), "room-fold"); err != nil || got != want {
			t.Fatalf("Snapshot after refusals = %+v, %v; want %+v", got, err, want)
		}

		if _, err := s.Read(ctx(t), "room-fold", 0, 10); !errors.Is(err, store.ErrTrimmed) {
			t.Errorf("Read below the snapshot: %v, want ErrTrimmed", err)
		}
		if _, err := s.Subscribe(ctx(t), "room-fold", 3); !errors.Is(err, store.ErrTrimmed) {
			t.Errorf("Subscribe below the snapshot: %v, want ErrTrimmed", err)
		}
		checkLog(t, readAll(t, s, "room-fold", 9, 4), 10, func(seq uint64) int { return int(seq) })
		h, err := s.Head(ctx(t), "room-fold")
		if err != nil || h.Seq != 20 || h.First != 10 || h.Envelopes != 11 {
			t.Errorf("Head after the snapshot = %+v, %v", h, err)
		}
		got, err := s.Append(ctx(t), "room-fold", env("room-fold", 21))
		if err != nil || got.Seq != 21 {
			t.Fatalf("Append after the snapshot = seq %d, %v", got.Seq, err)
		}
		// The snapshot at the last seq keeps that one envelope.
		if err := s.PutSnapshot(ctx(t), "room-fold", store.Snapshot{Seq: 21, Scene: "all"}); err != nil {
			t.Fatal(err)
		}
		checkLog(t, readAll(t, s, "room-fold", 20, 0), 21, func(seq uint64) int { return int(seq) })
		if got, err := s.Read(ctx(t), "room-fold", 21, 0); err != nil || len(got) != 0 {
			t.Errorf("Read after the last = %d envelopes, %v", len(got), err)
		}
		checkLog(t, readAll(t, s, "room-noise", 0, 0), 1, func(seq uint64) int { return int(seq) })
	})
}

func TestLimitsRefuseAndKeep(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		r := k.open(t, store.Limits{MaxEnvelopes: 5}, true)
		s := r.s
		room(t, s, "room-many")
		appendN(t, s, "room-many", 1, 6)
		_, err := s.Append(ctx(t), "room-many", env("room-many", 6))
		if !errors.Is(err, store.ErrFull) || !strings.Contains(err.Error(), "at most 5") {
			t.Fatalf("Append of the 6th envelope: %v, want ErrFull saying at most 5", err)
		}
		// An instance that has not seen the room yet counts the same, the
		// first time and after.
		other := r.other(t)
		for range 2 {
			if _, err := other.Append(ctx(t), "room-many", env("room-many", 6)); !errors.Is(err, store.ErrFull) {
				t.Fatalf("Append of the 6th envelope by another instance: %v, want ErrFull", err)
			}
		}
		checkLog(t, readAll(t, s, "room-many", 0, 0), 1, func(seq uint64) int { return int(seq) })
		// A snapshot makes room: it keeps seq 5 and drops 1 to 4.
		if err := s.PutSnapshot(ctx(t), "room-many", store.Snapshot{Seq: 5, Scene: "x"}); err != nil {
			t.Fatal(err)
		}
		appendN(t, s, "room-many", 6, 10)
		if _, err := s.Append(ctx(t), "room-many", env("room-many", 10)); !errors.Is(err, store.ErrFull) {
			t.Fatalf("Append past the limit after a snapshot: %v", err)
		}
		checkLog(t, readAll(t, s, "room-many", 4, 0), 5, func(seq uint64) int { return int(seq) })
	})
}

func TestByteLimitsRefuseAndKeep(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		one := env("room-big", 1)
		one.Seq = 1
		size := len(mustJSON(t, one)) // every env of n and seq below 10
		limit := 3*size + size/2
		s := k.open(t, store.Limits{MaxBytes: int64(limit), MaxEnvelope: 2 * size}, false).s
		room(t, s, "room-big")
		appendN(t, s, "room-big", 1, 4)
		_, err := s.Append(ctx(t), "room-big", env("room-big", 4))
		want := fmt.Sprintf("at most %d in all", limit)
		if !errors.Is(err, store.ErrFull) || !strings.Contains(err.Error(), want) {
			t.Fatalf("Append past the bytes: %v, want ErrFull saying %s", err, want)
		}
		huge := env("room-big", 4)
		huge.Body = []byte(fmt.Sprintf(`{"n":4,"pad":%q}`, strings.Repeat("p", 2*size)))
		if _, err := s.Append(ctx(t), "room-big", huge); !errors.Is(err, store.ErrTooLarge) || !strings.Contains(err.Error(), fmt.Sprint("at most ", 2*size)) {
			t.Fatalf("Append of an envelope over MaxEnvelope: %v", err)
		}
		checkLog(t, readAll(t, s, "room-big", 0, 0), 1, func(seq uint64) int { return int(seq) })
		h, err := s.Head(ctx(t), "room-big")
		if err != nil || h.Bytes != int64(3*size) {
			t.Fatalf("Head = %+v, %v; want %d bytes", h, err, 3*size)
		}
		// A snapshot at 3 keeps only envelope 3: two more fit, not three.
		if err := s.PutSnapshot(ctx(t), "room-big", store.Snapshot{Seq: 3, Scene: "x"}); err != nil {
			t.Fatal(err)
		}
		appendN(t, s, "room-big", 4, 6)
		if _, err := s.Append(ctx(t), "room-big", env("room-big", 6)); !errors.Is(err, store.ErrFull) {
			t.Fatalf("Append past the bytes after a snapshot: %v", err)
		}
		checkLog(t, readAll(t, s, "room-big", 2, 0), 3, func(seq uint64) int { return int(seq) })
	})
}

func TestRestartKeepsEverything(t *testing.T) {
	each(t, func(t *testing.T, k kind) {
		r := k.open(t, store.Limits{}, false)
		if r.restart == nil {
			t.Skip(k.name + " keeps nothing across a restart")
		}
		s := r.s
		want := store.Room{ID: "room-stay", Scene: "protocols", Created: time.Unix(1700000000, 0).UTC()}
		if err := s.Create(ctx(t), want); err != nil {
			t.Fatal(err)
		}
		room(t, s, "room-noise")
		for n := 1; n <= 30; n++ {
			appendN(t, s, "room-stay", n, n+1)
			appendN(t, s, "room-noise", n, n+1)
		}
		snap := store.Snapshot{Seq: 12, Scene: "name: protocols\n"}
		if err := s.PutSnapshot(ctx(t), "room-stay", snap); err != nil {
			t.Fatal(err)
		}
		before, err := s.Head(ctx(t), "room-stay")
		if err != nil {
			t.Fatal(err)
		}

		s = r.restart(t)
		if got, err := s.Find(ctx(t), "room-stay"); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Find after restart = %+v, %v", got, err)
		}
		if list, err := s.List(ctx(t)); err != nil || len(list) != 2 {
			t.Fatalf("List after restart = %+v, %v", list, err)
		}
		if h, err := s.Head(ctx(t), "room-stay"); err != nil || h != before {
			t.Fatalf("Head after restart = %+v, %v; want %+v", h, err, before)
		}
		if got, err := s.Snapshot(ctx(t), "room-stay"); err != nil || got != snap {
			t.Fatalf("Snapshot after restart = %+v, %v", got, err)
		}
		checkLog(t, readAll(t, s, "room-stay", 11, 5), 12, func(seq uint64) int { return int(seq) })
		sub, err := s.Subscribe(ctx(t), "room-stay", 29)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		appendN(t, s, "room-stay", 31, 32)
		for want := uint64(30); want <= 31; want++ {
			if e, ok := recv(t, sub); !ok || e.Seq != want || bodyN(t, e) != int(want) {
				t.Fatalf("after restart: got seq %d (open %v), want %d", e.Seq, ok, want)
			}
		}
	})
}
