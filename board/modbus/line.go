package modbus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/thingyard/thingyard/sim/proto"
)

// maxHeld is how many bytes the master keeps while it looks for a reply:
// four of the longest frames, so stale frames before the reply fit.
const maxHeld = 4 * proto.ModbusMaxFrameLen

// unanswered is a request that got no valid reply: its reply may still
// be on its way.
type unanswered struct {
	req   []byte
	fn    byte
	want  int       // the length of its normal reply
	sent  time.Time // when it was written
	until time.Time // how long the next request waits for its reply at most
}

// do sends a request once the line is quiet and reads its reply: a
// normal reply of the expected length, or a 5-byte exception, from the
// slave asked (see findReply). Whatever else comes first is skipped.
func (m *Master) do(req []byte, fn byte, count uint16) (proto.ModbusPDU, error) {
	m.settle()
	if _, err := m.port.Write(req); err != nil {
		return proto.ModbusPDU{}, fmt.Errorf("modbus: write request: %w", err)
	}
	sent := time.Now()
	want := proto.ModbusResponseLen(fn, count)
	wait := m.wait() + m.frameTime(want)
	deadline := sent.Add(wait)
	if d, ok := m.port.(Deadliner); ok {
		d.SetReadDeadline(deadline)
		defer d.SetReadDeadline(time.Time{})
	}
	m.buf = m.buf[:0]
	var chunk [256]byte
	for {
		if f := findReply(m.buf, req, fn, want); f.end > 0 {
			m.rtt.add(time.Since(sent))
			return f.pdu, f.err
		}
		if time.Now().After(deadline) {
			break
		}
		n, err := m.port.Read(chunk[:])
		m.buf = hold(m.buf, chunk[:n])
		if err != nil {
			if errors.Is(err, io.EOF) || isTimeout(err) {
				if f := findReply(m.buf, req, fn, want); f.end > 0 {
					m.rtt.add(time.Since(sent))
					return f.pdu, f.err
				}
				break
			}
			m.stale = &unanswered{req: req, fn: fn, want: want, sent: sent, until: deadline.Add(wait)}
			return proto.ModbusPDU{}, fmt.Errorf("modbus: read reply: %w", err)
		}
	}
	// Its reply may still come: the next request waits it out first, as
	// long again as this one waited.
	m.stale = &unanswered{req: req, fn: fn, want: want, sent: sent, until: deadline.Add(wait)}
	return proto.ModbusPDU{}, noReply(m.buf, req, fn, want)
}

// settle readies the line for a request. A slave speaks only when asked,
// so whatever comes before a request is stale (a reply that came after
// its timeout, noise) and would be taken for the start of the next
// reply: settle reads and drops it until the line has been quiet for the
// silent interval that separates RTU frames (t3.5). After a request that
// got no valid reply it also waits for that reply, until the request's
// until: over a USB adapter or Web Serial a late reply can be on its way
// for far longer than t3.5 of silence, and it must not land after the
// next request is written. A late reply it sees tells how slow the line
// is (see wait). A line that never falls quiet is given up on after
// wait. A port without read deadlines only keeps the silence and drops
// what its Discarder holds.
func (m *Master) settle() {
	silence := m.frameTime(0)
	st := m.stale
	m.stale = nil
	d, ok := m.port.(Deadliner)
	if !ok {
		time.Sleep(silence)
		if dc, ok := m.port.(Discarder); ok {
			dc.Discard()
		}
		return
	}
	defer d.SetReadDeadline(time.Time{})
	start := time.Now()
	limit := start.Add(m.wait())
	if st != nil && st.until.After(limit) {
		limit = st.until
	}
	last := start
	var chunk [256]byte
	for {
		end := last.Add(silence)
		if st != nil && end.Before(st.until) {
			end = st.until // its reply may still come
		}
		if end.After(limit) {
			end = limit
		}
		if !time.Now().Before(end) {
			break
		}
		d.SetReadDeadline(end)
		n, err := m.port.Read(chunk[:])
		if n > 0 {
			last = time.Now()
			if st != nil {
				m.buf = hold(m.buf, chunk[:n])
				if findReply(m.buf, st.req, st.fn, st.want).end > 0 {
					m.rtt.add(last.Sub(st.sent))
					st = nil
				}
			}
		}
		if err != nil && !isTimeout(err) {
			break // the port failed: the request's write says so
		}
	}
	if dc, ok := m.port.(Discarder); ok {
		dc.Discard()
	}
}

