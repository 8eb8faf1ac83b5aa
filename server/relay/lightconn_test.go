package relay

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// frame is a WebSocket frame header for a payload of n bytes, masked or
// not, followed by the payload.
func frame(n int, masked bool) []byte {
	var h []byte
	b1 := byte(0)
	if masked {
		b1 = 0x80
	}
	switch {
	case n > 0xffff:
		h = []byte{0x81, b1 | 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	case n > 125:
		h = []byte{0x81, b1 | 126, byte(n >> 8), byte(n)}
	default:
		h = []byte{0x81, b1 | byte(n)}
	}
	if masked {
		h = append(h, 1, 2, 3, 4)
	}
	return append(h, bytes.Repeat([]byte{'x'}, n)...)
}

// The tracker finds where every frame ends, however the bytes are cut.
func TestFrameTrackerFindsFrameEnds(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 300, 0xffff, 0x10000} {
		for _, masked := range []bool{false, true} {
			f := frame(n, masked)
			for _, cut := range []int{1, 2, 3, 7, 1000} {
				var tr frameTracker
				for i := 0; i < len(f); i += cut {
					if tr.between() && i > 0 {
						t.Fatalf("payload %d (masked %v) cut every %d: a frame ends at byte %d of %d", n, masked, cut, i, len(f))
					}
					tr.feed(f[i:min(i+cut, len(f))])
				}
				if !tr.between() {
					t.Fatalf("payload %d (masked %v) cut every %d: the frame does not end with its last byte", n, masked, cut)
				}
			}
		}
	}
}

// tcpPair is both ends of a loopback TCP connection, the server's as a
// lightConn.
func tcpPair(t *testing.T) (*lightConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	lc := &lightConn{Conn: c}
	lc.raw, _ = c.(syscall.Conn).SyscallConn()
	return lc, peer
}

// What a lightConn read is kept only until it is taken: the buffer goes
// back once its last byte is read.
func TestLightConnLetsGoOfWhatItRead(t *testing.T) {
	lc, peer := tcpPair(t)
	sent := frame(300, true)
	if _, err := peer.Write(sent); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 0, len(sent))
	p := make([]byte, 16) // as the WebSocket's bufio reader asks
	for len(got) < len(sent) {
		n, err := lc.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p[:n]...)
		if len(got) < len(sent) && lc.rbuf == nil {
			t.Fatalf("after %d of %d bytes the rest was not kept", len(got), len(sent))
		}
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("read other bytes than were sent")
	}
	if lc.rbuf != nil {
		t.Fatalf("with everything read, a %d-byte buffer is still held", cap(lc.rbuf))
	}
}

// Writes are gathered until a frame is whole (or, corked, until uncork)
// and then sent in order, the buffer given back.
func TestLightConnSendsWholeFrames(t *testing.T) {
	lc, peer := tcpPair(t)
	a, b := frame(10, false), frame(200, false)
	lc.Write(a[:3])
	if lc.wbuf == nil {
		t.Fatal("part of a frame was not kept")
	}
	lc.Write(a[3:])
	if lc.wbuf != nil {
		t.Fatal("a whole frame was not sent")
	}
	lc.cork()
	lc.Write(a)
	lc.Write(b)
	if len(lc.wbuf) != len(a)+len(b) {
		t.Fatalf("corked, %d bytes wait, want %d", len(lc.wbuf), len(a)+len(b))
	}
	if err := lc.uncork(); err != nil {
		t.Fatal(err)
	}
	if lc.wbuf != nil {
		t.Fatal("uncorked, the frames still wait")
	}
	big := frame(flushAt, false)
	lc.Write(big[:4])
	lc.Write(big[4:]) // sent at once, without a copy
	if lc.wbuf != nil {
		t.Fatal("a large frame is still held")
	}
	want := bytes.Join([][]byte{a, a, b, big}, nil)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the peer got other bytes than were written")
	}
}

// A write in passing never waits for the socket: once the peer stops
// reading and the socket is full, the rest waits in the connection,
// which takes no other write in passing, and flushPending sends it, in
// order, once the peer reads again.
func TestLightConnWritesInPassingWithoutWaiting(t *testing.T) {
	lc, peer := tcpPair(t)
	var sent bytes.Buffer
	filled := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if !lc.corkIdle() {
				filled <- fmt.Errorf("write %d in passing was refused with nothing left waiting", i)
				return
			}
			f := frame(64<<10, false)
			f[len(f)-1] = byte(i)
			lc.Write(f)
			sent.Write(f)
			left, err := lc.uncorkNoWait()
			if err != nil || left {
				filled <- err
				return
			}
		}
	}()
	select {
	case err := <-filled:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a write in passing is waiting for a socket the peer does not read")
	}
	if lc.corkIdle() {
		t.Fatal("bytes wait to be sent, and a write in passing was let in ahead of them")
	}
	got := make(chan []byte)
	go func() {
		b := make([]byte, sent.Len())
		io.ReadFull(peer, b)
		got <- b
	}()
	if err := lc.flushPending(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(<-got, sent.Bytes()) {
		t.Fatal("the peer got other bytes than were written")
	}
	if lc.wbuf != nil || !lc.corkIdle() {
		t.Fatal("with everything sent, the connection does not take a write in passing")
	}
}
