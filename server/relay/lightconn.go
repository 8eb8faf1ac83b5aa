package relay

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"syscall"
)

// lightConn is a member's socket as its WebSocket library sees it. It
// holds a buffer only while bytes are on their way: a read buffer while
// bytes it read from the socket wait to be taken, a write buffer while
// frames are being written. An idle member, whose reader waits for the
// socket to become readable without a buffer (waitReadable), holds
// neither, where a plain connection holds 4 KB each way for its life.
//
// Writes are gathered and sent when a WebSocket frame is complete, so a
// frame goes out in one write however the library hands it over; while
// corked (the member's writer sending what waits for it) they are sent
// once every frame is written, so a batch leaves in one write too.
type lightConn struct {
	net.Conn
	raw syscall.RawConn // nil: not a socket that can be waited on

	// Read state, used by the member's reader alone.
	rbuf []byte // bytes read and not yet taken, pooled; nil when none
	roff int

	wmu    sync.Mutex
	wbuf   []byte // bytes written and not yet sent, pooled; nil when none
	corked int
	// nowait is set while a delivery writes to the member in passing
	// (corkIdle): nothing written then waits for the socket.
	nowait bool
	frame  frameTracker
}

// lightBufSize is the size of the buffers a lightConn takes while bytes
// are on their way; flushAt, how many bytes it gathers at most before
// sending them, corked or not.
const (
	lightBufSize = 4 << 10
	flushAt      = 64 << 10
)

var lightBufs = sync.Pool{New: func() any { b := make([]byte, 0, lightBufSize); return &b }}

func getBuf() []byte { return (*lightBufs.Get().(*[]byte))[:0] }

func putBuf(b []byte) {
	if cap(b) == lightBufSize {
		b = b[:0]
		lightBufs.Put(&b)
	}
}

// lightWriter hands websocket.Accept a lightConn when it hijacks the
// connection, with bufio readers and writers of a few bytes over it: the
// lightConn does the buffering.
type lightWriter struct {
	http.ResponseWriter
	conn *lightConn // set by Hijack
}

func (w *lightWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *lightWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	lc := &lightConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		lc.raw, _ = sc.SyscallConn()
	}
	// What the client sent after its request and the server already read.
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		lc.rbuf = append([]byte(nil), b...)
	}
	w.conn = lc
	return lc, bufio.NewReadWriter(bufio.NewReaderSize(lc, 16), bufio.NewWriterSize(lc, 16)), nil
}

// Read takes bytes already read first; otherwise it waits for the socket
// to become readable, and only then takes a buffer to read into.
func (c *lightConn) Read(p []byte) (int, error) {
	if c.roff < len(c.rbuf) {
		n := copy(p, c.rbuf[c.roff:])
		c.roff += n
		if c.roff == len(c.rbuf) {
			putBuf(c.rbuf)
			c.rbuf, c.roff = nil, 0
		}
		return n, nil
	}
	if len(p) >= lightBufSize {
		return c.Conn.Read(p)
	}
	if err := c.waitReadable(); err != nil {
		return 0, err
	}
	buf := getBuf()
	n, err := c.Conn.Read(buf[:cap(buf)])
	if n <= len(p) {
		copy(p, buf[:n])
		putBuf(buf)
		return n, err
	}
	c.rbuf, c.roff = buf[:n], copy(p, buf[:n])
	return len(p), err
}

// waitReadable waits, holding no buffer, until the socket has bytes to
// read, has failed or is closed (the read that follows tells which).
func (c *lightConn) waitReadable() error {
	if c.raw == nil {
		return nil
	}
	return c.raw.Read(func(fd uintptr) bool { return peekable(fd) })
}