// hold appends p to buf, keeping at most maxHeld bytes (the newest).
func hold(buf, p []byte) []byte {
	buf = append(buf, p...)
	if over := len(buf) - maxHeld; over > 0 {
		buf = buf[:copy(buf, buf[over:])]
	}
	return buf
}

// found is what findReply saw.
type found struct {
	pdu proto.ModbusPDU
	err error // nil, or the slave's proto.ModbusException
	end int   // > 0: the reply ends there

	partial int   // bytes of the earliest reply begun but not complete
	bad     error // why the last frame that began like the reply was not it
}

// findReply looks in b for the reply to req (function fn, want bytes when
// normal): a frame from req's slave with fn, or fn's exception, whose CRC
// holds, whose length is fn's and, for a write, that echoes the address
// and value (or quantity) written. Modbus RTU numbers no transactions, so
// this is how a reply is told from a late one to an earlier request
// (another function or register count, another write) or from noise.
func findReply(b, req []byte, fn byte, want int) found {
	var f found
	for i := 0; i < len(b); i++ {
		if b[i] != req[0] {
			continue
		}
		if i+1 == len(b) {
			if f.partial == 0 {
				f.partial = 1
			}
			break
		}
		n := want
		switch b[i+1] {
		case fn:
		case fn | 0x80:
			n = proto.ModbusExceptionLen
		default:
			continue
		}
		if i+n > len(b) {
			if f.partial == 0 {
				f.partial = len(b) - i
			}
			continue
		}
		frame := b[i : i+n]
		p, err := proto.ParseModbusResponse(frame, fn)
		var ex proto.ModbusException
		if err != nil && !errors.As(err, &ex) {
			f.bad = err
			continue
		}
		if err == nil {
			if err := echoes(frame, req); err != nil {
				f.bad = err
				continue
			}
		}
		return found{pdu: p, err: err, end: i + n}
	}
	return f
}

// echoes checks a write's reply against the write: functions 5 and 6
// echo the address and the value, 15 and 16 the address and the quantity.
func echoes(frame, req []byte) error {
	switch req[1] {
	case proto.FuncWriteSingleCoil, proto.FuncWriteSingleRegister, proto.FuncWriteMultipleCoils, proto.FuncWriteMultipleRegisters:
		if !bytes.Equal(frame[2:6], req[2:6]) {
			return fmt.Errorf("modbus: the reply echoes % X, the request said % X", frame[2:6], req[2:6])
		}
	}
	return nil
}

// noReply says why what came (b) is not the reply to req.
func noReply(b, req []byte, fn byte, want int) error {
	f := findReply(b, req, fn, want)
	what := fmt.Sprintf("slave %d, %s", req[0], proto.ModbusFuncName(fn))
	if f.bad != nil {
		return fmt.Errorf("%w (%s: %d bytes came, none of them its reply: %v)", ErrGarbled, what, len(b), f.bad)
	}
	got := fmt.Sprintf("got %d of %d bytes", f.partial, want)
	if other := len(b) - f.partial; other > 0 {
		got += fmt.Sprintf(", and %d bytes that were not its reply", other)
	}
	return fmt.Errorf("%w (%s, %s)", ErrTimeout, what, got)
}

// replyTimes estimates how long replies take on the line the way TCP
// estimates round trips (RFC 6298): a smoothed time and its mean
// deviation, each new sample weighing 1/8 and 1/4.
type replyTimes struct {
	n              int
	smooth, spread time.Duration
}

func (r *replyTimes) add(d time.Duration) {
	if r.n == 0 {
		r.smooth, r.spread = d, d/2
	} else {
		diff := r.smooth - d
		if diff < 0 {
			diff = -diff
		}
		r.spread = (3*r.spread + diff) / 4
		r.smooth = (7*r.smooth + d) / 8
	}
	r.n++
}

// wait is how long the master waits for a reply, not counting the
// reply's own time on the wire: Timeout, or longer when the replies seen
// on the line (in time or late) call for it (smoothed time plus four
// deviations), up to MaxTimeout. A busy laptop or a slow USB adapter
// then gets its replies taken instead of timing out one poll after
// another.
func (m *Master) wait() time.Duration {
	w := m.Timeout
	if m.rtt.n == 0 {
		return w
	}
	est := m.rtt.smooth + 4*m.rtt.spread
	max := m.MaxTimeout
	if max <= 0 {
		max = DefaultMaxTimeout
	}
	if est > max {
		est = max
	}
	if est > w {
		w = est
	}
	return w
}

// frameTime is how long n bytes and the silence after them take on the
// line at the master's baud.
func (m *Master) frameTime(n int) time.Duration {
	return time.Duration(proto.ModbusFrameTime(n, m.baud)) * time.Microsecond
}
