package capture_test

import (
	"encoding/binary"
	"fmt"
)

// pcapFile is what readPcapng found in a file: an independent reading of
// the pcapng format, so the writer is checked against the format and not
// against itself.
type pcapFile struct {
	comment, appl string
	ifaces        []pcapIface
	packets       []pcapPacket
	names         map[[4]byte]string
}

type pcapIface struct {
	linkType uint16
	name     string
	descr    string
	tsresol  byte
}

type pcapPacket struct {
	iface   uint32
	ts      uint64
	data    []byte
	origLen uint32
	comment string
}

func readPcapng(b []byte) (*pcapFile, error) {
	f := &pcapFile{names: map[[4]byte]string{}}
	le := binary.LittleEndian
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			return nil, fmt.Errorf("offset %d: %d bytes left, a block has at least 12", off, len(b)-off)
		}
		typ, n := le.Uint32(b[off:]), int(le.Uint32(b[off+4:]))
		if n%4 != 0 || n < 12 || off+n > len(b) {
			return nil, fmt.Errorf("offset %d: block length %d", off, n)
		}
		if trail := int(le.Uint32(b[off+n-4:])); trail != n {
			return nil, fmt.Errorf("offset %d: block length %d at the start, %d at the end", off, n, trail)
		}
		body := b[off+8 : off+n-4]
		opts := func(p []byte) (map[uint16][]byte, error) {
			m := map[uint16][]byte{}
			for len(p) >= 4 {
				code, l := le.Uint16(p), int(le.Uint16(p[2:]))
				if code == 0 {
					return m, nil
				}
				padded := (l + 3) &^ 3
				if 4+padded > len(p) {
					return nil, fmt.Errorf("option %d of %d bytes runs past its block", code, l)
				}
				m[code] = p[4 : 4+l]
				p = p[4+padded:]
			}
			if len(p) != 0 {
				return nil, fmt.Errorf("%d stray bytes after the options", len(p))
			}
			return m, nil
		}
		switch typ {
		case 0x0A0D0D0A:
			if off != 0 || le.Uint32(body) != 0x1A2B3C4D || le.Uint16(body[4:]) != 1 || le.Uint16(body[6:]) != 0 {
				return nil, fmt.Errorf("section header % X", body[:8])
			}
			o, err := opts(body[16:])
			if err != nil {
				return nil, err
			}
			f.comment, f.appl = string(o[1]), string(o[4])
		case 1:
			o, err := opts(body[8:])
			if err != nil {
				return nil, err
			}
			ifc := pcapIface{linkType: le.Uint16(body), name: string(o[2]), descr: string(o[3]), tsresol: 6}
			if r, ok := o[9]; ok {
				ifc.tsresol = r[0]
			}
			f.ifaces = append(f.ifaces, ifc)
		case 4:
			p := body
			for {
				code, l := le.Uint16(p), int(le.Uint16(p[2:]))
				if code == 0 {
					break
				}
				v := p[4 : 4+l]
				if code == 1 {
					f.names[[4]byte(v[:4])] = string(v[4 : len(v)-1])
				}
				p = p[4+(l+3)&^3:]
			}
		case 6:
			iface := le.Uint32(body)
			if int(iface) >= len(f.ifaces) {
				return nil, fmt.Errorf("offset %d: packet of interface %d before its description", off, iface)
			}
			caplen := int(le.Uint32(body[12:]))
			pk := pcapPacket{iface: iface, ts: uint64(le.Uint32(body[4:]))<<32 | uint64(le.Uint32(body[8:])),
				data: body[20 : 20+caplen], origLen: le.Uint32(body[16:])}
			o, err := opts(body[20+(caplen+3)&^3:])
			if err != nil {
				return nil, err
			}
			pk.comment = string(o[1])
			f.packets = append(f.packets, pk)
		default:
			return nil, fmt.Errorf("offset %d: unexpected block type 0x%08X", off, typ)
		}
		off += n
	}
	return f, nil
}
