//go:build js && wasm

// Package webserial reaches a USB board through the browser's Web Serial
// API. JavaScript callbacks never block: bytes that arrive are handed to a
// callback that must return at once, and the port's state is reported as
// it changes, including a board unplugged mid-stream.
package webserial

import (
	"errors"
	"syscall/js"
)

// Supported reports whether this browser offers Web Serial. It needs a
// Chromium-based browser and a secure page (https, or http on localhost).
func Supported() bool {
	return js.Global().Get("navigator").Get("serial").Truthy() && js.Global().Get("isSecureContext").Truthy()
}

// Why says why Web Serial is missing, for the person.
func Why() string {
	if !js.Global().Get("isSecureContext").Truthy() {
		return "Web Serial works only on secure pages: open Thingyard over https, or on http://localhost."
	}
	return "This browser has no Web Serial: use Chrome, Edge or another Chromium-based browser (Firefox and Safari do not offer it)."
}

// Port is an open board.
type Port struct {
	port   js.Value
	reader js.Value
	funcs  []js.Func
	closed bool
}

// Events are what a port reports; each must return without blocking.
type Events struct {
	Data  func([]byte)
	State func(state, detail string) // "open", "closed", "unplugged", "error"
}

// Request asks the person to pick a port (it must run inside a click
// handler), opens it at baud and starts reading.
func Request(baud int, ev Events) {
	p := &Port{}
	done := func(f js.Func) js.Func { p.funcs = append(p.funcs, f); return f }
	onErr := done(js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := args[0].Call("toString").String()
		if args[0].Get("name").String() == "NotFoundError" {
			ev.State("closed", "no port was chosen")
			return nil
		}
		ev.State("error", msg)
		return nil
	}))
	onOpen := done(js.FuncOf(func(this js.Value, args []js.Value) any {
		ev.State("open", "")
		p.read(ev)
		return nil
	}))
	onPort := done(js.FuncOf(func(this js.Value, args []js.Value) any {
		p.port = args[0]
		opts := js.Global().Get("Object").New()
		opts.Set("baudRate", baud)
		disc := done(js.FuncOf(func(this js.Value, args []js.Value) any {
			if !p.closed {
				p.closed = true
				ev.State("unplugged", "the board was unplugged")
			}
			return nil
		}))
		p.port.Call("addEventListener", "disconnect", disc)
		return p.port.Call("open", opts).Call("then", onOpen).Call("catch", onErr)
	}))
	js.Global().Get("navigator").Get("serial").Call("requestPort").Call("then", onPort).Call("catch", onErr)
	current = p
}

// current is the open port; Thingyard holds one board per browser.
var current *Port

// read pulls chunks until the stream ends.
func (p *Port) read(ev Events) {
	p.reader = p.port.Get("readable").Call("getReader")
	var next js.Func
	next = js.FuncOf(func(this js.Value, args []js.Value) any {
		r := args[0]
		if r.Get("done").Bool() {
			if !p.closed {
				p.closed = true
				ev.State("closed", "the board closed the stream")
			}
			return nil
		}
		v := r.Get("value")
		b := make([]byte, v.Get("length").Int())
		js.CopyBytesToGo(b, v)
		ev.Data(b)
		return p.reader.Call("read").Call("then", next)
	})
	fail := js.FuncOf(func(this js.Value, args []js.Value) any {
		if !p.closed {
			p.closed = true
			ev.State("unplugged", args[0].Call("toString").String())
		}
		return nil
	})
	p.funcs = append(p.funcs, next, fail)
	p.reader.Call("read").Call("then", next).Call("catch", fail)
}

// ErrNotOpen is returned by Write without an open port.
var ErrNotOpen = errors.New("webserial: no board is connected")

// Write sends bytes to the open board.
func Write(b []byte) error {
	p := current
	if p == nil || p.closed || !p.port.Truthy() {
		return ErrNotOpen
	}
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	w := p.port.Get("writable").Call("getWriter")
	w.Call("write", arr)
	w.Call("releaseLock")
	return nil
}
