package proto

import (
	"encoding/binary"
	"hash/crc32"
)

// LoRaWAN message types (MHDR bits 5-7, LoRaWAN 1.0.x/1.1 section 4.2.1).
const (
	LoRaWANJoinRequest     = 0
	LoRaWANJoinAccept      = 1
	LoRaWANUnconfirmedUp   = 2
	LoRaWANUnconfirmedDown = 3
	LoRaWANConfirmedUp     = 4
	LoRaWANConfirmedDown   = 5
	LoRaWANRejoinRequest   = 6
	LoRaWANProprietary     = 7
)

// LoRaWAN sizes.
const (
	LoRaWANMICLen      = 4
	LoRaWANMaxFOpts    = 15
	loRaWANMinDataLen  = 12 // MHDR 1, FHDR 7, MIC 4
	loRaWANMajorR1     = 0
	loRaWANFCtrlADR    = 0x80
	loRaWANFCtrlACK    = 0x20
	loRaWANFCtrlFOptsN = 0x0F
)

// LoRaWANFrame is a LoRaWAN data message (PHYPayload): MHDR, the frame
// header (DevAddr, FCtrl, FCnt, FOpts), an optional FPort and FRMPayload,
// and the 4-byte MIC.
//
// Thingyard holds no session keys: FRMPayload travels in clear rather than
// AES-encrypted, and the MIC is a stand-in (LoRaWANStandInMIC) rather than
// the AES-CMAC a network server checks. Sizes, and so airtime and
// overhead, are the real ones.
type LoRaWANFrame struct {
	MType   uint8  // LoRaWANUnconfirmedUp, LoRaWANConfirmedUp, ...
	DevAddr uint32 // device address, sent little-endian
	FCtrl   uint8  // ADR 0x80, ACK 0x20, ...; the FOpts length nibble comes from FOpts
	FCnt    uint16 // frame counter, low 16 bits
	FOpts   []byte // MAC commands piggybacked in the header, at most 15 bytes
	FPort   uint8  // application port 1-223; sent only with a payload
	Payload []byte // FRMPayload
	MIC     uint32 // as carried, little-endian; Append writes the stand-in
}

// AppendLoRaWAN appends f as a PHYPayload with the stand-in MIC. FOpts is
// cut to 15 bytes; FPort is written when there is a payload.
func AppendLoRaWAN(dst []byte, f LoRaWANFrame) []byte {
	start := len(dst)
	fopts := f.FOpts[:min(len(f.FOpts), LoRaWANMaxFOpts)]
	dst = append(dst, (f.MType&7)<<5|loRaWANMajorR1)
	dst = binary.LittleEndian.AppendUint32(dst, f.DevAddr)
	dst = append(dst, f.FCtrl&^loRaWANFCtrlFOptsN|byte(len(fopts)))
	dst = binary.LittleEndian.AppendUint16(dst, f.FCnt)
	dst = append(dst, fopts...)
	if len(f.Payload) > 0 {
		dst = append(dst, f.FPort)
		dst = append(dst, f.Payload...)
	}
	return binary.LittleEndian.AppendUint32(dst, LoRaWANStandInMIC(dst[start:]))
}

// AppendLoRaWANUplink appends an unconfirmed data uplink on FPort 1, the
// message a LoRaWAN sensor sends a reading with: 13 bytes plus the payload.
func AppendLoRaWANUplink(dst []byte, devAddr uint32, fcnt uint16, payload []byte) []byte {
	return AppendLoRaWAN(dst, LoRaWANFrame{MType: LoRaWANUnconfirmedUp, DevAddr: devAddr, FCnt: fcnt, FPort: 1, Payload: payload})
}

// LoRaWANStandInMIC is the MIC Thingyard writes in place of the AES-CMAC
// a real device computes with its network session key: the CRC-32 (IEEE)
// of MHDR through FRMPayload. It catches the damage a simulated radio
// does, and a person reading the frame can recompute it, but it proves
// nothing about who sent the frame; a real network server would drop it.
func LoRaWANStandInMIC(msg []byte) uint32 { return crc32.ChecksumIEEE(msg) }

// ParseLoRaWAN decodes a LoRaWAN data message (uplink or downlink,
// confirmed or not). It does not check the MIC, which needs the session
// key for a real frame; compare f.MIC with LoRaWANStandInMIC of the bytes
// before it for one Thingyard wrote. Join and proprietary messages are
// ErrUnsupported.
func ParseLoRaWAN(b []byte) (LoRaWANFrame, error) {
	return parseLoRaWAN(b, nil)
}

var loRaWANTypes = [8]string{"Join-request", "Join-accept", "Unconfirmed Data Up", "Unconfirmed Data Down", "Confirmed Data Up",
	"Confirmed Data Down", "Rejoin-request", "Proprietary"}

