// Package capture writes the frames a Thingyard world sends as a pcapng
// file that Wireshark and tshark open with their own dissectors: one
// interface per medium, timestamps in simulated time, and the devices
// each frame went between in its comment.
//
// Each medium is captured the way a sniffer on it would see it:
//
//   - RS-232 and RS-485: Modbus RTU frames under user link type 0 (DLT
//     147), which Wireshark decodes as Modbus RTU once told to
//     (ModbusUserDLT); Modbus RTU has no link type of its own.
//   - CAN: LINKTYPE_CAN_SOCKETCAN.
//   - Zigbee: LINKTYPE_IEEE802_15_4_WITHFCS (the world's frames carry
//     their FCS).
//   - BLE: LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR, with an access address per
//     pair of devices and the CRC marked checked.
//   - LoRaWAN: LINKTYPE_LORATAP, the frames signed and encrypted with
//     proto.LoRaWANTestKeys (give Wireshark those keys to check the MIC
//     and decrypt: LoRaWANKeysOption).
//   - Wi-Fi, Ethernet, the internet and cellular: LINKTYPE_IPV4, MQTT and
//     HTTP on TCP streams whose sequence numbers follow on, CoAP on UDP,
//     between addresses 10.x.y.z given to each device and named after it
//     in the file.
//
// Timestamps are the world's simulated time, from the Unix epoch: a world
// starts at 1970-01-01 00:00:00 UTC.
package capture

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// Options say what a capture holds.
type Options struct {
	// Comment is the capture's own comment (the scene, the seed, the
	// window): Wireshark shows it under Statistics > Capture File
	// Properties.
	Comment string
	// From and To are the window in simulated microseconds: a frame is
	// written when From <= At < To. To 0 means no end.
	From, To int64
}

// Writer writes frames to a pcapng file. Give it frames in the order of
// their time (Stream does): TCP sequence numbers follow the order frames
// are written in. A Writer is not safe for concurrent use.
type Writer struct {
	bw     blockWriter
	opts   Options
	ifaces map[sim.Medium]uint32
	named  map[int32]bool // devices whose address has a name block
	ip     ipState
	head   []byte
	note   strings.Builder
	n      int
	lora   []uint32 // the LoRaWAN device addresses seen, in order
}

// NewWriter starts a pcapng file on out with its section header.
func NewWriter(out io.Writer, opts Options) (*Writer, error) {
	w := &Writer{bw: blockWriter{out: out}, opts: opts, ifaces: map[sim.Medium]uint32{}, named: map[int32]bool{},
		ip: ipState{streams: map[streamKey]*stream{}, ipID: map[int32]uint16{}}}
	w.bw.sectionHeader("Thingyard", opts.Comment)
	if w.bw.err != nil {
		return nil, fmt.Errorf("capture: write section header: %w", w.bw.err)
	}
	return w, nil
}

// Frames is how many frames have been written.
func (w *Writer) Frames() int { return w.n }

// Write writes one frame, unless it lies outside the window. The first
// frame of a medium adds its interface, and the first IP frame of a device
// names its address.
func (w *Writer) Write(f *sim.Frame) error {
	if f.At < w.opts.From || (w.opts.To > 0 && f.At >= w.opts.To) {
		return nil
	}
	iface, ok := w.ifaces[f.Medium]
	if !ok {
		iface = uint32(len(w.ifaces))
		w.ifaces[f.Medium] = iface
		mi := ifaceOf(f.Medium)
		w.bw.interfaceDescription(mi.linkType, f.Medium.String(), mi.descr)
	}
	h := w.head[:0]
	body := f.Bytes
	switch ifaceOf(f.Medium).linkType {
	case LinkTypeCAN:
		h, body = canFrame(h, f.Bytes), nil
	case LinkTypeBLE:
		h = bleHeader(h, f)
	case LinkTypeLoRaTap:
		h = loraTapHeader(h)
		if lf, err := proto.ParseLoRaWAN(f.Bytes); err == nil && !slices.Contains(w.lora, lf.DevAddr) {
			w.lora = append(w.lora, lf.DevAddr)
		}
	case LinkTypeIPv4:
		for _, d := range [2]int32{f.FromIndex, f.ToIndex} {
			if !w.named[d] {
				w.named[d] = true
				name := f.From
				if d == f.ToIndex {
					name = f.To
				}
				w.bw.nameIPv4(deviceAddr(d), name)
			}
		}
		h = w.ip.packet(h, f)
	}
	w.head = h
	w.bw.enhancedPacket(iface, f.At, h, body, w.comment(f))
	if w.bw.err != nil {
		return fmt.Errorf("capture: write frame %d: %w", w.n+1, w.bw.err)
	}
	w.n++
	return nil
}

// comment says who sent the frame to whom and what it is: "plc -> temp:
// modbus-rtu poll (m2m side, link bus, message 12)".
func (w *Writer) comment(f *sim.Frame) string {
	b := &w.note
	b.Reset()
	fmt.Fprintf(b, "%s -> %s: %s %s (%s side, link %s, message %d)", f.From, f.To, f.Protocol, f.Kind, f.Side, f.Link, f.Message)
	if f.Lost != "" {
		b.WriteString("; lost: " + f.Lost)
	}
	return b.String()
}

