package sim

// Frame is one frame a world puts on a medium: what a capture of that
// medium would hold, and who sent it to whom. OnFrame hands one to its
// function for every transmission, each hop of a message separately.
type Frame struct {
	At       int64    // simulated µs at which its first bit goes out
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

// Why a frame is lost as it leaves.
const (
	LostOnLink     = "lost on the link" // the link's loss rate took it
	LostOutOfRange = "out of range"     // the receiver is beyond the radio's range
)

// OnFrame makes fn see every frame the world sends from now on, as it
// goes out (a frame waiting for a busy medium, when it gets it), in the
// order the world sends them: frames on different links may start out of
// time order. fn must not keep the *Frame or its Bytes past the call, nor
// act on the world. nil stops it. The function is not part of the world's
// state: the hash does not see it, and a world with one evolves exactly as
// one without.
func (w *World) OnFrame(fn func(*Frame)) { w.onFrame = fn }

// FramesSent counts the frames the world has put on a medium so far,
// each hop of a message separately: a frame was sent during a step when
// it grew. Like OnFrame it is no part of the hash, but a clone keeps it.
func (w *World) FramesSent() int64 { return w.framesSent }

func (w *World) emitFrame(m *message, l *link, lost string) {
	f := &w.frame
	from, to := &w.devices[m.from], &w.devices[m.to]
	*f = Frame{
		At: m.start, Message: m.id, Kind: msgKindNames[m.kind], Side: w.sides[m.side],
		Link: l.id, Medium: l.medium, Protocol: m.enc,
		From: from.id, To: to.id, FromKind: from.kind, ToKind: to.kind, FromIndex: m.from, ToIndex: m.to,
		Lost: lost, Bytes: m.buf,
	}
	w.onFrame(f)
}
