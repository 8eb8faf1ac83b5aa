//go:build js && wasm

// Command wasm is Thingyard in the browser: it builds the world, runs it in
// an Ebitengine game loop, draws it with package render and mounts the Vugu
// panels of package ui. It only wires these together.
package main

import (
	"log"
	"runtime/debug"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/vugu/vugu"
	"github.com/vugu/vugu/domrender"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/wasm/controller"
	"github.com/thingyard/thingyard/wasm/ui"
)

func main() {
	gcAfterStart := startWithoutGC()
	a, err := newApp()
	if err != nil {
		notice("Thingyard could not read its address: " + err.Error())
		return
	}
	a.gcAfterStart = gcAfterStart
	phaseNow("Building the scene…")
	a.c.LazyEditor() // its YAML is made once the panels mount
	a.c.HoldModel()  // until the first frame is drawn (app.Draw)
	a.c.Boot()
	phase("Starting the graphics…", "WebGL, and the first frame")
	go a.mountPanels()
	ebiten.SetWindowTitle("Thingyard")
	ebiten.SetTPS(controller.TPS)
	// Every frame starts with a copy of the cached layer over the whole
	// screen, so clearing it first would only cost a full-screen fill.
	ebiten.SetScreenClearedEveryFrame(false)
	// The page opens with the keyboard's focus where the browser puts it,
	// not in the canvas: Tab reaches the canvas like any control.
	defer a.close()
	if err := ebiten.RunGameWithOptions(a, &ebiten.RunGameOptions{InitUnfocused: true}); err != nil {
		notice("The device world stopped: " + err.Error())
	}
}

// mountPanels mounts the Vugu panels once the world's first frame is on
// screen (once the second is drawn): the page opens with the world, and
// the panels' first render, with the list of scenes it shows, need not
// hold it up. The page is ready (window.thingyard.ready) once they show.
func (a *app) mountPanels() {
	<-a.drawn
	nextPaint()
	a.c.Model().Scenes = scenes.Summaries()
	renderer, err := domrender.New("#ui")
	if err != nil {
		notice("Thingyard could not mount its panels: " + err.Error())
		return
	}
	defer renderer.Release()
	env := renderer.EventEnv()
	buildEnv, err := vugu.NewBuildEnv(env)
	if err != nil {
		notice("Thingyard could not start its panels: " + err.Error())
		return
	}
	a.env = env
	a.c.SetLocker(env)
	root := &ui.Root{Model: a.c.Model(), Send: a.c.Send, Connect: a.c.ConnectBoard, Download: a.c.DownloadCapture}
	for ok := true; ok; ok = renderer.EventWait() {
		if err := renderer.Render(buildEnv.RunBuild(root)); err != nil {
			log.Printf("panels: %v", err)
		}
		root.AfterRender()
		if !a.state.Get("ready").Bool() {
			a.state.Set("ready", true)
		}
	}
}

// startMemoryLimit bounds the heap while the collector waits for the
// first frame (startWithoutGC): past it, the collector runs as usual.
const startMemoryLimit = 512 << 20

// startWithoutGC holds the garbage collector back until the world's first
// frame is on screen, and returns what lets it run as it did before
// (called at the second frame). Most of what is allocated before it
// stays (the world, the atlas, the first frame's buffers), so a
// collection then would free little, and it cost the start tens of
// milliseconds. The heap is still bounded by startMemoryLimit.
// (Starting the runtime with GOGC=off as well, before the packages' own
// start, was slower: 20 starts each in headless Chromium put Go's start
// at 241 ms against 208 ms, as the heap then grows where it would have
// been reused.)
func startWithoutGC() (gcAfterStart func()) {
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(startMemoryLimit)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}
