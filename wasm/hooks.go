//go:build js && wasm

package main

import (
	"encoding/json"
	"image/color"
	"syscall/js"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/ui"
)

// hooks makes window.thingyard: what tests and tools read of the page
// (ready, frames, the world's hash marks, the selection) and functions
// they call.
func (a *app) hooks() {
	a.state = js.Global().Get("Object").New()
	a.state.Set("ready", false)
	a.state.Set("frames", 0)
	a.state.Set("marks", js.Global().Get("Object").New())
	a.state.Set("selected", "")
	a.state.Set("selectedMessage", 0)
	a.state.Set("reveal", 0)
	a.state.Set("seekDone", 0)
	for name, f := range map[string]func(js.Value, []js.Value) any{
		"where": a.where, "device": a.deviceJS, "log": a.logJS, "messages": a.messagesJS,
		"texts": a.textsJS, "textBoxes": a.textBoxesJS, "fit": a.fitJS, "seek": a.seekJS,
	} {
		fn := js.FuncOf(f)
		a.state.Set(name, fn)
		a.stops = append(a.stops, func() {
			a.state.Delete(name)
			fn.Release()
		})
	}
	js.Global().Set("thingyard", a.state)
}

// canvasBox is where the world's canvas is on the page: its top left
// corner in page (CSS) pixels and the device pixel ratio that turns the
// renderer's pixels into them; ok is false while there is no canvas.
func (a *app) canvasBox() (box js.Value, left, top, dpr float64, ok bool) {
	canvas := js.Global().Get("document").Call("querySelector", "body > canvas")
	if !canvas.Truthy() {
		return js.Value{}, 0, 0, 0, false
	}
	box = canvas.Call("getBoundingClientRect")
	return box, box.Get("left").Float(), box.Get("top").Float(), a.r.DPR(), true
}

// where is window.thingyard.where(id): the device's centre in page (CSS)
// pixels, or null, so tests and tools can click and drag it.
func (a *app) where(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	x, y, found := a.r.ScreenOf(a.c.View(), args[0].String())
	_, left, top, dpr, ok := a.canvasBox()
	if !found || !ok {
		return nil
	}
	return map[string]any{"x": left + x/dpr, "y": top + y/dpr}
}

// messagesJS is window.thingyard.messages(): every message drawn in
// flight as {id, x, y} in page (CSS) pixels, so tests can see how messages
// move.
func (a *app) messagesJS(js.Value, []js.Value) any {
	return a.onPage("id", func(yield func(any, float64, float64)) {
		a.r.EachMessage(a.c.View(), func(id uint64, x, y float64) { yield(id, x, y) })
	})
}

// textsJS is window.thingyard.texts(): every text written in the world
// (device names, side titles, link captions) as {s, x, y} in page (CSS)
// pixels, so tests can see which names are shown.
func (a *app) textsJS(js.Value, []js.Value) any {
	return a.onPage("s", func(yield func(any, float64, float64)) {
		a.r.EachText(func(s string, x, y float64) { yield(s, x, y) })
	})
}

// onPage lists what each yields, a value at a point of the canvas in the
// renderer's pixels, as {key: value, x, y} in page (CSS) pixels; null
// while there is no canvas.
func (a *app) onPage(key string, each func(yield func(v any, x, y float64))) any {
	_, left, top, dpr, ok := a.canvasBox()
	if !ok {
		return nil
	}
	out := []any{}
	each(func(v any, x, y float64) {
		out = append(out, map[string]any{key: v, "x": left + x/dpr, "y": top + y/dpr})
	})
	return out
}

// textBoxesJS is window.thingyard.textBoxes(): every text on the canvas,
// the legend's included, as {s, x0, y0, x1, y1, color} with its box in
// page (CSS) pixels and its colour as #rrggbb, so tests can read the
// contrast of each against the pixels around it.
func (a *app) textBoxesJS(js.Value, []js.Value) any {
	_, left, top, dpr, ok := a.canvasBox()
	if !ok {
		return nil
	}
	out := []any{}
	const hex = "0123456789abcdef"
	a.r.EachTextBox(func(s string, x0, y0, x1, y1 float64, c color.RGBA) {
		col := []byte{'#', hex[c.R>>4], hex[c.R&15], hex[c.G>>4], hex[c.G&15], hex[c.B>>4], hex[c.B&15]}
		out = append(out, map[string]any{"s": s, "x0": left + x0/dpr, "y0": top + y0/dpr, "x1": left + x1/dpr, "y1": top + y1/dpr,
			"color": string(col)})
	})
	return out
}

// fitJS is window.thingyard.fit(): the world's area (the canvas) and the
// box the fitted world is drawn in (its sides' frames), and the legend's
// height along the bottom, in page (CSS) pixels, so tests can see how well
// the world fills its area.
func (a *app) fitJS(js.Value, []js.Value) any {
	r, left, top, dpr, ok := a.canvasBox()
	if !ok {
		return nil
	}
	b := a.r.WorldBox(a.c.View())
	return map[string]any{
		"area":   map[string]any{"x": left, "y": top, "w": r.Get("width").Float(), "h": r.Get("height").Float()},
		"box":    map[string]any{"x0": left + b.X0/dpr, "y0": top + b.Y0/dpr, "x1": left + b.X1/dpr, "y1": top + b.Y1/dpr},
		"legend": a.r.LegendH() / dpr,
	}
}

// deviceJS is window.thingyard.device(id): what the inspector knows of a
// device (position, power, stats), or null.
func (a *app) deviceJS(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	d, ok := a.c.Shown().Device(args[0].String())
	if !ok {
		return nil
	}
	return jsJSON(d)
}

// logJS is window.thingyard.log(): every action applied since the scene
// loaded, as the share link carries them, so tests can see that what a
// person did became an action.
func (a *app) logJS(js.Value, []js.Value) any {
	return jsJSON(append([]sim.Action{}, a.c.Log()...)) // [] rather than null
}

// jsJSON is v as a JavaScript value, through JSON; null, logged, when v
// cannot be written as JSON.
func jsJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		consoleInfo("window.thingyard: " + err.Error())
		return nil
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}

// seekJS is window.thingyard.seek(tick): scrub to tick as the scrubber
// does. seekDone counts the seeks done and seekMs says how long the last
// took, for tests and benchmarks.
func (a *app) seekJS(_ js.Value, args []js.Value) any {
	if len(args) < 1 {
		return nil
	}
	t := int64(args[0].Float())
	a.c.Send(ui.Seek{Tick: t})
	return nil
}
