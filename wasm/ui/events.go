package ui

import (
	"strconv"

	"github.com/thingyard/thingyard/sim"
)

// The event list keeps the last EventHistory frames (default 20,000: at
// 10,000 devices sampling once a second, about twenty real seconds of a
// room; a row costs about 220 bytes with its bytes) and shows EventWindow
// rows of them at a time (200), so its cost per refresh does not grow with
// the world.
const (
	EventHistory = 20_000
	EventWindow  = 200
)

// Event is one row of the event list: a frame the world sent, with how it
// ended, or a message dropped where it waited (no Bytes, Medium 0).
type Event struct {
	// N numbers the rows since the list began, from 1.
	N     uint64
	Frame sim.Frame
	// End is when the frame arrived or was lost, in simulated µs; Ended
	// says whether it has.
	End   int64
	Ended bool
}

// Outcome is "delivered", "lost" or "in flight".
func (e Event) Outcome() string { return outcome(e.Frame.Lost != "", e.Ended) }

func outcome(lost, ended bool) string {
	switch {
	case lost:
		return OutcomeLost
	case !ended:
		return OutcomeInFlight
	}
	return OutcomeDelivered
}

// The outcomes a row can have, which the outcome filter names.
const (
	OutcomeDelivered = "delivered"
	OutcomeLost      = "lost"
	OutcomeInFlight  = "in flight"
)

// Outcomes are the outcome filter's choices.
var Outcomes = []string{OutcomeDelivered, OutcomeLost, OutcomeInFlight}

// evRow is what the list keeps of a frame: small, so that recording one
// touches little memory. Its bytes are in the list's byte ring at off.
type evRow struct {
	at, arrive, end  int64
	msg, seq         uint64
	off              uint64
	from, to, link   string
	lost, kind, side string
	fromIdx, toIdx   int32
	size             uint32
	medium           sim.Medium
	proto            sim.Protocol
	fromKind, toKind sim.Kind
	ended            bool
}

// EventList records the frames a world sends (Watch) in a ring of bounded
// size, counting those that fell off, and answers filtered windows of it.
// Recording copies a frame into a ring of rows and its bytes into a ring
// of bytes: it allocates nothing once they are full. Not safe for
// concurrent use: the game loop owns it.
type EventList struct {
	rows []evRow // the ring: evRow N is at (N-1) % size; grows to size
	size int     // how many rows it keeps at most
	kept int     // how many it keeps now: rows n-kept+1 to n
	n    uint64  // rows recorded since the list began, those that fell off included
	// bytes is the ring of the frames' bytes; pos counts the bytes ever
	// put in it, so a row's bytes are still there while its off is at
	// least pos-len(bytes).
	bytes []byte
	pos   uint64
	// seqRow finds a frame's row from its Frame.Seq when its end comes:
	// seqRow[seq % len] is the row's N.
	seqRow  []uint64
	scratch []uint64
	now     int64 // the world's time, µs (SetNow)
	head    int   // where the next row goes: (n % size), kept without dividing
}

// bytesPerRow is the byte ring's size per row (default 96): more than a
// frame of the world's usually takes, so bytes outlive their rows.
const bytesPerRow = 96

// NewEventList makes a list that keeps the last history rows.
func NewEventList(history int) *EventList {
	if history < 1 {
		history = 1
	}
	// The byte ring and seqRow are a power of two long, so a mask finds
	// a place in them: recording does no division.
	return &EventList{size: history, seqRow: make([]uint64, pow2(history)), bytes: make([]byte, pow2(history*bytesPerRow))}
}

// pow2 is the least power of two at least n.
func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// Watch makes the list record w's frames and their ends from now on.
func (l *EventList) Watch(w *sim.World) {
	w.OnFrame(l.Frame)
	w.OnFrameEnd(l.End)
}

// Frame records a frame as it goes out.
func (l *EventList) Frame(f *sim.Frame) {
	r := l.push(f)
	r.off, r.size = l.keepBytes(f.Bytes), uint32(len(f.Bytes))
	l.seqRow[f.Seq&uint64(len(l.seqRow)-1)] = l.n
}

// keepBytes copies b into the byte ring, whole, and says where.
func (l *EventList) keepBytes(b []byte) uint64 {
	c := uint64(len(l.bytes))
	if uint64(len(b)) > c {
		b = b[:c]
	}
	if i := l.pos & (c - 1); i+uint64(len(b)) > c {
		l.pos += c - i // the ring's end is too short: start again at its beginning
	}
	off := l.pos
	copy(l.bytes[off&(c-1):], b)
	l.pos += uint64(len(b))
	return off
}

