//go:build js && wasm

// Package webserial reaches a USB board through the browser's Web Serial
// API, as an io.ReadWriteCloser that board.Session reads from its own
// goroutine. JavaScript callbacks never block: bytes that arrive are
// buffered and signalled on a capacity-1 channel, and Read waits on it. A
// board unplugged mid-stream ends Read with ErrUnplugged; a port the
// person granted once can be opened again without a click when it comes
// back (OnReconnect).
package webserial

import (
	"errors"
	"io"
	"sync"
	"syscall/js"
)

// Supported reports whether this browser offers Web Serial. It needs a
// Chromium-based browser and a secure page (https, or http on localhost).
func Supported() bool {
	return js.Global().Get("navigator").Get("serial").Truthy() && js.Global().Get("isSecureContext").Truthy()
}

// Why says why Web Serial is missing and what to do instead, for the
// person.
func Why() string {
	const instead = " Or plug the board into the machine that runs the Thingyard server and start it with -serial (see the README's board section)."
	if !js.Global().Get("isSecureContext").Truthy() {
		return "Web Serial works only on secure pages: open Thingyard over https, or on http://localhost or http://127.0.0.1 on the machine the board is plugged into." + instead
	}
	return "This browser has no Web Serial (Firefox and Safari do not offer it): open Thingyard in Chrome, Edge or another Chromium-based browser." + instead
}

// Errors a port's Read ends with.
var (
	ErrUnplugged = errors.New("webserial: the board was unplugged")
	ErrNotOpen   = errors.New("webserial: no board is connected")
)

// Port is an open board.
type Port struct {
	port   js.Value
	reader js.Value

	mu     sync.Mutex
	buf    []byte
	err    error // why reading ended
	ready  chan struct{}
	funcs  []js.Func
	closed bool
}

// Request asks the person to pick a port (it must run inside a click
// handler), opens it at baud and calls done with it, or with why not.
func Request(baud int, done func(*Port, error)) {
	serial := js.Global().Get("navigator").Get("serial")
	if !serial.Truthy() {
		done(nil, errors.New(Why()))
		return
	}
	promise(serial.Call("requestPort"), func(port js.Value) { open(port, baud, done) }, func(err js.Value) {
		if err.Get("name").String() == "NotFoundError" {
			done(nil, errors.New("no port was chosen"))
			return
		}
		done(nil, errors.New(err.Call("toString").String()))
	})
}

// OnReconnect calls done with the port opened again when a port the
// person granted earlier is plugged back in (the connect event of
// navigator.serial, or one already there when it is called). It returns
// a function that stops listening.
func OnReconnect(baud int, done func(*Port, error)) (stop func()) {
	serial := js.Global().Get("navigator").Get("serial")
	if !serial.Truthy() {
		return func() {}
	}
	var once sync.Once
	var f js.Func
	stop = func() {
		once.Do(func() {
			serial.Call("removeEventListener", "connect", f)
			f.Release()
		})
	}
	f = js.FuncOf(func(this js.Value, args []js.Value) any {
		port := args[0].Get("target")
		if p := args[0].Get("port"); p.Truthy() {
			port = p
		}
		stop()
		open(port, baud, done)
		return nil
	})
	serial.Call("addEventListener", "connect", f)
	return stop
}

// open opens a granted port and starts reading it.
func open(port js.Value, baud int, done func(*Port, error)) {
	opts := js.Global().Get("Object").New()
	opts.Set("baudRate", baud)
	p := &Port{port: port, ready: make(chan struct{}, 1)}
	disc := js.FuncOf(func(this js.Value, args []js.Value) any {
		p.fail(ErrUnplugged)
		return nil
	})
	p.funcs = append(p.funcs, disc)
	port.Call("addEventListener", "disconnect", disc)
	promise(port.Call("open", opts), func(js.Value) {
		p.reader = port.Get("readable").Call("getReader")
		p.read()
		done(p, nil)
	}, func(err js.Value) {
		p.release()
		done(nil, errors.New("open the port: "+err.Call("toString").String()))
	})
}

// read pulls chunks until the stream ends; each callback returns at once.
// Its functions are released when the stream ends.
func (p *Port) read() {
	var next, fail js.Func
	end := func(err error) {
		p.fail(err)
		next.Release()
		fail.Release()
	}
	next = js.FuncOf(func(this js.Value, args []js.Value) any {
		r := args[0]
		if r.Get("done").Bool() {
			end(io.EOF)
			return nil
		}
		v := r.Get("value")
		b := make([]byte, v.Get("length").Int())
		js.CopyBytesToGo(b, v)
		p.mu.Lock()
		p.buf = append(p.buf, b...)
		p.mu.Unlock()
		p.signal()
		p.reader.Call("read").Call("then", next, fail)
		return nil
	})
	fail = js.FuncOf(func(this js.Value, args []js.Value) any {
		end(ErrUnplugged)
		return nil
	})
	p.reader.Call("read").Call("then", next, fail)
}

func (p *Port) signal() {
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

// fail ends reading with err (the first reason wins).
func (p *Port) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.signal()
}

// Read waits for bytes from the board.
func (p *Port) Read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		}
		err := p.err
		p.mu.Unlock()
		if err != nil {
			return 0, err
		}
		<-p.ready
	}
}

// Write sends bytes to the board; the browser queues them.
func (p *Port) Write(b []byte) (int, error) {
	if closed, err := p.state(); err != nil || closed {
		return 0, ErrNotOpen
	}
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	w := p.port.Get("writable").Call("getWriter")
	w.Call("write", arr)
	w.Call("releaseLock")
	return len(b), nil
}

// Unplugged reports whether the board went away (rather than the stream
// being closed).
func (p *Port) Unplugged() bool {
	_, err := p.state()
	return errors.Is(err, ErrUnplugged)
}

// state is whether Close was called and why reading ended (nil while it
// goes on).
func (p *Port) state() (closed bool, err error) {
	p.mu.Lock()
	closed, err = p.closed, p.err
	p.mu.Unlock()
	return closed, err
}

// Close stops reading and closes the port.
func (p *Port) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.fail(io.ErrClosedPipe)
	closePort := func(js.Value) {
		promise(p.port.Call("close"), func(js.Value) {}, func(js.Value) {})
	}
	if p.reader.Truthy() {
		promise(p.reader.Call("cancel"), func(js.Value) {
			p.reader.Call("releaseLock")
			closePort(js.Undefined())
		}, closePort)
	} else {
		closePort(js.Undefined())
	}
	p.release()
	return nil
}

// release removes the disconnect listener.
func (p *Port) release() {
	p.mu.Lock()
	fs := p.funcs
	p.funcs = nil
	p.mu.Unlock()
	for _, f := range fs {
		p.port.Call("removeEventListener", "disconnect", f)
		f.Release()
	}
}

// promise calls ok or fail when pr settles; both run on the event loop
// and must return at once. The js.Funcs are released after.
func promise(pr js.Value, ok, fail func(js.Value)) {
	var okf, failf js.Func
	okf = js.FuncOf(func(this js.Value, args []js.Value) any {
		okf.Release()
		failf.Release()
		ok(arg0(args))
		return nil
	})
	failf = js.FuncOf(func(this js.Value, args []js.Value) any {
		okf.Release()
		failf.Release()
		fail(arg0(args))
		return nil
	})
	pr.Call("then", okf, failf)
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}
