// Package ui is Thingyard's HTML side: Vugu components for the scene, the
// controls and the live comparison of the M2M and IoT sides. Components
// never touch the world: they read a Model that the game loop refreshes a
// few times a second and send Commands back to it.
package ui

import "github.com/thingyard/thingyard/sim"

// Model is what the panels show. The game loop replaces it under the
// renderer's event lock, so a component reads a consistent picture.
type Model struct {
	Scene   string
	Title   string
	Lesson  string
	Tick    int64
	Hash    string
	Paused  bool
	Speed   float64
	Sides   []sim.SideMetrics
	Refusal string
	// Selected is the device the person picked in the world, if any.
	Selected *sim.DeviceInfo
}

// Command is something a person asked for in a panel. Actions change the
// world (and are shared in a room); the other fields change only this view.
type Command struct {
	Action *sim.Action
	Pause  *bool
	Speed  float64
	Reset  bool
}

// Speeds are the choices of the speed control.
var Speeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16}
