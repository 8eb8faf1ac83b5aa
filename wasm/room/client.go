// Package room is a page's membership of a live room. A Client keeps one
// connection to the relay over a small transport (Conn): it reconnects
// with backoff after a drop and resumes from the last envelope it saw, so
// nothing is missed and nothing comes twice. A Session is the room's world
// in the page: the timeline fed by the room's ordered log, the room's
// clock, its members and the boards they hold.
//
// The page's transport is the browser's own WebSocket (ws_js.go, which
// keeps the download small); natively it is coder/websocket (ws_net.go),
// so all of this is tested with go test against the real relay.
package room

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/thingyard/thingyard/internal/defaults"
	"github.com/thingyard/thingyard/wire"
)

// Conn is one WebSocket connection to the relay.
type Conn interface {
	// Read waits for the next text frame. at is when it arrived, in
	// milliseconds on the transport's clock (performance.now() in the
	// page): the room's clock is anchored there, not where the game loop
	// got to it, which on a slow start can be seconds later.
	Read(ctx context.Context) (data []byte, at float64, err error)
	// Write sends one text frame.
	Write(ctx context.Context, data []byte) error
	// Close ends the connection.
	Close() error
}

// Dialer opens a connection to url, returning once it is open.
type Dialer func(ctx context.Context, url string) (Conn, error)

// Options tune a Client. Zero fields take the defaults.
type Options struct {
	MinBackoff time.Duration // the first wait before reconnecting (default 500 ms)
	MaxBackoff time.Duration // the longest wait, doubled up to (default 15 s)
	// QueueLen is how many envelopes wait for the game loop (default
	// 4096). When it is full the connection is dropped rather than an
	// envelope, and the client resumes after the last one queued.
	QueueLen int
	// SendTimeout bounds one Send's write (default 10 s).
	SendTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultMinBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff  = 15 * time.Second
	DefaultQueueLen    = 4096
	DefaultSendTimeout = 10 * time.Second
)

func (o *Options) fill() {
	defaults.Positive(&o.MinBackoff, DefaultMinBackoff)
	defaults.Positive(&o.MaxBackoff, DefaultMaxBackoff)
	defaults.Positive(&o.QueueLen, DefaultQueueLen)
	defaults.Positive(&o.SendTimeout, DefaultSendTimeout)
}

// Statuses of a Client.
const (
	Connecting   = "connecting"
	Live         = "live"
	Reconnecting = "reconnecting"
)

// ErrClosed is a Client that left its room.
var ErrClosed = errors.New("room: client closed")

// Client is one page's connection to a room. Its reader runs on its own
// goroutine; the game loop takes what it queued with Poll.
type Client struct {
	url    string
	dial   Dialer
	opt    Options
	in     chan wire.Envelope
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	conn      Conn    // nil while not connected
	last      uint64  // seq of the last envelope queued
	status    string  // Connecting, Live or Reconnecting
	welcomeAt float64 // when the last welcome arrived (Conn.Read's at)
	backoff   time.Duration
}

// New starts joining the room at url (the relay's /ws?room=ID…) through
// dial. Status says how it goes.
func New(url string, dial Dialer, opt Options) *Client {
	opt.fill()
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{url: url, dial: dial, opt: opt, in: make(chan wire.Envelope, opt.QueueLen),
		ctx: ctx, cancel: cancel, done: make(chan struct{}), status: Connecting, backoff: opt.MinBackoff}
	go c.run()
	return c
}

// run connects, reads until the connection ends, waits and connects
// again, until the client is closed.
func (c *Client) run() {
	defer close(c.done)
	for {
		if conn, err := c.dial(c.ctx, c.resumeURL()); err == nil {
			c.read(conn)
		}
		if c.ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		c.status = Reconnecting
		d := c.backoff
		c.backoff = min(c.backoff*2, c.opt.MaxBackoff)
		c.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// resumeURL is the room's URL, asking for what came after the last
// envelope queued once there was one.
func (c *Client) resumeURL() string {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	if last == 0 {
		return c.url
	}
	sep := "?"
	if strings.Contains(c.url, "?") {
		sep = "&"
	}
	return c.url + sep + "since=" + strconv.FormatUint(last, 10)
}

// read queues the envelopes of conn until it fails or the queue is full,
// then closes it.
func (c *Client) read(conn Conn) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
		conn.Close()
	}()
	for {
		data, at, err := conn.Read(c.ctx)
		if err != nil {
			return
		}
		var e wire.Envelope
		if json.Unmarshal(data, &e) != nil {
			continue // the relay sends envelopes only; a stray frame changes nothing
		}
		select {
		case c.in <- e:
		default:
			// The game loop is far behind (a hidden tab draws no
			// frames): drop this connection rather than an envelope,
			// and resume after the last one queued.
			return
		}
		c.mu.Lock()
		if e.Kind == wire.KindWelcome {
			c.status, c.backoff, c.welcomeAt = Live, c.opt.MinBackoff, at
		}
		c.last = max(c.last, e.Seq)
		c.mu.Unlock()
	}
}

// Status is Connecting, Live or Reconnecting.
func (c *Client) Status() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// WelcomeAt is when the last welcome arrived, on the transport's clock.
func (c *Client) WelcomeAt() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.welcomeAt
}

// Poll returns the next envelope received, if any, without waiting.
func (c *Client) Poll() (wire.Envelope, bool) {
	select {
	case e := <-c.in:
		return e, true
	default:
		return wire.Envelope{}, false
	}
}

// Next waits for the next envelope received, for programs that are not a
// game loop.
func (c *Client) Next(ctx context.Context) (wire.Envelope, error) {
	select {
	case e := <-c.in:
		return e, nil
	case <-ctx.Done():
		return wire.Envelope{}, ctx.Err()
	case <-c.ctx.Done():
		return wire.Envelope{}, ErrClosed
	}
}

// Send sends an envelope of kind with body; it reports false when the
// connection is not open (the person sees "reconnecting").
func (c *Client) Send(kind string, body any) bool {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return false
	}
	b, err := json.Marshal(body)
	if err != nil {
		return false
	}
	data, err := json.Marshal(wire.Envelope{Kind: kind, Body: b})
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opt.SendTimeout)
	defer cancel()
	return conn.Write(ctx, data) == nil
}

// Close leaves the room. It does not wait for the reader to end: Done
// says when it has.
func (c *Client) Close() {
	c.cancel()
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// Done is closed once the client's reader has ended after Close.
func (c *Client) Done() <-chan struct{} { return c.done }
