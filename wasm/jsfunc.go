//go:build js && wasm

package main

import (
	"errors"
	"log"
	"syscall/js"
)

// listen calls f with every event named kind on target until the returned
// stop is called, which removes the listener and releases its js.Func. f
// runs in a JavaScript callback: it must not block.
func listen(target js.Value, kind string, f func(ev js.Value)) (stop func()) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		return nil
	})
	target.Call("addEventListener", kind, fn)
	return func() {
		target.Call("removeEventListener", kind, fn)
		fn.Release()
	}
}

// await waits for promise p: its value, or why it was rejected. It blocks,
// so it is called on a goroutine of its own, never in a JavaScript
// callback or the game loop.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1) // one of the two callbacks runs, once
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{v: args[0]}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{err: errors.New(args[0].Call("toString").String())}
		return nil
	})
	p.Call("then", ok, fail)
	r := <-done
	ok.Release()
	fail.Release()
	return r.v, r.err
}

// copyText puts text on the clipboard, reporting false when the page has
// none (then the person selects and copies it). A refusal is logged.
func copyText(text string) bool {
	cb := js.Global().Get("navigator").Get("clipboard")
	if !cb.Truthy() {
		return false
	}
	p := cb.Call("writeText", text)
	go func() {
		if _, err := await(p); err != nil {
			log.Print("Thingyard: copy to the clipboard: " + err.Error())
		}
	}()
	return true
}

// notice shows a message on the page (in its notice bar, or instead of a
// blank canvas when the world cannot start) and logs it.
func notice(msg string) {
	log.Print(msg)
	if f := js.Global().Get("thingyardNotice"); f.Type() == js.TypeFunction {
		f.Invoke(msg)
	}
}

// consoleInfo logs what a person need not see, such as an action the
// world refused.
func consoleInfo(msg string) {
	js.Global().Get("console").Call("info", "Thingyard: "+msg)
}

// perfNow is performance.now(): the clock of the browser's events, ms.
func perfNow() float64 { return js.Global().Get("performance").Call("now").Float() }
