package ui

import "github.com/thingyard/thingyard/sim"

// Command is something a person asked for in a panel: one type per
// command, carried out on the game loop. Act changes the world (and is
// shared in a room); the others change only this page's view of it.
type Command interface{ command() }

// The world.
type (
	// Act applies an action to the world.
	Act struct{ Action sim.Action }
	// Reset loads the scene again from its start.
	Reset struct{}
	// LoadScene loads the built-in scene Name.
	LoadScene struct{ Name string }
	// ApplyYAML loads the scene the editor holds.
	ApplyYAML struct{ YAML string }
)

// Time: pause, speed and stepping; the time controls' look back.
type (
	// Pause pauses the world (Paused) or runs it on.
	Pause struct{ Paused bool }
	// SetSpeed runs the world at Speed× (one of Speeds).
	SetSpeed struct{ Speed float64 }
	// Step steps a paused world one tick.
	Step struct{}
	// Seek shows the world at Tick, a tick of the past (the scrubber).
	Seek struct{ Tick int64 }
	// Back shows the world at the last frame sent before the one shown.
	Back struct{}
	// Next steps to the next frame sent.
	Next struct{}
	// Live returns to the live world.
	Live struct{}
)

// The inspector and the device list.
type (
	// Select inspects Device, as a click in the world does.
	Select struct{ Device string }
	// ListFrom builds the device list from row From.
	ListFrom struct{ From int }
	// PickRecent inspects the message at Index of Model.Recent.
	PickRecent struct{ Index int }
)

// The event list.
type (
	// OpenEvents opens the event list (Open) or closes it.
	OpenEvents struct{ Open bool }
	// FilterEvents filters the event list.
	FilterEvents struct{ Filter EventFilter }
	// EventsAt shows the window of the event list before row Before (0:
	// the newest rows).
	EventsAt struct{ Before uint64 }
	// PickEvent shows row N of the event list in the inspector.
	PickEvent struct{ N uint64 }
	// AllDevices shows every device's events again.
	AllDevices struct{}
)

// Sharing, rooms and the real board.
type (
	// Share makes and copies the share link of the world as it is.
	Share struct{}
	// EmbedCode makes and copies the iframe element of this world.
	EmbedCode struct{}
	// Picture saves a picture of the world.
	Picture struct{}
	// Record starts recording the world, or stops.
	Record struct{}
	// NewRoom makes a live room of this scene and joins it.
	NewRoom struct{}
	// JoinRoom joins the live room ID.
	JoinRoom struct{ ID string }
	// SendBoard writes Text to the real board.
	SendBoard struct{ Text string }
)

func (Act) command()          {}
func (Reset) command()        {}
func (LoadScene) command()    {}
func (ApplyYAML) command()    {}
func (Pause) command()        {}
func (SetSpeed) command()     {}
func (Step) command()         {}
func (Seek) command()         {}
func (Back) command()         {}
func (Next) command()         {}
func (Live) command()         {}
func (Select) command()       {}
func (ListFrom) command()     {}
func (PickRecent) command()   {}
func (OpenEvents) command()   {}
func (FilterEvents) command() {}
func (EventsAt) command()     {}
func (PickEvent) command()    {}
func (AllDevices) command()   {}
func (Share) command()        {}
func (EmbedCode) command()    {}
func (Picture) command()      {}
func (Record) command()       {}
func (NewRoom) command()      {}
func (JoinRoom) command()     {}
func (SendBoard) command()    {}