// Write gathers p and sends what it gathered once a frame is complete
// and the connection is not corked, or once flushAt bytes wait.
func (c *lightConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.frame.feed(p)
	if len(c.wbuf)+len(p) >= flushAt && !c.nowait {
		// Large: sent with what waits in one write, without a copy.
		bufs := net.Buffers{c.wbuf, p}
		_, err := bufs.WriteTo(c.Conn)
		c.release()
		return len(p), err
	}
	if c.wbuf == nil {
		c.wbuf = getBuf()
	}
	c.wbuf = append(c.wbuf, p...)
	if c.corked == 0 && c.frame.between() {
		return len(p), c.flush()
	}
	return len(p), nil
}

// cork holds what is written until uncork, so that frames written one
// after another leave together.
func (c *lightConn) cork() {
	c.wmu.Lock()
	c.corked++
	c.wmu.Unlock()
}

// uncork sends what cork held.
func (c *lightConn) uncork() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.corked--
	if c.corked == 0 && c.frame.between() {
		return c.flush()
	}
	return nil
}

// corkIdle corks the connection for a write that must not wait, and
// reports whether it did: only for a socket, and when nothing else is
// being written or waits to be sent. Until uncorkNoWait, what is written
// is gathered, however much.
func (c *lightConn) corkIdle() bool {
	if c.raw == nil || !c.wmu.TryLock() {
		return false
	}
	defer c.wmu.Unlock()
	if c.wbuf != nil || c.corked > 0 || !c.frame.between() {
		return false
	}
	c.corked, c.nowait = 1, true
	return true
}

// uncorkNoWait ends a corkIdle: it sends what was gathered as far as the
// socket takes it without waiting, and reports whether bytes are left,
// which flushPending (the member's writer) sends.
func (c *lightConn) uncorkNoWait() (left bool, err error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.corked--
	c.nowait = false
	if c.corked > 0 || !c.frame.between() || len(c.wbuf) == 0 {
		return len(c.wbuf) > 0, nil
	}
	n, err := writeNoWait(c.raw, c.wbuf)
	if err != nil {
		c.release()
		return false, err
	}
	if n == len(c.wbuf) {
		c.release()
		return false, nil
	}
	// The rest moves to the front of the same buffer.
	c.wbuf = c.wbuf[:copy(c.wbuf, c.wbuf[n:])]
	return true, nil
}

// flushPending sends, waiting as long as the socket needs, what a write
// that could not wait left.
func (c *lightConn) flushPending() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.corked > 0 || !c.frame.between() {
		return nil
	}
	return c.flush()
}

// flush sends what waits. Call with wmu held.
func (c *lightConn) flush() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.wbuf)
	c.release()
	return err
}

// release gives the write buffer back. Call with wmu held.
func (c *lightConn) release() {
	if c.wbuf != nil {
		putBuf(c.wbuf)
		c.wbuf = nil
	}
}

// frameTracker follows the WebSocket frames written through a lightConn,
// byte by byte in their headers, so it knows where each frame ends.
type frameTracker struct {
	head [14]byte // a frame's header so far
	nh   int      // bytes of it seen
	left uint64   // bytes of the frame's payload still to come
}

// feed follows p, the next bytes written.
func (f *frameTracker) feed(p []byte) {
	for len(p) > 0 {
		if f.left > 0 {
			k := min(uint64(len(p)), f.left)
			f.left -= k
			p = p[k:]
			continue
		}
		f.head[f.nh] = p[0]
		f.nh++
		p = p[1:]
		if f.nh < 2 {
			continue
		}
		need := 2
		switch f.head[1] & 0x7f {
		case 126:
			need += 2
		case 127:
			need += 8
		}
		if f.head[1]&0x80 != 0 {
			need += 4 // a mask
		}
		if f.nh < need {
			continue
		}
		switch n := f.head[1] & 0x7f; n {
		case 126:
			f.left = uint64(f.head[2])<<8 | uint64(f.head[3])
		case 127:
			for _, b := range f.head[2:10] {
				f.left = f.left<<8 | uint64(b)
			}
		default:
			f.left = uint64(n)
		}
		f.nh = 0
	}
}

// between reports whether the bytes fed so far end a frame.
func (f *frameTracker) between() bool { return f.nh == 0 && f.left == 0 }