// End records how a frame ended, or a message dropped where it waited. A
// frame that arrived needs no record: it is delivered once the list's
// clock (SetNow) passes its due time, which is when the world delivers
// it, so only a loss looks its row up.
func (l *EventList) End(end *sim.FrameEnd) {
	if end.Seq == 0 {
		if end.Dropped != nil {
			r := l.push(end.Dropped)
			r.end, r.ended, r.off, r.size = end.At, true, l.pos, 0
		}
		return
	}
	if end.Lost == "" {
		return
	}
	n := l.seqRow[end.Seq&uint64(len(l.seqRow)-1)]
	if n == 0 || n > l.n || n <= l.n-uint64(l.kept) {
		return // fell off, or sent before the list watched
	}
	r := l.at(n)
	if r.seq != end.Seq || r.msg != end.Message {
		return
	}
	r.end, r.ended = end.At, true
	if r.lost == "" {
		r.lost = end.Lost
	}
}

// SetNow sets the list's clock to the world's, in simulated µs: frames due
// by then and not lost are delivered.
func (l *EventList) SetNow(us int64) { l.now = us }

// ended reports whether row r ended by the list's clock, and when.
func (l *EventList) ended(r *evRow) (bool, int64) {
	if r.ended {
		return true, r.end
	}
	if r.lost == "" && r.arrive <= l.now {
		return true, r.arrive
	}
	return false, 0
}

// push makes room for the next row, over the oldest when the ring is
// full, and fills it from f but for its bytes.
func (l *EventList) push(f *sim.Frame) *evRow {
	l.n++
	l.kept = min(l.kept+1, l.size)
	if l.head == l.size {
		l.head = 0
	}
	if l.head == len(l.rows) {
		l.rows = append(l.rows, evRow{})
	}
	r := &l.rows[l.head]
	l.head++
	*r = evRow{at: f.At, arrive: f.Arrive, msg: f.Message, seq: f.Seq, from: f.From, to: f.To, link: f.Link, lost: f.Lost,
		fromIdx: f.FromIndex, toIdx: f.ToIndex, medium: f.Medium, proto: f.Protocol, fromKind: f.FromKind, toKind: f.ToKind,
		kind: f.Kind, side: f.Side}
	return r
}

// Row is row n while the list keeps it. Its Frame.Bytes alias the list's
// ring until the list records again (nil once they were written over).
func (l *EventList) Row(n uint64) (Event, bool) {
	if n == 0 || n > l.n || n <= l.n-uint64(l.kept) {
		return Event{}, false
	}
	return l.event(n), true
}

func (l *EventList) event(n uint64) Event {
	r := l.at(n)
	e := Event{N: n, Frame: sim.Frame{
		Seq: r.seq, At: r.at, Arrive: r.arrive, Message: r.msg, Kind: r.kind, Side: r.side, Link: r.link,
		Medium: r.medium, Protocol: r.proto, From: r.from, To: r.to, FromKind: r.fromKind, ToKind: r.toKind,
		FromIndex: r.fromIdx, ToIndex: r.toIdx, Lost: r.lost}}
	e.Ended, e.End = l.ended(r)
	if c := uint64(len(l.bytes)); r.off+c >= l.pos && r.size > 0 {
		i := r.off & (c - 1)
		e.Frame.Bytes = l.bytes[i : i+uint64(r.size) : i+uint64(r.size)]
	}
	return e
}

// Len is how many rows the list keeps; Recorded how many it was given;
// FellOff how many of those it no longer keeps.
func (l *EventList) Len() int         { return l.kept }
func (l *EventList) Recorded() uint64 { return l.n }
func (l *EventList) FellOff() uint64  { return l.n - uint64(l.kept) }

// at is row n, which the list must keep.
func (l *EventList) at(n uint64) *evRow { return &l.rows[(n-1)%uint64(l.size)] }

// Reset forgets every row: a new world.
func (l *EventList) Reset() {
	l.kept, l.n, l.now, l.head = 0, 0, 0, 0
	clear(l.seqRow)
}

// Rewind forgets the rows of frames sent after simulated µs at, newest
// first, as when the world's clock went back: the world sends them again
// if it goes forward. Rows that fell off stay counted. Frames sent before
// at that ended after it are in flight again.
func (l *EventList) Rewind(at int64) {
	l.now = min(l.now, at)
	for l.kept > 0 && l.at(l.n).at > at {
		l.n--
		l.kept--
	}
	l.head = int(l.n % uint64(l.size))
	for n := l.n; n > l.n-uint64(l.kept); n-- {
		r := l.at(n)
		if r.ended && r.end > at && r.medium != 0 {
			r.ended, r.end = false, 0
			if r.lost != sim.LostOnLink && r.lost != sim.LostOutOfRange {
				r.lost = ""
			}
		}
		if r.at+maxFlight < at {
			break
		}
	}
}

