package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/wire"
)

// The real binary makes a room, and two WebSocket clients share it: the
// action one sends reaches both, stamped with the same seq.
func TestRoomOnTheRealServer(t *testing.T) {
	id := createRoom(t, baseURL, "internet-outage")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(baseURL, "http") + "ws?room=" + id
	a, _, err := websocket.Dial(ctx, ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.CloseNow()
	b, _, err := websocket.Dial(ctx, ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.CloseNow()
	read := func(c *websocket.Conn, kind string) wire.Envelope {
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var e wire.Envelope
			json.Unmarshal(data, &e)
			if e.Kind == kind {
				return e
			}
		}
	}
	var w wire.Welcome
	json.Unmarshal(read(a, wire.KindWelcome).Body, &w)
	if w.Scene != "internet-outage" {
		t.Errorf("welcome scene %q", w.Scene)
	}
	// b's welcome read, b is in the room: the action reaches it as an
	// envelope of its own, not in its welcome's log.
	read(b, wire.KindWelcome)
	a.Write(ctx, websocket.MessageText, []byte(`{"kind":"action","body":{"kind":"cut","link":"internet","at":5000}}`))
	ea, eb := read(a, wire.KindAction), read(b, wire.KindAction)
	if ea.Seq == 0 || ea.Seq != eb.Seq || string(ea.Body) != string(eb.Body) {
		t.Errorf("a got %+v, b got %+v", ea, eb)
	}
	// The room has both (the server has other tests' members too).
	res, err := http.Get(baseURL + "api/rooms/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var room struct{ Members []string }
	if err := json.NewDecoder(res.Body).Decode(&room); err != nil || len(room.Members) != 2 {
		t.Errorf("the room's members: %v %v, want the two", room.Members, err)
	}
}

// createRoom makes a room on the server at base (a URL ending in /) with
// POST /rooms and returns its id.
func createRoom(t *testing.T, base, scene string) string {
	t.Helper()
	res, err := http.Post(base+"rooms", "application/json", strings.NewReader(`{"scene":"`+scene+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var room struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&room); err != nil || res.StatusCode != http.StatusCreated || room.ID == "" {
		t.Fatalf("POST %srooms: %d %+v %v", base, res.StatusCode, room, err)
	}
	return room.ID
}
