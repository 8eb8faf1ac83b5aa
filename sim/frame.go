package sim

// Frame is one frame a world puts on a medium: what a capture of that
// medium would hold, and who sent it to whom. OnFrame hands one to its
// function for every transmission, each hop of a message separately.
type Frame struct {
	// Seq numbers the frames handed to OnFrame's function, from 1; a
	// FrameEnd names its frame by it.
	Seq      uint64
	At       int64    // simulated µs at which its first bit goes out
	Arrive   int64    // simulated µs at which it is due at To
	Message  uint64   // the message it carries, the same on every hop
	Kind     string   // reading, poll, reply, command, publish or write
	Side     string   // the side whose traffic it is
	Link     string   // the link's id
	Medium   Medium   // the link's medium
	Protocol Protocol // what Bytes hold
	From, To string   // this hop's sender and receiver, by device id
	// FromKind and ToKind are the kinds of From and To; FromIndex and
	// ToIndex number the devices of the world, from 0 in creation order,
	// so that a capture can give each an address of its own.
	FromKind, ToKind   Kind
	FromIndex, ToIndex int32
	// Lost says why the frame will not arrive when that is already known
	// as it leaves (LostOnLink, LostOutOfRange), else "". A frame that is
	// lost later (a link cut while it travels) says "" here.
	Lost string
	// Bytes are the frame as sent. They alias the world's buffer: copy
	// them to keep them past the call.
	Bytes []byte
}

// Why a frame or a message is lost. A frame is lost as it leaves
// (LostOnLink, LostOutOfRange) or as it is due (LostLinkCut,
// LostInternetCut, LostReceiverOff); a message is dropped where it waits
// (LostNoRoute, LostQueueFull).
const (
	LostOnLink      = "lost on the link" // the link's loss rate took it
	LostOutOfRange  = "out of range"     // the receiver is beyond the radio's range
	LostLinkCut     = "link cut"         // the link went down or was removed under it
	LostInternetCut = "internet cut"     // the internet link went down under it
	LostReceiverOff = "receiver off"     // the receiver was switched off or removed
	LostNoRoute     = "no route"         // no path toward its destination is up
	LostQueueFull   = "queue full"       // a client's QoS 1 buffer overflowed: the oldest goes
)

// FrameEnd is how a frame ended, or a message that was dropped before
// another frame of it went out. OnFrameEnd hands one to its function.
type FrameEnd struct {
	// Seq is the ended frame's Frame.Seq; 0 when a message was dropped
	// where it waited (Dropped).
	Seq     uint64
	Message uint64
	At      int64  // simulated µs at which it arrived, or was dropped
	Lost    string // why it did not arrive; "" when it did
	// Dropped describes the dropped message, for Seq 0: At is when, From
	// the device it waited at, To where it was going, Medium 0 and no
	// Bytes.
	Dropped *Frame
}

// OnFrame makes fn see every frame the world sends from now on, as it
// goes out (a frame waiting for a busy medium, when it gets it), in the
// order the world sends them: frames on different links may start out of
// time order. fn must not keep the *Frame or its Bytes past the call, nor
// act on the world. nil stops it. The function is not part of the world's
// state: the hash does not see it, and a world with one evolves exactly as
// one without.
func (w *World) OnFrame(fn func(*Frame)) { w.onFrame = fn }

// OnFrameEnd makes fn see, from now on, how each frame that OnFrame's
// function saw ended (at its arrival: delivered, or lost and why), and
// each message dropped where it waited (no route, a full queue). It is
// called only while OnFrame has a function. The rules of OnFrame hold:
// fn must not keep the *FrameEnd, nor act on the world; nil stops it; the
// world evolves the same with it as without.
func (w *World) OnFrameEnd(fn func(*FrameEnd)) { w.onEnd = fn }

// endFrame reports that the hop under way of message m, on link l to
// device to, is due now: delivered unless it was lost as it left, or its
// link or its receiver went away while it travelled.
func (w *World) endFrame(m *message, l *link, to *device) {
	seq := m.frame
	m.frame = 0
	if w.onEnd == nil || w.onFrame == nil {
		return
	}
	why := ""
	switch {
	case m.lost:
		why = m.lostWhy
	case (!l.up || l.removed) && l.medium == MediumInternet:
		why = LostInternetCut
	case !l.up || l.removed:
		why = LostLinkCut
	case !to.powered || to.removed:
		why = LostReceiverOff
	}
	w.end = FrameEnd{Seq: seq, Message: m.id, At: w.now, Lost: why}
	w.onEnd(&w.end)
}

// dropped reports that message mi is dropped at device at, for why.
func (w *World) dropped(mi, at int32, why string) {
	if w.onEnd == nil || w.onFrame == nil {
		return
	}
	m := &w.msgs[mi]
	from, to := &w.devices[at], &w.devices[m.dst]
	w.frame = Frame{
		At: w.now, Arrive: w.now, Message: m.id, Kind: msgKindNames[m.kind], Side: w.sides[m.side], Protocol: m.app,
		From: from.id, To: to.id, FromKind: from.kind, ToKind: to.kind, FromIndex: at, ToIndex: m.dst, Lost: why,
	}
	w.end = FrameEnd{Message: m.id, At: w.now, Lost: why, Dropped: &w.frame}
	w.onEnd(&w.end)
}

// FramesSent counts the frames the world has put on a medium so far,
// each hop of a message separately: a frame was sent during a step when
// it grew. Like OnFrame it is no part of the hash, but a clone keeps it.
func (w *World) FramesSent() int64 { return w.framesSent }

func (w *World) emitFrame(m *message, l *link, lost string) {
	f := &w.frame
	from, to := &w.devices[m.from], &w.devices[m.to]
	*f = Frame{
		Seq: m.frame, At: m.start, Arrive: m.arrive, Message: m.id, Kind: msgKindNames[m.kind], Side: w.sides[m.side],
		Link: l.id, Medium: l.medium, Protocol: m.enc,
		From: from.id, To: to.id, FromKind: from.kind, ToKind: to.kind, FromIndex: m.from, ToIndex: m.to,
		Lost: lost, Bytes: m.buf,
	}
	w.onFrame(f)
}
