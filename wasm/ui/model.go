// Package ui is Thingyard's HTML side: Vugu panels for the scene, the
// controls, the live comparison of the M2M and IoT sides, the inspector,
// sharing and the scene editor. Panels never touch the world: they read a
// Model that the game loop refreshes a few times a second and send Commands
// back to it.
package ui

import (
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// Model is what the panels show. The game loop replaces it under the
// renderer's event lock, so a component reads a consistent picture.
type Model struct {
	Scene   string
	Title   string
	Lesson  string
	Try     []string
	Scenes  []scenes.Summary
	Tick    int64  // the tick of the world shown: the live one, or the past
	Hash    string // the shown world's state hash while it stands still (paused, or looking back), else ""
	Paused  bool
	Speed   float64
	Sides   []sim.SideMetrics
	Series  []sim.Sample
	Refusal string
	Links   []LinkChoice
	// HasInternet is true when the world has internet links; InternetUp
	// when they are up.
	HasInternet, InternetUp bool

	// Device is the device the person picked in the world, if any.
	Device *sim.DeviceInfo
	// Message is the message picked, with its dissection.
	Message *sim.MessageInfo
	Fields  []proto.Field
	Hex     string
	// Reveal counts the selections made in the world: each new one
	// brings the inspector into view.
	Reveal int
	// Recent are the last messages the inspected device sent or received,
	// newest first, kept after they arrived.
	Recent []sim.MessageInfo

	// Share is the link that reproduces what is on screen, once asked for.
	Share     string
	ShareNote string
	// Editor holds the scene as YAML and the errors of the last edit.
	Editor      string
	EditorError string

	// Room is the live room joined, if any, with how the connection goes
	// and how many browsers share it.
	Room, RoomStatus, RoomLink string
	Members                    int
	// Origin is the page's origin (scheme://host:port), for the curl line
	// of the open API; MQTTHost and MQTTPort where the server's MQTT
	// broker answers, "" when it runs none, and MQTTToken the room's
	// password there (the user name is the room id).
	Origin, MQTTHost, MQTTPort, MQTTToken string

	Board Board

	// Things is the world as text: the rows of the device list in view.
	Things Things
	// Theme is the page's theme, "light" or "dark".
	Theme string
	// WorldOnly shows the world with a bar of its main controls instead
	// of the panels (view=world, and embed=1 unless view=full); Embed is
	// true in a course page's frame (embed=1), where OpenLink opens this
	// world in a page of its own.
	WorldOnly, Embed bool
	OpenLink         string
	// EmbedCode is an iframe element showing this world, once asked for.
	EmbedCode, EmbedNote string
	// Recording is true while a clip of the world is being recorded, of
	// RecordBytes so far over RecordMs; PictureNote says what became of
	// the last picture or clip.
	Recording   bool
	RecordBytes int64
	RecordMs    int64
	PictureNote string
	// Events is the event list's window, while the list is open.
	Events EventsView
	Time   Time
}

// EventsView is what the event list shows: a window of the rows its
// filter chooses, newest first, and where that window lies.
type EventsView struct {
	Open bool
	Rows []EventRow
	// Matching is how many kept rows the filter chooses, Newer how many
	// of them are newer than the window; Kept and FellOff count the
	// list's rows.
	Matching, Newer, Kept int
	FellOff               uint64
	// Before is the window's place (0: the newest rows); Older and
	// NewerBefore are those of the windows back and forward.
	Before, Older, NewerBefore uint64
	// Device is the device the list is filtered to: the one selected in
	// the world.
	Device string
	// Picked is the row shown in the inspector, 0 for none.
	Picked uint64
}

// Time is what the time controls show: how far back the run can be
// scrubbed, and whether the world shown is the past.
type Time struct {
	// Oldest is the oldest tick kept, Live the live world's tick.
	Oldest, Live int64
	// Back is true while the world shown is the past: actions are off
	// then, and in a live room the room's world runs on meanwhile.
	Back bool
	// Note says why a time control did nothing (the oldest moment kept
	// is shown already), or "".
	Note string
}

// Board is the state of a real board attached through Web Serial.
type Board struct {
	Supported bool
	Why       string // why Web Serial is missing
	State     string // "", "open", "closed", "unplugged", "error"
	Detail    string
	Device    string // the world's board device it drives
	InScene   string // the scene's board device, "" when it has none
	Protocol  string // what it speaks: plotter, firmata or modbus
	Lines     int    // readings that reached the world
	Last      string // the last reading, as text
	Console   string // the tail of what the board printed
	// Held are the room's boards that others hold (another member, or
	// the server's serial gateway), with what they say of them.
	Held []HeldBoard
}

// HeldBoard is a real board that someone else in the room holds.
type HeldBoard struct {
	Device string
	Note   string // what its holder says of it, "" when nothing
	Silent bool   // the board does not answer
}

// BoardProtocols are the choices of what a board speaks; auto finds out.
var BoardProtocols = []string{"auto", "plotter", "firmata", "modbus"}

// Bauds are the choices of the board's speed.
var Bauds = []int{9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// LinkChoice is a link devices can be added to.
type LinkChoice struct {
	ID, Label string
}

// Speeds are the choices of the speed control.
var Speeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16}

// MaxRecent is how many recent messages the inspector lists.
const MaxRecent = 8

// AddCounts are the choices of how many devices to add at once.
var AddCounts = []int{1, 10, 100, 1000}