// maxFlight bounds how long a frame travels (a TCP retransmission on a
// slow link), in µs, so Rewind looks back only that far for frames in
// flight.
const maxFlight = 10_000_000

// EventFilter chooses rows: each field "" chooses all.
type EventFilter struct {
	Side     string // m2m or iot
	Protocol string // a sim.Protocol's name
	Device   string // a device id, sender or receiver
	Outcome  string // one of Outcomes
	Search   string // part of a sender's or receiver's id, in any case
}

// match reports whether the filter chooses row r of l.
func (f *EventFilter) match(l *EventList, r *evRow) bool {
	return (f.Side == "" || r.side == f.Side) &&
		(f.Protocol == "" || r.proto.String() == f.Protocol) &&
		(f.Device == "" || r.from == f.Device || r.to == f.Device) &&
		(f.Outcome == "" || f.Outcome == l.outcome(r)) &&
		(f.Search == "" || containsFold(r.from, f.Search) || containsFold(r.to, f.Search))
}

func (l *EventList) outcome(r *evRow) string {
	ended, _ := l.ended(r)
	return outcome(r.lost != "", ended)
}

// containsFold reports whether sub is in s, ASCII letters in any case,
// without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lower(s[i+j]) == lower(sub[j]) {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// EventPage is a window of the rows a filter chooses, newest first.
type EventPage struct {
	Rows []Event // at most the window's size; their bytes alias the list's
	// Matching is how many kept rows the filter chooses; Newer how many
	// of them are newer than the window.
	Matching, Newer int
	// Older and NewerBefore are the Before of the next window back and of
	// the next window forward (0: the newest rows).
	Older, NewerBefore uint64
}

// Page is the window of at most size rows the filter chooses among those
// numbered below before (0: the newest), newest first, in rows (reused).
// Their bytes are valid until the list records again.
func (l *EventList) Page(f EventFilter, before uint64, size int, rows []Event) EventPage {
	p := EventPage{Rows: rows[:0]}
	newer := l.scratch[:0]
	for n := l.n; n > l.n-uint64(l.kept); n-- {
		if !f.match(l, l.at(n)) {
			continue
		}
		p.Matching++
		switch {
		case before != 0 && n >= before:
			p.Newer++
			newer = append(newer, n)
		case len(p.Rows) < size:
			p.Rows = append(p.Rows, l.event(n))
		case p.Older == 0:
			p.Older = p.Rows[len(p.Rows)-1].N
		}
	}
	// The window forward shows the size matches just newer than this one.
	if k := len(newer); k > size {
		p.NewerBefore = newer[k-size-1]
	}
	l.scratch = newer
	return p
}

// EventRow is a row of the event list as the panel shows it.
type EventRow struct {
	N                      uint64
	Time, Side, From, To   string
	Medium, Protocol, Kind string
	Size                   int
	Outcome, Why, Latency  string
	Selected               bool
}

// Row makes the panel's row of e.
func (e Event) Row() EventRow {
	f := &e.Frame
	r := EventRow{N: e.N, Time: simTime(f.At), Side: f.Side, From: f.From, To: f.To, Protocol: f.Protocol.String(),
		Kind: f.Kind, Size: len(f.Bytes), Outcome: e.Outcome(), Why: f.Lost, Latency: "–"}
	if f.Medium != 0 {
		r.Medium = f.Medium.String()
	} else {
		r.Medium = "–"
	}
	if e.Ended && f.Medium != 0 {
		r.Latency = ms(float64(e.End-f.At) / 1000)
	}
	return r
}

// simTime is simulated µs as m:ss.mmm.
func simTime(us int64) string {
	msec := us / 1000
	s := strconv.FormatInt(msec/60000, 10) + ":"
	sec := msec / 1000 % 60
	if sec < 10 {
		s += "0"
	}
	s += strconv.FormatInt(sec, 10) + "."
	frac := strconv.FormatInt(msec%1000, 10)
	for len(frac) < 3 {
		frac = "0" + frac
	}
	return s + frac
}

// Info is the inspector's view of the frame of row e.
func (e Event) Info() sim.MessageInfo {
	f := &e.Frame
	m := sim.MessageInfo{ID: f.Message, Kind: f.Kind, Protocol: f.Protocol.String(), Side: f.Side, From: f.From, To: f.To,
		Link: f.Link, WireBytes: len(f.Bytes), Lost: f.Lost != "", Bytes: append([]byte(nil), f.Bytes...),
		LatencyMs: float64(f.Arrive-f.At) / 1000}
	if f.Medium != 0 {
		m.Medium = f.Medium.String()
	}
	if e.Ended {
		m.LatencyMs = float64(e.End-f.At) / 1000
	}
	return m
}