func parseLoRaWAN(b []byte, d *dissector) (LoRaWANFrame, error) {
	var f LoRaWANFrame
	if len(b) < 1 {
		return f, frameErr(ErrShortFrame, 0, "empty LoRaWAN frame")
	}
	f.MType = b[0] >> 5
	if d != nil {
		d.add("MHDR", 0, 1, "0x%02X: %s, major %d", b[0], loRaWANTypes[f.MType], b[0]&3)
		d.sub("MType", 0, 1, "%d %s", f.MType, loRaWANTypes[f.MType])
		d.sub("major", 0, 1, "%d (LoRaWAN R1)", b[0]&3)
	}
	switch f.MType {
	case LoRaWANUnconfirmedUp, LoRaWANUnconfirmedDown, LoRaWANConfirmedUp, LoRaWANConfirmedDown:
	case LoRaWANJoinRequest, LoRaWANJoinAccept:
		if d != nil {
			return f, dissectLoRaWANJoin(d, b, f.MType) // whole to an analyser
		}
		return f, frameErr(ErrUnsupported, 0, "%s messages are not decoded into a LoRaWANFrame", loRaWANTypes[f.MType])
	default:
		return f, frameErr(ErrUnsupported, 0, "%s messages are not decoded", loRaWANTypes[f.MType])
	}
	if b[0]&3 != loRaWANMajorR1 {
		return f, frameErr(ErrUnsupported, 0, "major version %d, only LoRaWAN R1 (0) is decoded", b[0]&3)
	}
	if len(b) < loRaWANMinDataLen {
		return f, frameErr(ErrShortFrame, len(b), "%d bytes, a data message has at least 12", len(b))
	}
	f.DevAddr, f.FCtrl, f.FCnt = binary.LittleEndian.Uint32(b[1:]), b[5], binary.LittleEndian.Uint16(b[6:])
	nopts := int(f.FCtrl & loRaWANFCtrlFOptsN)
	mic := len(b) - LoRaWANMICLen
	if d != nil {
		d.add("DevAddr", 1, 4, "%08X", f.DevAddr)
		d.add("FCtrl", 5, 1, "0x%02X: ADR %s, ACK %s, FOpts %d bytes", f.FCtrl, onOff(f.FCtrl&loRaWANFCtrlADR != 0), onOff(f.FCtrl&loRaWANFCtrlACK != 0), nopts)
		d.add("FCnt", 6, 2, "%d", f.FCnt)
	}
	if 8+nopts > mic {
		return f, frameErr(ErrShortFrame, len(b), "FOpts of %d bytes run into the MIC", nopts)
	}
	if nopts > 0 {
		f.FOpts = b[8 : 8+nopts]
		if d != nil {
			d.add("FOpts", 8, nopts, "% X", f.FOpts)
		}
	}
	i := 8 + nopts
	if i < mic {
		f.FPort = b[i]
		f.Payload = b[i+1 : mic]
		if d != nil {
			d.add("FPort", i, 1, "%d%s", f.FPort, map[bool]string{true: " (MAC commands)"}[f.FPort == 0])
			if len(f.Payload) > 0 {
				d.add("FRMPayload", i+1, len(f.Payload), "% X (in clear: no AppSKey in the world)", f.Payload)
			}
		}
	}
	f.MIC = binary.LittleEndian.Uint32(b[mic:])
	if d != nil {
		if f.MIC == LoRaWANStandInMIC(b[:mic]) {
			d.add("MIC", mic, 4, "% X (Thingyard's CRC-32 stand-in, matches)", b[mic:])
		} else {
			d.add("MIC", mic, 4, "% X (not checked: an AES-CMAC needs the session key)", b[mic:])
		}
	}
	return f, nil
}

// dissectLoRaWANJoin lays out a Join-request (JoinEUI, DevEUI, DevNonce,
// MIC: 23 bytes) or a Join-accept (encrypted with the device's root key: 17
// or 33 bytes) for the inspector.
func dissectLoRaWANJoin(d *dissector, b []byte, mtype uint8) error {
	if mtype == LoRaWANJoinRequest {
		if len(b) != 23 {
			return frameErr(ErrShortFrame, len(b), "%d bytes, a Join-request has 23", len(b))
		}
		d.add("JoinEUI", 1, 8, "%016X", binary.LittleEndian.Uint64(b[1:]))
		d.add("DevEUI", 9, 8, "%016X", binary.LittleEndian.Uint64(b[9:]))
		d.add("DevNonce", 17, 2, "%d", binary.LittleEndian.Uint16(b[17:]))
		d.add("MIC", 19, 4, "% X (not checked: an AES-CMAC needs the root key)", b[19:])
		return nil
	}
	if len(b) != 17 && len(b) != 33 {
		return frameErr(ErrShortFrame, len(b), "%d bytes, a Join-accept has 17 or 33", len(b))
	}
	d.add("encrypted Join-accept and MIC", 1, len(b)-1, "% X (needs the root key)", b[1:])
	return nil
}
