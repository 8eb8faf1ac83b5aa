//go:build !js

package controller_test

import (
	"strings"
	"testing"

	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wasm/ui"
)

func TestNewRoomJoinsIt(t *testing.T) {
	srv := serveRelay(t, relay.Options{})
	f := open(t, origin+"/", srv)
	f.do(ui.LoadScene{Name: "real-board"})
	f.do(ui.NewRoom{})
	m := f.c.Model()
	f.until(t, func() (bool, string) {
		return m.Room != "" && m.Members == 1 && f.c.Name() == "real-board",
			"the page in its new room of real-board: room " + m.Room + ", status " + m.RoomStatus + ", scene " + f.c.Name()
	})
	if want := origin + "/?room=" + m.Room; f.page.address() != want || m.RoomLink != want {
		t.Errorf("address %q, room link %q: want %q", f.page.address(), m.RoomLink, want)
	}
	if m.Origin != origin || m.RoomStatus != room.Live {
		t.Errorf("room panel: origin %q, status %q", m.Origin, m.RoomStatus)
	}
	if n := len(f.page.notices); n != 0 {
		t.Errorf("notices %q", f.page.notices)
	}

	// A second page opens the room's link and sees the same world.
	g := open(t, f.page.address(), srv)
	both := []*fixture{f, g}
	together(t, both, func() (bool, string) {
		return m.Members == 2 && g.c.Model().Members == 2, "both pages in the room"
	})
	f.do(ui.Act{Action: actPower("fan", false)})
	together(t, both, func() (bool, string) {
		d, _ := g.c.World().Device("fan")
		return !d.Powered, "the other page's fan switched off by the room"
	})

	// The shared clock and scene are not one page's to change.
	f.do(ui.LoadScene{Name: "overview"})
	if !strings.Contains(f.page.lastNotice(), "live room") || f.c.Name() != "real-board" {
		t.Errorf("loading a scene in a room: notice %q, scene %q", f.page.lastNotice(), f.c.Name())
	}
}

func TestNewRoomErrorsSurface(t *testing.T) {
	t.Run("edited scene", func(t *testing.T) {
		f := open(t, origin+"/", noServer)
		f.do(ui.ApplyYAML{YAML: f.c.Model().Editor})
		f.do(ui.NewRoom{})
		if note := f.page.lastNotice(); !strings.Contains(note, "A live room starts from a built-in scene") {
			t.Errorf("notice %q", note)
		}
	})
	t.Run("no server", func(t *testing.T) {
		f := open(t, origin+"/", noServer)
		f.do(ui.NewRoom{})
		f.until(t, func() (bool, string) {
			return f.page.lastNotice() != "", "a notice"
		})
		if note := f.page.lastNotice(); !strings.HasPrefix(note, "The server could not make a room: ") || !strings.Contains(note, "refused") {
			t.Errorf("notice %q, want why the server could not be reached", note)
		}
		if f.c.Model().Room != "" {
			t.Errorf("in room %q", f.c.Model().Room)
		}
	})
	t.Run("too many rooms", func(t *testing.T) {
		srv := serveRelay(t, relay.Options{CreateRate: 1})
		f := open(t, origin+"/", srv)
		f.do(ui.NewRoom{})
		f.until(t, func() (bool, string) { return f.c.Model().Room != "", "the first room" })
		first := f.c.Model().Room
		f.do(ui.NewRoom{})
		f.until(t, func() (bool, string) { return f.page.lastNotice() != "", "a notice" })
		note := f.page.lastNotice()
		if !strings.HasPrefix(note, "The server could not make a room: ") || !strings.Contains(note, "a minute") {
			t.Errorf("notice %q, want the server's reason (its rate)", note)
		}
		if f.c.Model().Room != first {
			t.Errorf("room %q, want the first (%q) kept", f.c.Model().Room, first)
		}
	})
}
