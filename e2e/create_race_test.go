package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/wire"
)

// A class opens one room link at the same moment: many browsers join a room
// that does not exist yet, each naming a scene (two different ones here),
// from one address, on a server with the default room-creation limit (10
// a minute per address). The room is made once: every join is taken, every
// welcome has the one scene the room was made with, and the room lists
// every member. Before, every join that found no room tried to make it,
// spending the address's allowance: those past it were refused as making
// rooms too fast although the room was there a moment later, and the
// others joined the room another had just made.
func TestSimultaneousCreatesMakeOneRoom(t *testing.T) {
	base, _ := ownServer(t)
	const joiners = 24
	scenes := []string{"overview", "protocols"}
	for round := range 3 {
		id := relay.NewRoomID()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		start := make(chan struct{})
		var wg sync.WaitGroup
		got := make([]string, joiners)
		errs := make([]error, joiners)
		conns := make([]*websocket.Conn, joiners)
		for i := range joiners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				url := "ws" + strings.TrimPrefix(base, "http") + "ws?room=" + id + "&scene=" + scenes[i%2]
				c, res, err := websocket.Dial(ctx, url, nil)
				if err != nil {
					status := 0
					if res != nil {
						status = res.StatusCode
					}
					errs[i] = fmt.Errorf("join %d (status %d): %w", i, status, err)
					return
				}
				c.SetReadLimit(1 << 20)
				conns[i] = c
				for {
					_, data, err := c.Read(ctx)
					if err != nil {
						errs[i] = fmt.Errorf("join %d: no welcome: %w", i, err)
						return
					}
					var e wire.Envelope
					json.Unmarshal(data, &e)
					if e.Kind == wire.KindWelcome {
						var w wire.Welcome
						json.Unmarshal(e.Body, &w)
						got[i] = w.Scene
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, c := range conns {
			if c != nil {
				defer c.CloseNow()
			}
		}
		for _, err := range errs {
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		var room struct {
			Scene   string
			Members []string
		}
		joined := 0
		for _, err := range errs {
			if err == nil {
				joined++
			}
		}
		// Each member's presence is logged after its welcome.
		testkit.EventuallySays(t, 30*time.Second, func() (bool, string) {
			res, err := http.Get(base + "api/rooms/" + id)
			if err != nil {
				return false, err.Error()
			}
			defer res.Body.Close()
			json.NewDecoder(res.Body).Decode(&room)
			return len(room.Members) == joined, fmt.Sprintf("round %d: the room lists %d members, want the %d joined", round, len(room.Members), joined)
		})
		for i, s := range got {
			if s != room.Scene && errs[i] == nil {
				t.Errorf("round %d: join %d was welcomed to scene %q, the room has %q", round, i, s, room.Scene)
			}
		}
		if t.Failed() {
			return
		}
	}
}
