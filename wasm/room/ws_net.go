//go:build !js

package room

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// epoch is where the native transport's clock starts.
var epoch = time.Now()

// DialWebSocket opens url with coder/websocket: the transport of programs
// and tests outside the browser.
func DialWebSocket(ctx context.Context, url string) (Conn, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	// A welcome carries the room's whole log: no frame limit but memory.
	c.SetReadLimit(-1)
	return netConn{c}, nil
}

type netConn struct{ c *websocket.Conn }

func (n netConn) Read(ctx context.Context) ([]byte, float64, error) {
	_, data, err := n.c.Read(ctx)
	return data, float64(time.Since(epoch)) / float64(time.Millisecond), err
}

func (n netConn) Write(ctx context.Context, data []byte) error {
	return n.c.Write(ctx, websocket.MessageText, data)
}

func (n netConn) Close() error { return n.c.CloseNow() }
