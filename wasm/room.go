//go:build js && wasm

package main

import (
	"encoding/json"
	"syscall/js"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wasm/ui"
)

// joinRoom leaves the room the page is in, if any, and joins room id: its
// world replaces this one at the room's welcome.
func (a *app) joinRoom(id string) {
	if a.room != nil {
		a.room.Close()
	}
	a.room = room.NewSession(id, room.Dial(id), roomHost{a})
	a.paused, a.speed = false, 1
}

// roomLink is the link that joins room id.
func roomLink(id string) string {
	return js.Global().Get("location").Get("origin").String() + "/?room=" + id
}

// roomEnvelopes applies what the room sent since the last update and
// reports whether anything came.
func (a *app) roomEnvelopes() bool {
	changed := false
	for {
		e, ok := a.room.Client.Poll()
		if !ok {
			return changed
		}
		changed = true
		if err := a.room.Handle(e, perfNow()); err != nil {
			notice(err.Error())
		}
		if a.room.TL != nil {
			a.log = a.room.TL.Log()
		}
	}
}

// roomHost is the page as the room's session sees it.
type roomHost struct{ a *app }

var _ room.Host = roomHost{}

// Load shows the room's scene afresh; the room's world replaces it at the
// next update, and the history starts again once that world is at now.
func (h roomHost) Load(sc *scenes.Scene, name string) error {
	err := h.a.load(sc, name, sc.Seed, nil)
	h.a.hist, h.a.past = nil, nil
	return err
}

// Applied passes an action of the room to the page's board, if it drives
// one, and to the history of the world's recent past.
func (h roomHost) Applied(act sim.Action, err error) {
	h.a.toBoard(act)
	if err != nil {
		consoleInfo(err.Error())
	}
	h.a.pastAdd(act)
}

// Command is a command for the board this page holds.
func (h roomHost) Command(body json.RawMessage) { h.a.boardCommand(body) }

// createRoom asks the server for a new room on this scene and joins it.
func (a *app) createRoom() {
	name := a.name
	if name == "" {
		notice("A live room starts from a built-in scene; an edited scene can be shared with a link.")
		return
	}
	body, err := json.Marshal(map[string]string{"scene": name})
	if err != nil {
		notice("The server could not make a room: " + err.Error())
		return
	}
	opts := js.Global().Get("Object").New()
	opts.Set("method", "POST")
	opts.Set("headers", js.ValueOf(map[string]any{"Content-Type": "application/json"}))
	opts.Set("body", string(body))
	fetched := js.Global().Call("fetch", "/rooms", opts)
	go func() { // await blocks: not on the game loop
		resp, err := await(fetched)
		if err == nil {
			resp, err = await(resp.Call("json"))
		}
		if err != nil {
			notice("The server could not make a room: " + err.Error())
			return
		}
		id := resp.Get("id")
		if !id.Truthy() {
			notice("The server could not make a room: " + resp.Get("detail").String())
			return
		}
		js.Global().Get("history").Call("replaceState", nil, "", "/?room="+id.String())
		a.send(ui.JoinRoom{ID: id.String()})
	}()
}
