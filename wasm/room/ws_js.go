//go:build js && wasm

package room

import (
	"context"
	"errors"
	"sync"
	"syscall/js"
)

// Dial starts joining room id at the page's origin, over the browser's
// WebSocket.
func Dial(id string) *Client {
	loc := js.Global().Get("location")
	scheme := "ws://"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss://"
	}
	return New(scheme+loc.Get("host").String()+"/ws?room="+id, DialBrowser, Options{})
}

// errConnClosed is a browser WebSocket that closed.
var errConnClosed = errors.New("room: websocket closed")

// browserConn is the browser's WebSocket as a Conn. Its JavaScript
// callbacks never block: they buffer frames and signal a capacity-1
// channel that Read waits on.
type browserConn struct {
	ws     js.Value
	funcs  []js.Func
	signal chan struct{}

	mu     sync.Mutex
	frames []frame
	open   bool // onopen came
	closed bool // onclose came, or Close was called
}

type frame struct {
	data string
	at   float64
}

// DialBrowser opens url with the browser's WebSocket and waits until it
// is open or has failed.
func DialBrowser(ctx context.Context, url string) (Conn, error) {
	c := &browserConn{signal: make(chan struct{}, 1)}
	c.ws = js.Global().Get("WebSocket").New(url)
	c.on("onopen", func(js.Value) {
		c.mu.Lock()
		c.open = true
		c.mu.Unlock()
	})
	c.on("onmessage", func(ev js.Value) {
		c.mu.Lock()
		c.frames = append(c.frames, frame{data: ev.Get("data").String(), at: ev.Get("timeStamp").Float()})
		c.mu.Unlock()
	})
	c.on("onclose", func(js.Value) {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
	})
	for {
		c.mu.Lock()
		open, closed := c.open, c.closed
		c.mu.Unlock()
		switch {
		case closed:
			c.Close()
			return nil, errConnClosed
		case open:
			return c, nil
		}
		select {
		case <-c.signal:
		case <-ctx.Done():
			c.Close()
			return nil, ctx.Err()
		}
	}
}

// on sets the WebSocket's handler prop to f, then signals Read.
func (c *browserConn) on(prop string, f func(js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		select {
		case c.signal <- struct{}{}:
		default:
		}
		return nil
	})
	c.ws.Set(prop, fn)
	c.funcs = append(c.funcs, fn)
}

func (c *browserConn) Read(ctx context.Context) ([]byte, float64, error) {
	for {
		c.mu.Lock()
		if len(c.frames) > 0 {
			f := c.frames[0]
			c.frames[0] = frame{}
			c.frames = c.frames[1:]
			c.mu.Unlock()
			return []byte(f.data), f.at, nil
		}
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil, 0, errConnClosed
		}
		select {
		case <-c.signal:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
}

func (c *browserConn) Write(_ context.Context, data []byte) error {
	if c.ws.Get("readyState").Int() != 1 { // OPEN
		return errConnClosed
	}
	c.ws.Call("send", string(data))
	return nil
}

// Close closes the WebSocket and releases its handlers.
func (c *browserConn) Close() error {
	c.mu.Lock()
	funcs := c.funcs
	c.funcs, c.closed = nil, true
	c.mu.Unlock()
	if funcs == nil {
		return nil
	}
	c.ws.Call("close")
	for _, p := range []string{"onopen", "onmessage", "onclose"} {
		c.ws.Set(p, js.Null())
	}
	for _, f := range funcs {
		f.Release()
	}
	return nil
}
