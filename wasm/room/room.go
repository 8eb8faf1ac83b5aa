//go:build js && wasm

// Package room connects a browser to a live room over the browser's own
// WebSocket (syscall/js, which keeps the download small): it reconnects
// with backoff after a drop and resumes from the last envelope it saw, so
// nothing is missed. Callbacks from JavaScript never block: envelopes are
// queued for the game loop, which drains them with Poll.
package room

import (
	"encoding/json"
	"strconv"
	"syscall/js"
	"time"

	"github.com/thingyard/thingyard/wire"
)

// Backoff bounds of reconnecting.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 15 * time.Second
	queueLen   = 4096 // envelopes waiting for the game loop
)

// Client is one browser's membership of a room.
type Client struct {
	url, id string
	ws      js.Value
	funcs   []js.Func
	in      chan wire.Envelope
	last    uint64 // seq of the last envelope seen
	backoff time.Duration
	status  string
	closed  bool
	You     string
	// welcomeAt is when the last welcome arrived (performance.now() ms):
	// the room's clock is anchored there, not where the game loop got to
	// it, which on a slow start can be seconds later.
	welcomeAt float64
}

// Dial starts joining room id at the page's origin. Status says how it goes.
func Dial(id string) *Client {
	loc := js.Global().Get("location")
	scheme := "ws://"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss://"
	}
	c := &Client{url: scheme + loc.Get("host").String() + "/ws?room=" + id, id: id,
		in: make(chan wire.Envelope, queueLen), backoff: minBackoff, status: "connecting"}
	c.connect()
	return c
}

// Status is "connecting", "live" or "reconnecting".
func (c *Client) Status() string { return c.status }

func (c *Client) connect() {
	url := c.url
	if c.last > 0 {
		url += "&since=" + strconv.FormatUint(c.last, 10)
	}
	c.release()
	ws := js.Global().Get("WebSocket").New(url)
	c.ws = ws
	full := false
	onMsg := js.FuncOf(func(this js.Value, args []js.Value) any {
		var e wire.Envelope
		if full || json.Unmarshal([]byte(args[0].Get("data").String()), &e) != nil {
			return nil
		}
		select {
		case c.in <- e:
		default:
			// The game loop is far behind (a hidden tab draws no frames):
			// drop this connection rather than an envelope, and resume
			// after the last one queued.
			full = true
			ws.Call("close")
			return nil
		}
		if e.Kind == wire.KindWelcome {
			c.status, c.backoff = "live", minBackoff
			c.welcomeAt = args[0].Get("timeStamp").Float()
		}
		if e.Seq > c.last {
			c.last = e.Seq
		}
		return nil
	})
	onClose := js.FuncOf(func(this js.Value, args []js.Value) any {
		if c.closed {
			return nil
		}
		c.status = "reconnecting"
		d := c.backoff
		c.backoff = min(c.backoff*2, maxBackoff)
		var retry js.Func
		retry = js.FuncOf(func(js.Value, []js.Value) any {
			retry.Release()
			if !c.closed {
				c.connect()
			}
			return nil
		})
		js.Global().Call("setTimeout", retry, d.Milliseconds())
		return nil
	})
	ws.Set("onmessage", onMsg)
	ws.Set("onclose", onClose)
	c.funcs = append(c.funcs, onMsg, onClose)
}

func (c *Client) release() {
	if c.ws.Truthy() {
		c.ws.Set("onmessage", js.Null())
		c.ws.Set("onclose", js.Null())
	}
	for _, f := range c.funcs {
		f.Release()
	}
	c.funcs = c.funcs[:0]
}

// WelcomeAt is when the last welcome arrived, in performance.now() ms.
func (c *Client) WelcomeAt() float64 { return c.welcomeAt }

// Poll returns the next envelope received, if any.
func (c *Client) Poll() (wire.Envelope, bool) {
	select {
	case e := <-c.in:
		return e, true
	default:
		return wire.Envelope{}, false
	}
}

// Send sends an envelope of kind with body; it reports false when the
// connection is not open (the person sees "reconnecting").
func (c *Client) Send(kind string, body any) bool {
	if !c.ws.Truthy() || c.ws.Get("readyState").Int() != 1 {
		return false
	}
	b, err := json.Marshal(body)
	if err != nil {
		return false
	}
	data, _ := json.Marshal(wire.Envelope{Kind: kind, Body: b})
	c.ws.Call("send", string(data))
	return true
}

// Close leaves the room.
func (c *Client) Close() {
	c.closed = true
	if c.ws.Truthy() {
		c.ws.Call("close")
	}
	c.release()
}
