package board

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// stream reads a port from one goroutine, so detection, the decoders and
// the Modbus master (through SetReadDeadline) share one reader.
type stream struct {
	port io.ReadWriter
	ch   chan []byte
	done chan struct{} // closed when the port failed
	err  error

	mu       sync.Mutex
	pending  []byte
	deadline time.Time
}

func newStream(port io.ReadWriter) *stream {
	s := &stream{port: port, ch: make(chan []byte, 64), done: make(chan struct{})}
	go s.pump()
	return s
}

func (s *stream) pump() {
	for {
		buf := make([]byte, 512)
		n, err := s.port.Read(buf)
		if n > 0 {
			s.ch <- buf[:n]
		}
		if err != nil {
			if isTimeout(err) {
				continue // a port with a read timeout: keep reading
			}
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("board: the port closed (unplugged?): %w", err)
			}
			s.err = err
			close(s.done)
			return
		}
	}
}

func (s *stream) failed() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// unread puts bytes back before whatever comes next.
func (s *stream) unread(p []byte) {
	s.mu.Lock()
	s.pending = append(append([]byte(nil), p...), s.pending...)
	s.mu.Unlock()
}

// Discard drops what was read from the port and not yet taken, and
// returns how many bytes: the Modbus master's way to start a request on a
// quiet line.
func (s *stream) Discard() int {
	s.mu.Lock()
	n := len(s.pending)
	s.pending = nil
	s.mu.Unlock()
	for {
		select {
		case p := <-s.ch:
			n += len(p)
		default:
			return n
		}
	}
}

// next returns the next chunk, waiting until deadline (zero: no limit).
func (s *stream) next(ctx context.Context, deadline time.Time) ([]byte, error) {
	s.mu.Lock()
	if len(s.pending) > 0 {
		p := s.pending
		s.pending = nil
		s.mu.Unlock()
		return p, nil
	}
	s.mu.Unlock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p := <-s.ch:
		return p, nil
	default:
	}
	select {
	case p := <-s.ch:
		return p, nil
	case <-s.done:
		select {
		case p := <-s.ch:
			return p, nil
		default:
		}
		return nil, s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timeout:
		return nil, os.ErrDeadlineExceeded
	}
}

// Read and SetReadDeadline make the stream a port for the Modbus master.
func (s *stream) Read(p []byte) (int, error) {
	s.mu.Lock()
	dl := s.deadline
	s.mu.Unlock()
	chunk, err := s.next(context.Background(), dl)
	n := copy(p, chunk)
	if n < len(chunk) {
		s.unread(chunk[n:])
	}
	return n, err
}

func (s *stream) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	s.mu.Unlock()
	return nil
}

func (s *stream) Write(p []byte) (int, error) {
	if err := s.failed(); err != nil {
		return 0, err
	}
	return s.port.Write(p)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
