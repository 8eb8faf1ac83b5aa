//go:build js && wasm

package main

import "syscall/js"

// phase tells the page's loader which step of the start runs now and
// waits until the page shows it: the program runs on the page's only
// thread, so a step that keeps it busy would otherwise hide the text. The
// loader lists the steps done with their times and shows a busy bar while
// a step has no progress to tell.
func phase(title, detail string) { loader(title, 0, 0, detail) }

// phaseNow tells the loader which step runs now without waiting for the
// page to show it, for a step too short to be seen: its time is still
// listed once the next one starts.
func phaseNow(title string) { tell(title, 0, 0, "") }

// progress tells the loader how far the current step is, done of total,
// with detail saying it in words, and waits until the page shows it.
func progress(done, total int64, detail string) { loader("", done, total, detail) }

func loader(title string, done, total int64, detail string) {
	p := tell(title, done, total, detail)
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return
	}
	shown := make(chan struct{})
	cb := js.FuncOf(func(js.Value, []js.Value) any { close(shown); return nil })
	defer cb.Release()
	p.Call("then", cb)
	<-shown
}

// nextPaint waits for a task of the page's own after the one running now:
// called during an animation frame, that is after the browser has drawn
// it, so what was drawn is on screen.
func nextPaint() {
	done := make(chan struct{})
	f := js.FuncOf(func(js.Value, []js.Value) any { close(done); return nil })
	defer f.Release()
	js.Global().Call("setTimeout", f, 0)
	<-done
}

// tell calls the page's loader (thingyardPhase) and returns the promise it
// gives, settled once the page shows it; undefined when there is no
// loader (not the Thingyard page: a test harness).
func tell(title string, done, total int64, detail string) js.Value {
	f := js.Global().Get("thingyardPhase")
	if f.Type() != js.TypeFunction {
		return js.Undefined()
	}
	return f.Invoke(title, done, total, detail)
}
