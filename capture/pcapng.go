package capture

import (
	"encoding/binary"
	"io"
)

// pcapng block types and option codes (draft-ietf-opsawg-pcapng).
const (
	blockSHB = 0x0A0D0D0A // section header
	blockIDB = 0x00000001 // interface description
	blockNRB = 0x00000004 // name resolution
	blockEPB = 0x00000006 // enhanced packet

	byteOrderMagic = 0x1A2B3C4D

	optEnd         = 0
	optComment     = 1
	optSHBUserAppl = 4
	optIfName      = 2
	optIfDescr     = 3
	optIfTSResol   = 9

	nrbEnd  = 0
	nrbIPv4 = 1
)

// blockWriter lays out pcapng blocks, little-endian, in one reused buffer.
type blockWriter struct {
	out io.Writer
	buf []byte
	err error
}

// begin starts a block of type t: type and a length filled in by end.
func (b *blockWriter) begin(t uint32) {
	b.buf = binary.LittleEndian.AppendUint32(b.buf[:0], t)
	b.buf = append(b.buf, 0, 0, 0, 0)
}

func (b *blockWriter) u16(v uint16) { b.buf = binary.LittleEndian.AppendUint16(b.buf, v) }
func (b *blockWriter) u32(v uint32) { b.buf = binary.LittleEndian.AppendUint32(b.buf, v) }
func (b *blockWriter) u64(v uint64) { b.buf = binary.LittleEndian.AppendUint64(b.buf, v) }

// bytes appends p padded with zeros to a multiple of 4.
func (b *blockWriter) bytes(p []byte) {
	b.buf = append(b.buf, p...)
	for len(b.buf)%4 != 0 {
		b.buf = append(b.buf, 0)
	}
}

// option appends an option of code c; an empty value is left out, as
// pcapng readers expect no empty strings.
func (b *blockWriter) option(c uint16, v []byte) {
	if len(v) == 0 {
		return
	}
	b.u16(c)
	b.u16(uint16(len(v)))
	b.bytes(v)
}

// end closes the options (when there were any), writes the block's length
// at both ends and sends it.
func (b *blockWriter) end(options bool) {
	if options {
		b.u16(optEnd)
		b.u16(0)
	}
	n := uint32(len(b.buf) + 4)
	binary.LittleEndian.PutUint32(b.buf[4:], n)
	b.u32(n)
	if b.err == nil {
		_, b.err = b.out.Write(b.buf)
	}
}

// maxOption is the longest option value pcapng can hold (its length is 16
// bits); comments are cut to it.
const maxOption = 0xFFFF - 3

func cut(s string) []byte {
	if len(s) > maxOption {
		s = s[:maxOption]
	}
	return []byte(s)
}

func (b *blockWriter) sectionHeader(appl, comment string) {
	b.begin(blockSHB)
	b.u32(byteOrderMagic)
	b.u16(1) // version 1.0
	b.u16(0)
	b.u64(^uint64(0)) // section length not given
	b.option(optComment, cut(comment))
	b.option(optSHBUserAppl, cut(appl))
	b.end(true)
}

// interfaceDescription describes an interface of link type lt whose
// timestamps count microseconds (if_tsresol 6, pcapng's default, said
// anyway).
func (b *blockWriter) interfaceDescription(lt uint16, name, descr string) {
	b.begin(blockIDB)
	b.u16(lt)
	b.u16(0)
	b.u32(0) // no snapshot length: frames are whole
	b.option(optIfName, cut(name))
	b.option(optIfDescr, cut(descr))
	b.option(optIfTSResol, []byte{6})
	b.end(true)
}

// enhancedPacket writes one frame of interface iface at ts microseconds,
// made of head followed by body (so a header need not be copied in front
// of the frame), with a comment.
func (b *blockWriter) enhancedPacket(iface uint32, ts int64, head, body []byte, comment string) {
	b.begin(blockEPB)
	b.u32(iface)
	b.u32(uint32(uint64(ts) >> 32))
	b.u32(uint32(ts))
	n := uint32(len(head) + len(body))
	b.u32(n)
	b.u32(n)
	b.buf = append(b.buf, head...)
	b.bytes(body) // pads head and body together
	b.option(optComment, cut(comment))
	b.end(comment != "")
}

// nameIPv4 writes a name resolution block giving addr the name.
func (b *blockWriter) nameIPv4(addr [4]byte, name string) {
	b.begin(blockNRB)
	if len(name) > maxOption-5 {
		name = name[:maxOption-5]
	}
	v := append(addr[:], name...)
	v = append(v, 0)
	b.option(nrbIPv4, v)
	b.u16(nrbEnd)
	b.u16(0)
	b.end(false)
}
