package relay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/thingyard/thingyard/wire"
)

// bodies are action bodies as they reach a room: from the gate (compact),
// and as a relay without one keeps them (spaces, characters json.Marshal
// escapes, U+2028, other multi-byte characters).
var bodies = []string{
	`{"at":120,"kind":"power","device":"fan"}`,
	`{ "kind" : "cut",` + "\n\t" + `"link":"internet" }`,
	`{"kind":"set","device":"meter","key":"label","text":"<b>Hall & co</b>"}`,
	"{\"kind\":\"set\",\"device\":\"meter\",\"key\":\"label\",\"text\":\"a\u2028b\u2029c\"}",
	`{"kind":"set","device":"meter","key":"label","text":"Hallé €5 ✓"}`,
	`{"at":7,"kind":"reading","device":"board","readings":[{"name":"t","value":21.5}]}`,
	`{"kind":"restore","link":"internet"}`,
}

// envelopes is a room's log of n envelopes: actions with now and then a
// presence, which folds away.
func envelopes(n int) []wire.Envelope {
	es := make([]wire.Envelope, n)
	for i := range es {
		es[i] = wire.Envelope{Seq: uint64(i + 1), Kind: wire.KindAction, Body: json.RawMessage(bodies[i%len(bodies)])}
		if i%5 == 4 {
			es[i].Kind, es[i].Body = wire.KindPresence, json.RawMessage(`{"member":"m1","joined":true}`)
		}
	}
	return es
}

// A snapshot's JSON and what the store keeps of it are, byte for byte,
// what marshalling its bodies made: what joiners, event streams and the
// store always got.
func TestSnapshotIsTheMarshalledBodies(t *testing.T) {
	h := newHistory(3, 1<<20, false, WorldLimits{})
	var acts []json.RawMessage
	present := []string{"a<1>", "b"}
	folds := 0
	check := func(s *Snapshot, acts []json.RawMessage) {
		t.Helper()
		want, err := json.Marshal(acts)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.JSON(); !bytes.Equal(got, want) {
			t.Fatalf("JSON at seq %d:\n got %s\nwant %s", s.Seq, got, want)
		}
		st, _ := json.Marshal(stored{Actions: want, Present: present})
		if got := s.stored(present); got != string(st) {
			t.Fatalf("stored at seq %d:\n got %s\nwant %s", s.Seq, got, st)
		}
	}
	for i, e := range envelopes(40) {
		if i == 0 {
			// A fold of presence only: no actions, JSON null.
			h.add(wire.Envelope{Seq: 1, Kind: wire.KindPresence, Body: json.RawMessage(`{}`)})
			h.add(wire.Envelope{Seq: 2, Kind: wire.KindPresence, Body: json.RawMessage(`{}`)})
			h.add(wire.Envelope{Seq: 3, Kind: wire.KindPresence, Body: json.RawMessage(`{}`)})
			check(h.folded(), nil)
		}
		e.Seq += 3
		if isAction(e.Kind) {
			acts = append(acts, e.Body)
		}
		h.add(e)
		if s := h.folded(); s != nil {
			folds++
			check(s, acts)
			if folds%2 == 0 {
				h.since(0) // handed out: the next fold appends after it
			}
		}
	}
	// A restored snapshot is what it was stored as.
	for _, raw := range []string{"null", "[]", string(h.snap.JSON())} {
		var acts []json.RawMessage
		if err := json.Unmarshal([]byte(raw), &acts); err != nil {
			t.Fatal(err)
		}
		r := newHistory(3, 1<<20, false, WorldLimits{})
		r.restore(9, stored{}, acts)
		if got := string(r.snap.JSON()); got != raw {
			t.Errorf("restored from %.40s: JSON %.40s", raw, got)
		}
		r.add(wire.Envelope{Seq: 10, Kind: wire.KindAction, Body: json.RawMessage(bodies[0])})
		r.add(wire.Envelope{Seq: 11, Kind: wire.KindAction, Body: json.RawMessage(bodies[1])})
		r.add(wire.Envelope{Seq: 12, Kind: wire.KindPresence, Body: json.RawMessage(`{}`)})
		check(r.folded(), append(acts, json.RawMessage(bodies[0]), json.RawMessage(bodies[1])))
	}
}

// A snapshot handed to a joiner or an event stream never changes, however
// many folds follow while they read it without the room's lock, and a fold
// copies nothing old, handed out or not: it appends after every byte an
// older snapshot holds (a new array only when the old one is full, as
// append makes).
func TestSnapshotsShareTheirBytes(t *testing.T) {
	var mu sync.Mutex // the room's lock
	h := newHistory(4, 1<<20, false, WorldLimits{})
	type handed struct {
		s    *Snapshot
		want []byte
	}
	var (
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	defer func() {
		close(done)
		wg.Wait()
	}()
	read := func(l handed) {
		defer wg.Done()
		for {
			if got := bytes.Join(l.s.Parts(), nil); !bytes.Equal(got, l.want) {
				t.Errorf("a snapshot of seq %d handed out changed: %s", l.s.Seq, got)
				return
			}
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	}
	inPlace, afterHanding := 0, 0
	lastHanded := (*Snapshot)(nil)
	for i, e := range envelopes(2000) {
		mu.Lock()
		old := h.snap
		h.add(e)
		s := h.folded()
		if s != nil && i%40 == 39 {
			snap, _ := h.since(0)
			l := handed{snap, bytes.Clone(snap.JSON())}
			lastHanded = snap
			wg.Add(1)
			go read(l)
		}
		mu.Unlock()
		if s == nil || old == nil || old.n == 0 {
			continue
		}
		same := unsafe.SliceData(s.acts) == unsafe.SliceData(old.acts)
		switch {
		case cap(old.acts) >= len(s.acts) && !same:
			t.Fatalf("the fold after seq %d copied the room's actions though they fitted", old.Seq)
		case same:
			inPlace++
			if old == lastHanded {
				afterHanding++
			}
		}
	}
	if inPlace < 100 || afterHanding == 0 {
		t.Errorf("%d folds wrote in place, %d of them after a snapshot of the array was handed out: the test did not see both", inPlace, afterHanding)
	}
}

// A room's history keeps its actions' bodies and hardly more, even while
// every fold is handed to joiners: no body is kept on its own, and no
// JSON of it made again.
func TestHistoryKeepsOnlyTheBodies(t *testing.T) {
	const n = 40_000
	before := heapInUse()
	h := newHistory(500, 64<<20, false, WorldLimits{})
	bodyBytes := 0
	for i := range n {
		body := fmt.Appendf(nil, `{"at":%d,"kind":"set","device":"meter","key":"label","text":"%s"}`, 1000+i, strings.Repeat("x", i%20))
		bodyBytes += len(body)
		h.add(wire.Envelope{Seq: uint64(i + 1), Kind: wire.KindAction, Body: body})
		if h.folded() != nil {
			if s, _ := h.since(0); len(s.JSON()) == 0 {
				t.Fatal("no JSON")
			}
		}
	}
	used := int(heapInUse() - before)
	runtime.KeepAlive(h)
	t.Logf("%d bytes of heap for %d bytes of bodies", used, bodyBytes)
	if limit := bodyBytes * 3 / 2; used > limit {
		t.Errorf("the history of %d actions (%d bytes of bodies) holds %d bytes of heap, want at most %d", n, bodyBytes, used, limit)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
