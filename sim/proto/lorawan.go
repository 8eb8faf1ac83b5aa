package proto

import (
	"encoding/binary"
	"fmt"
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
// Thingyard's devices sign and encrypt their frames as LoRaWAN 1.0.x
// devices do, with fixed session keys that are published
// (LoRaWANTestKeys), so a network analyser given those keys checks every
// MIC and decrypts every payload.
type LoRaWANFrame struct {
	MType   uint8  // LoRaWANUnconfirmedUp, LoRaWANConfirmedUp, ...
	DevAddr uint32 // device address, sent little-endian
	FCtrl   uint8  // ADR 0x80, ACK 0x20, ...; the FOpts length nibble comes from FOpts
	FCnt    uint16 // frame counter, low 16 bits
	FOpts   []byte // MAC commands piggybacked in the header, at most 15 bytes
	FPort   uint8  // application port 1-223, 0 for MAC commands; sent only with a payload
	// Payload is FRMPayload: in clear when given to Append, as carried
	// (encrypted) when returned by ParseLoRaWAN; LoRaWANKeys.Decrypt
	// turns it back.
	Payload []byte
	MIC     uint32 // as carried, little-endian; Append computes it
}

// AppendLoRaWAN appends f as a PHYPayload signed and encrypted with
// LoRaWANTestKeys. FOpts is cut to 15 bytes; FPort is written when there
// is a payload.
func AppendLoRaWAN(dst []byte, f LoRaWANFrame) []byte {
	return LoRaWANTestKeys.Append(dst, f)
}

// AppendLoRaWANUplink appends an unconfirmed data uplink on FPort 1, the
// message a LoRaWAN sensor sends a reading with: 13 bytes plus the payload,
// signed and encrypted with LoRaWANTestKeys.
func AppendLoRaWANUplink(dst []byte, devAddr uint32, fcnt uint16, payload []byte) []byte {
	return AppendLoRaWAN(dst, LoRaWANFrame{MType: LoRaWANUnconfirmedUp, DevAddr: devAddr, FCnt: fcnt, FPort: 1, Payload: payload})
}

// ParseLoRaWAN decodes a LoRaWAN data message (uplink or downlink,
// confirmed or not). Payload is FRMPayload as carried, encrypted; check
// the MIC and decrypt with the device's LoRaWANKeys (LoRaWANTestKeys for
// a frame Thingyard wrote). Join and proprietary messages are
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
				key := "AppSKey"
				if f.FPort == 0 {
					key = "NwkSKey"
				}
				d.add("FRMPayload", i+1, len(f.Payload), "% X (encrypted with the %s)", f.Payload, key)
				if LoRaWANTestKeys.CheckMIC(b) {
					d.sub("decrypted", i+1, len(f.Payload), "%s", loRaWANPlain(LoRaWANTestKeys.Decrypt(nil, f)))
				}
			}
		}
	}
	f.MIC = binary.LittleEndian.Uint32(b[mic:])
	if d != nil {
		if LoRaWANTestKeys.CheckMIC(b) {
			d.add("MIC", mic, 4, "% X (correct: AES-CMAC with Thingyard's test NwkSKey)", b[mic:])
		} else {
			d.add("MIC", mic, 4, "% X (not from Thingyard's test NwkSKey: another network's key, or damaged)", b[mic:])
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

// loRaWANPlain shows a decrypted FRMPayload: hex, and the signed 32-bit
// big-endian value a Thingyard sensor sends when it is four bytes.
func loRaWANPlain(p []byte) string {
	if len(p) == 4 {
		return fmt.Sprintf("% X = %d (int32, big-endian: the reading in thousandths)", p, int32(binary.BigEndian.Uint32(p)))
	}
	return printable(p)
}
