package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/wire"
)

// nextLocal skips a local member's envelopes until one of kind.
func nextLocal(t *testing.T, l *relay.Local, kind string) wire.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		e, err := l.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", kind, err)
		}
		if e.Kind == kind {
			return e
		}
	}
}

// An in-process member (a board gateway) and a browser share a room: the
// gateway's readings reach the browser, and the browser's command for the
// gateway's board reaches only the gateway.
func TestLocalMemberHoldsABoard(t *testing.T) {
	r, srv := newServer(t, relay.Options{})
	if _, err := r.JoinLocal("x", "real-board"); !errors.Is(err, relay.ErrBadRoomID) {
		t.Fatalf("short id: %v", err)
	}
	gw, err := r.JoinLocal("classroom-1", "real-board")
	if err != nil {
		t.Fatal(err)
	}
	if w := nextLocal(t, gw, wire.KindWelcome); !strings.Contains(string(w.Body), `"scene":"real-board"`) {
		t.Fatalf("welcome %s", w.Body)
	}
	if err := gw.Send(wire.KindBoard, wire.Board{Device: "board"}); err != nil {
		t.Fatal(err)
	}
	browser := dial(t, srv, "room=classroom-1")
	other := dial(t, srv, "room=classroom-1")
	welcome(t, browser)
	welcome(t, other)

	if err := gw.Send(wire.KindReading, map[string]any{"kind": "reading", "device": "board", "at": 5,
		"readings": []map[string]any{{"name": "temp", "value": 21.5}}}); err != nil {
		t.Fatal(err)
	}
	if e := browser.nextKind(wire.KindReading); e.From != gw.ID || !strings.Contains(string(e.Body), "21.5") {
		t.Errorf("reading %+v", e)
	}
	browser.send(wire.KindCommand, `{"device":"board","on":true}`)
	if e := nextLocal(t, gw, wire.KindCommand); !strings.Contains(string(e.Body), `"on":true`) {
		t.Errorf("command %s", e.Body)
	}
	// The other browser saw the reading but not the command.
	other.nextKind(wire.KindReading)
	browser.send(wire.KindAction, `{"kind":"pause"}`) // refused by nobody: a marker
	for e := other.next(); e.Kind != wire.KindAction; e = other.next() {
		if e.Kind == wire.KindCommand {
			t.Errorf("a command for the gateway's board reached another browser: %s", e.Body)
		}
	}
	// A bad frame from the gateway is refused as a browser's would be.
	if err := gw.Send("welcome", map[string]string{}); !errors.Is(err, wire.ErrKind) {
		t.Errorf("gateway sent a welcome: %v", err)
	}
	if now := gw.Now(); now < 0 {
		t.Errorf("room clock %d", now)
	}
	gw.Leave()
	if e := browser.nextKind(wire.KindPresence); !strings.Contains(string(e.Body), `"joined":false`) {
		t.Errorf("presence %s", e.Body)
	}
	if err := gw.Send(wire.KindReading, map[string]any{}); !errors.Is(err, relay.ErrLeft) {
		t.Errorf("send after leaving: %v", err)
	}
	browser.send(wire.KindCommand, `{"device":"board","on":false}`)
	if e := browser.nextKind(wire.KindError); !strings.Contains(string(e.Body), "holds board") {
		t.Errorf("command after the gateway left: %s", e.Body)
	}
}

// A slow reader dropped while an envelope is being handed to the room's
// members leaves the others' order intact: the presence saying it left
// comes after that envelope for every member, never before it. Eight
// readers and five slow ones in turn: whatever order the room visits its
// members in, some reader comes after a slow one.
func TestDroppingASlowReaderKeepsTheOrder(t *testing.T) {
	const room = "orderroom1"
	r := relay.New(relay.Options{QueueLen: 4}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var readers []*relay.Local
	last := map[*relay.Local]uint64{}
	// catchUp reads every reader's queue up to the room's seq, each
	// envelope the one after the last.
	catchUp := func() {
		t.Helper()
		info, _ := r.Info(room)
		for _, l := range readers {
			for last[l] < info.Seq {
				e, err := l.Next(ctx)
				if err != nil {
					t.Fatalf("reader %s: %v", l.ID, err)
				}
				switch {
				case e.Kind == wire.KindWelcome:
					var w wire.Welcome
					json.Unmarshal(e.Body, &w)
					last[l] = w.Seq
				case e.Seq != last[l]+1:
					t.Fatalf("reader %s got seq %d (%s) after seq %d", l.ID, e.Seq, e.Kind, last[l])
				default:
					last[l] = e.Seq
				}
			}
		}
	}
	for range 8 {
		l, err := r.JoinLocal(room, "overview")
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, l)
		catchUp()
	}
	for range 5 {
		if _, err := r.JoinLocal(room, "overview"); err != nil { // never reads
			t.Fatal(err)
		}
		for range 4 {
			catchUp()
			if err := readers[0].Send(wire.KindAction, map[string]any{"kind": "cut", "link": "internet"}); err != nil {
				t.Fatal(err)
			}
		}
		// The room hears that the slow reader left a moment later.
		for deadline := time.Now().Add(5 * time.Second); ; {
			catchUp()
			info, _ := r.Info(room)
			if len(info.Members) == len(readers) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the slow reader was not dropped: %v", info.Members)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