// MQTTVersionOption tells Wireshark which MQTT version the streams speak:
// a capture of the world's traffic starts after its clients connected,
// so no CONNECT packet says it (Wireshark notes "Unknown version"
// otherwise).
const MQTTVersionOption = "mqtt.default_version:MQTT v3.1.1"

// TsharkOptions are the -o options tshark or Wireshark of the given
// version (such as "4.0.17"; "" for a current one) needs to decode every
// frame written so far: the Modbus RTU interfaces as Modbus RTU, the MQTT
// version, and each LoRaWAN device's keys, one -o and its value after the
// other.
func (w *Writer) TsharkOptions(wiresharkVersion string) []string {
	opts := []string{"-o", ModbusUserDLT, "-o", MQTTVersionOption}
	for _, a := range w.lora {
		opts = append(opts, "-o", LoRaWANKeysOption(a, wiresharkVersion))
	}
	return opts
}

// LoRaWANKeysOption is the -o option that gives Wireshark of the given
// version ("" for a current one) the session keys of the LoRaWAN device
// with this DevAddr, so it checks the MIC and decrypts the payload of its
// frames; every Thingyard device has proto.LoRaWANTestKeys. Wireshark 4.0
// (Debian 12's) keeps them in its "LoRaWAN Encryption Keys" table, whose
// DevAddr is written byte-reversed and which wants an AppEUI besides;
// later versions in "LoRaWAN Session Keys", DevAddr as it reads. In the
// Wireshark window both are under Preferences > Protocols > LoRaWAN.
func LoRaWANKeysOption(devAddr uint32, wiresharkVersion string) string {
	k := proto.LoRaWANTestKeys
	if wireshark40(wiresharkVersion) {
		rev := devAddr>>24 | devAddr>>8&0xFF00 | devAddr<<8&0xFF0000 | devAddr<<24
		return fmt.Sprintf(`uat:encryption_keys_lorawan:"%08X","%X","%X","0000000000000000"`, rev, k.NwkSKey, k.AppSKey)
	}
	return fmt.Sprintf(`uat:session_keys_lorawan:"%08X","%X","%X"`, devAddr, k.NwkSKey, k.AppSKey)
}

// wireshark40 reports whether a Wireshark version ("4.0.17") is 4.0 or
// older, whose LoRaWAN key table has the older form.
func wireshark40(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major < 4 || major == 4 && minor == 0
}

// Stream records the frames a world sends into a pcapng file while the
// world is stepped: frames are held until no frame sent later can start
// before them, then written in the order of their time.
type Stream struct {
	w       *Writer
	world   *sim.World
	pending []sim.Frame
	bytes   []byte // the pending frames' bytes, one after another
	err     error
}

// NewStream starts a capture of world on out and makes the world report
// its frames to it (sim.World.OnFrame); call Flush as the world advances
// and Close at the end.
func NewStream(out io.Writer, world *sim.World, opts Options) (*Stream, error) {
	w, err := NewWriter(out, opts)
	if err != nil {
		return nil, err
	}
	s := &Stream{w: w, world: world}
	world.OnFrame(s.add)
	return s, nil
}

func (s *Stream) add(f *sim.Frame) {
	c := *f
	off := len(s.bytes)
	s.bytes = append(s.bytes, f.Bytes...)
	c.Bytes = s.bytes[off:len(s.bytes):len(s.bytes)]
	s.pending = append(s.pending, c)
}

// Flush writes the frames that start before the world's current tick:
// every frame the world sends from now on starts at the tick or later.
func (s *Stream) Flush() error {
	return s.flush(s.world.Tick() * sim.TickMicros)
}

func (s *Stream) flush(before int64) error {
	if s.err != nil {
		return s.err
	}
	slices.SortStableFunc(s.pending, func(a, b sim.Frame) int { return cmp.Compare(a.At, b.At) })
	n := 0
	for n < len(s.pending) && s.pending[n].At < before {
		if err := s.w.Write(&s.pending[n]); err != nil {
			s.err = err
			return err
		}
		n++
	}
	rest := copy(s.pending, s.pending[n:])
	clear(s.pending[rest:])
	s.pending = s.pending[:rest]
	if rest == 0 {
		s.bytes = s.bytes[:0]
	} else {
		// The kept frames' bytes move to the front of a new buffer, so
		// the buffer does not grow with the run.
		var keep []byte
		for i := range s.pending {
			off := len(keep)
			keep = append(keep, s.pending[i].Bytes...)
			s.pending[i].Bytes = keep[off:len(keep):len(keep)]
		}
		s.bytes = keep
	}
	return nil
}

// Close writes every frame still held and stops the world reporting to
// the stream. It does not close the underlying writer.
func (s *Stream) Close() error {
	s.world.OnFrame(nil)
	return s.flush(1<<63 - 1)
}

// Frames is how many frames have been written so far.
func (s *Stream) Frames() int { return s.w.Frames() }

// TsharkOptions are the Writer's TsharkOptions for the frames written so
// far.
func (s *Stream) TsharkOptions(wiresharkVersion string) []string {
	return s.w.TsharkOptions(wiresharkVersion)
}

// LoRaWANDevAddrs are the addresses of the LoRaWAN devices whose frames
// have been written, in the order they were first seen.
func (s *Stream) LoRaWANDevAddrs() []uint32 { return slices.Clone(s.w.lora) }
