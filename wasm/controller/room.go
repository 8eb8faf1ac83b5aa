package controller

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/room"
)

// joinRoom leaves the room the page is in, if any, and joins room id: its
// world replaces this one at the room's welcome.
func (c *Controller) joinRoom(id string) {
	if c.room != nil {
		c.room.Close()
	}
	c.room = room.NewSession(id, c.net.Dial(id), roomHost{c})
	c.paused, c.speed = false, 1
}

// roomLink is the link that joins room id.
func (c *Controller) roomLink(id string) string { return c.origin() + "/?room=" + url.QueryEscape(id) }

// roomEnvelopes applies what the room sent since the last update and
// reports whether anything came.
func (c *Controller) roomEnvelopes() bool {
	changed := false
	for {
		e, ok := c.room.Client.Poll()
		if !ok {
			return changed
		}
		changed = true
		if err := c.room.Handle(e, c.page.Now()); err != nil {
			c.page.Notice(err.Error())
		}
		if c.room.TL != nil {
			c.log = c.room.TL.Log()
		}
	}
}

// roomHost is the page as the room's session sees it.
type roomHost struct{ c *Controller }

var _ room.Host = roomHost{}

// Load shows the room's scene afresh; the room's world replaces it at the
// next update, and the history starts again once that world is at now.
func (h roomHost) Load(sc *scenes.Scene, name string) error {
	err := h.c.load(sc, name, sc.Seed, nil)
	h.c.hist, h.c.past = nil, nil
	return err
}

// Applied passes an action of the room to the page's board, if it drives
// one, and to the history of the world's recent past.
func (h roomHost) Applied(act sim.Action, err error) {
	h.c.toBoard(act)
	if err != nil {
		h.c.page.Info(err.Error())
	}
	h.c.pastAdd(act)
}

// Command is a command for the board this page holds.
func (h roomHost) Command(body json.RawMessage) { h.c.boardCommand(body) }

// createRoom asks the server for a new room on this scene; the room is
// joined when the server's answer comes (madeRoom).
func (c *Controller) createRoom() {
	name := c.name
	if name == "" {
		c.page.Notice("A live room starts from a built-in scene; an edited scene can be shared with a link.")
		return
	}
	body, err := json.Marshal(map[string]string{"scene": name})
	if err != nil {
		c.page.Notice("The server could not make a room: " + err.Error())
		return
	}
	go func() { // Post blocks: not on the game loop
		id, err := readCreated(c.net.Post("/rooms", body))
		c.made <- made{id: id, err: err}
	}()
}

// made is the server's answer to a request for a room: its id, or why
// there is none.
type made struct {
	id  string
	err error
}

// readCreated reads the server's answer to POST /rooms: the new room's id,
// or what the server said was wrong (an RFC 9457 problem's detail).
// statusCreated is HTTP's 201 Created. The page does not link net/http
// for it: the browser does the fetching, and net/http with the TLS stack
// it brings weighs about 300 KB of the brotli download.
const statusCreated = 201

func readCreated(status int, reply []byte, err error) (string, error) {
	if err != nil {
		return "", err
	}
	var r struct {
		ID     string `json:"id"`
		Detail string `json:"detail"`
	}
	jerr := json.Unmarshal(reply, &r)
	switch {
	case status == statusCreated && jerr == nil && r.ID != "":
		return r.ID, nil
	case r.Detail != "":
		return "", errors.New(r.Detail)
	case jerr != nil:
		return "", fmt.Errorf("its answer (status %d) is not JSON: %w", status, jerr)
	}
	return "", fmt.Errorf("its answer (status %d) has no room id", status)
}

// madeRooms joins the room the server made, or says why it made none.
func (c *Controller) madeRooms() bool {
	select {
	case m := <-c.made:
		if m.err != nil {
			c.page.Notice("The server could not make a room: " + m.err.Error())
			return true
		}
		c.setURL(c.roomLink(m.id))
		c.joinRoom(m.id)
		return true
	default:
		return false
	}
}
