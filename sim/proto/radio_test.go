package proto_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

func TestCRCKermitCheckValue(t *testing.T) {
	// The CRC catalogue's check value of CRC-16/KERMIT over "123456789".
	if got := proto.CRCKermit([]byte("123456789")); got != 0x2189 {
		t.Errorf("CRC-16/KERMIT = %#04x, want 0x2189", got)
	}
}

// IEEE 802.15.4's own FCS example (reproduced in the AT86RF231 datasheet,
// 8.2.2): an acknowledgement whose header bits, first sent first, are
// 0100 0000 0000 0000 0101 0110 has the FCS 0010 0111 1001 1110. Read
// least significant bit first those are the bytes 02 00 6A and E4 79.
func TestIEEE802154StandardExample(t *testing.T) {
	want := unhex(t, "02 00 6A E4 79")
	got := proto.AppendIEEE802154(nil, proto.IEEE802154Frame{Type: proto.IEEE802154Ack, Seq: 0x6A})
	if !bytes.Equal(got, want) {
		t.Fatalf("ACK % X, want % X", got, want)
	}
	f, err := proto.ParseIEEE802154(want)
	if err != nil || f.Type != proto.IEEE802154Ack || f.Seq != 0x6A {
		t.Fatalf("parsed %+v, %v", f, err)
	}
	want[3] ^= 0x01
	if _, err := proto.ParseIEEE802154(want); !errors.Is(err, proto.ErrCRC) {
		t.Errorf("damaged FCS: %v", err)
	}
}

func TestIEEE802154Data(t *testing.T) {
	f := proto.IEEE802154Frame{Type: proto.IEEE802154Data, Seq: 9, AckRequest: true, PAN: 0x1234, Dst: 0x0000, Src: 0x796F, Payload: []byte{1, 2, 3}}
	b := proto.AppendIEEE802154(nil, f)
	// FCF 0x8861: data, ack request, PAN ID compression, short addresses,
	// little-endian; then seq, PAN, destination, source.
	if want := unhex(t, "61 88 09 34 12 00 00 6F 79 01 02 03"); !bytes.Equal(b[:len(b)-2], want) {
		t.Errorf("header % X, want % X", b[:len(b)-2], want)
	}
	got, err := proto.ParseIEEE802154(b)
	if err != nil || got.Seq != 9 || !got.AckRequest || got.PAN != 0x1234 || got.Src != 0x796F || !bytes.Equal(got.Payload, f.Payload) {
		t.Errorf("parsed %+v, %v", got, err)
	}
	for _, tt := range []struct {
		hex  string
		want error
	}{
		{"41 88", proto.ErrShortFrame},
		{"41 CC 01 34 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", proto.ErrUnsupported}, // 64-bit addresses
		{"49 88 01 34 12 00 00 01 00 00 00", proto.ErrUnsupported},                                     // security
	} {
		if _, err := proto.ParseIEEE802154(unhex(t, tt.hex)); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.hex, err, tt.want)
		}
	}
}

func TestZigbeeReport(t *testing.T) {
	b := proto.AppendZigbeeReport(nil, 7, 0x1234, 1, 2, 0, 3, 2153)
	if len(b) != proto.ZigbeeReportLen {
		t.Errorf("%d bytes, want %d", len(b), proto.ZigbeeReportLen)
	}
	r, err := proto.ParseZigbeeReport(b)
	want := proto.ZigbeeReport{Seq: 7, PAN: 0x1234, MACDst: 1, MACSrc: 2, NWKDst: 0, NWKSrc: 3, Radius: 30, Endpoint: 1,
		Cluster: proto.ZigbeeClusterTemperature, Profile: proto.ZigbeeProfileHA, Value: 2153}
	if err != nil || r != want {
		t.Errorf("parsed %+v, %v\nwant %+v", r, err, want)
	}
	r.Value, r.Attribute, r.Radius = -40, 0x0001, 1
	if back, err := proto.ParseZigbeeReport(proto.AppendZigbee(nil, r)); err != nil || back != r {
		t.Errorf("round trip %+v -> %+v, %v", r, back, err)
	}
	fields := mustDissect(t, proto.ProtoZigbee, b)
	got := fieldMap(fields)
	if got["value"].Value != "2153" || got["cluster"].Value != "0x0402 Temperature Measurement" || got["FCS (CRC-16/KERMIT)"].Offset != 33 {
		t.Errorf("fields %v", fields)
	}
	b[20] ^= 0xFF
	if _, err := proto.ParseZigbeeReport(b); !errors.Is(err, proto.ErrCRC) {
		t.Errorf("damaged frame: %v", err)
	}
}

// The CRC catalogue's CRC-24/BLE check value: the BLE link-layer CRC with
// the advertising preset 0x555555 over "123456789" is 0xC25A56.
func TestCRC24BLECheckValue(t *testing.T) {
	if got := proto.CRC24BLE(proto.BLEAdvCRCInit, []byte("123456789")); got != 0xC25A56 {
		t.Errorf("CRC-24/BLE = %#06x, want 0xc25a56", got)
	}
}

func TestBLEAdvertising(t *testing.T) {
	ad := proto.AppendBLEAD(nil, proto.BLEADFlags, []byte{0x06})
	ad = proto.AppendBLEAD(ad, proto.BLEADCompleteName, []byte("thermo"))
	a := proto.BLEAdvertisement{PDUType: proto.BLEAdvNonconnInd, RandomAddr: true, AdvA: [6]byte{0xC0, 0x11, 0x22, 0x33, 0x44, 0x55}, Data: ad}
	b := proto.AppendBLEAdvertising(nil, a)
	// Header: ADV_NONCONN_IND with TxAdd random (0x42), length 6 + 11;
	// AdvA least significant byte first; AD structures; 3 CRC bytes.
	want := unhex(t, "42 11 55 44 33 22 11 C0 02 01 06 07 09 74 68 65 72 6D 6F")
	if !bytes.Equal(b[:len(b)-3], want) {
		t.Fatalf("PDU % X, want % X", b[:len(b)-3], want)
	}
	got, err := proto.ParseBLEAdvertising(b)
	if err != nil || got.AdvA != a.AdvA || !got.RandomAddr || got.PDUType != a.PDUType || !bytes.Equal(got.Data, ad) {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	fields := mustDissect(t, proto.ProtoBLEAdv, b)
	if m := fieldMap(fields); m["AdvA"].Value != "C0:11:22:33:44:55" || m["AD complete name"].Value != `"thermo"` {
		t.Errorf("fields %v", fields)
	}
	b[5] ^= 1
	if _, err := proto.ParseBLEAdvertising(b); !errors.Is(err, proto.ErrCRC) {
		t.Errorf("damaged: %v", err)
	}
}

func TestBLENotify(t *testing.T) {
	b := proto.AppendBLENotify(nil, 0x002A, 21530)
	// LL header: LLID 2 (start of L2CAP), length 11; L2CAP length 7,
	// channel 4 (ATT); opcode 0x1B, handle 0x002A, value 21530 LE.
	if want := unhex(t, "02 0B 07 00 04 00 1B 2A 00 1A 54 00 00"); !bytes.Equal(b[:len(b)-3], want) {
		t.Fatalf("PDU % X, want % X", b[:len(b)-3], want)
	}
	n, err := proto.ParseBLENotification(b, proto.BLEDataCRCInit)
	if err != nil || n.Handle != 0x2A || !bytes.Equal(n.Value, []byte{0x1A, 0x54, 0, 0}) {
		t.Fatalf("parsed %+v, %v", n, err)
	}
	// Another connection's CRCInit does not check.
	if _, err := proto.ParseBLENotification(b, 0x123456); !errors.Is(err, proto.ErrCRC) {
		t.Errorf("foreign CRCInit: %v", err)
	}
	if m := fieldMap(mustDissect(t, proto.ProtoBLE, b)); m["value"].Value != "1A 54 00 00 = 21530 (int32, little-endian)" {
		t.Errorf("value field %+v", m["value"])
	}
}

// lora-packet's published uplink: 40F17DBE4900020001954378762B11FF0D is an
// Unconfirmed Data Up from DevAddr 49BE7DF1, FCnt 2, FPort 1, encrypted
// payload 95437876 and MIC 2B11FF0D.
// lora-packet's published uplink (github.com/anthonykirby/lora-packet),
// with the session keys its README gives: a real AES-CMAC MIC and an
// AES-encrypted payload, "test".
var (
	publishedUplink = "40 F1 7D BE 49 00 02 00 01 95 43 78 76 2B 11 FF 0D"
	publishedKeys   = proto.LoRaWANKeys{
		NwkSKey: [16]byte{0x44, 0x02, 0x42, 0x41, 0xed, 0x4c, 0xe9, 0xa6, 0x8c, 0x6a, 0x8b, 0xc0, 0x55, 0x23, 0x3f, 0xd3},
		AppSKey: [16]byte{0xec, 0x92, 0x58, 0x02, 0xae, 0x43, 0x0c, 0xa7, 0x7f, 0xd3, 0xdd, 0x73, 0xcb, 0x2c, 0xc5, 0x88},
	}
)

func TestLoRaWANPublishedUplink(t *testing.T) {
	b := unhex(t, publishedUplink)
	f, err := proto.ParseLoRaWAN(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.MType != proto.LoRaWANUnconfirmedUp || f.DevAddr != 0x49BE7DF1 || f.FCnt != 2 || f.FPort != 1 ||
		!bytes.Equal(f.Payload, unhex(t, "95 43 78 76")) || f.MIC != 0x0DFF112B {
		t.Errorf("parsed %+v", f)
	}
	if !publishedKeys.CheckMIC(b) {
		mic, _ := publishedKeys.MIC(b)
		t.Errorf("MIC %08X, computed %08X", f.MIC, mic)
	}
	if p := publishedKeys.Decrypt(nil, f); string(p) != "test" {
		t.Errorf("decrypted % X, want \"test\"", p)
	}
	// Built again from its fields and the clear payload with the same
	// keys, it is the very same frame, byte for byte.
	clear := f
	clear.Payload = []byte("test")
	if again := publishedKeys.Append(nil, clear); !bytes.Equal(again, b) {
		t.Errorf("re-encoded % X, want % X", again, b)
	}
	// Thingyard's test keys are not lora-packet's: the inspector says the
	// MIC is not theirs and shows no decryption.
	m := fieldMap(mustDissect(t, proto.ProtoLoRaWAN, b))
	if m["DevAddr"].Value != "49BE7DF1" || !strings.Contains(m["MIC"].Value, "not from Thingyard's test NwkSKey") || len(m["FRMPayload"].Children) != 0 {
		t.Errorf("fields %v", m)
	}
}

func TestLoRaWANTestKeys(t *testing.T) {
	b := proto.AppendLoRaWANUplink(nil, 0x26011BDA, 3, []byte{0, 0, 0x54, 0x1A}) // 21.530
	if want := unhex(t, "40 DA 1B 01 26 00 03 00 01"); !bytes.Equal(b[:9], want) || len(b) != 17 {
		t.Fatalf("frame % X", b)
	}
	f, err := proto.ParseLoRaWAN(b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(f.Payload, []byte{0, 0, 0x54, 0x1A}) {
		t.Errorf("payload % X travels in clear", f.Payload)
	}
	if !proto.LoRaWANTestKeys.CheckMIC(b) || publishedKeys.CheckMIC(b) {
		t.Errorf("MIC % X: checks with the test keys %v, with others %v", b[13:], proto.LoRaWANTestKeys.CheckMIC(b), publishedKeys.CheckMIC(b))
	}
	if p := proto.LoRaWANTestKeys.Decrypt(nil, f); !bytes.Equal(p, []byte{0, 0, 0x54, 0x1A}) {
		t.Errorf("decrypted % X", p)
	}
	// One bit flipped anywhere and the MIC no longer checks.
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if proto.LoRaWANTestKeys.CheckMIC(c) {
			t.Errorf("byte %d flipped: MIC still checks", i)
		}
	}
	m := fieldMap(mustDissect(t, proto.ProtoLoRaWAN, b))
	if fp := m["FRMPayload"]; len(fp.Children) != 1 || fp.Children[0].Value != "00 00 54 1A = 21530 (int32, big-endian: the reading in thousandths)" {
		t.Errorf("FRMPayload %+v", fp)
	}
	if !strings.Contains(m["MIC"].Value, "correct: AES-CMAC") {
		t.Errorf("MIC %q", m["MIC"].Value)
	}
	// A downlink, a long payload (two cipher blocks, CMAC over three) and
	// MAC commands on FPort 0 (encrypted with the NwkSKey) round-trip.
	for _, fr := range []proto.LoRaWANFrame{
		{MType: proto.LoRaWANConfirmedUp, DevAddr: 1, FCtrl: 0x80, FCnt: 65535, FOpts: []byte{0x02}, FPort: 10, Payload: []byte("x")},
		{MType: proto.LoRaWANUnconfirmedDown, DevAddr: 0x26000001, FCnt: 9, FPort: 2, Payload: []byte("a payload of more than sixteen bytes")},
		{MType: proto.LoRaWANUnconfirmedUp, DevAddr: 0x26000002, FCnt: 1, FPort: 0, Payload: []byte{0x02}},
	} {
		b := proto.AppendLoRaWAN(nil, fr)
		got, err := proto.ParseLoRaWAN(b)
		if err != nil || got.FCtrl != fr.FCtrl|byte(len(fr.FOpts)) || !bytes.Equal(got.FOpts, fr.FOpts) || got.FPort != fr.FPort || got.FCnt != fr.FCnt ||
			!bytes.Equal(proto.LoRaWANTestKeys.Decrypt(nil, got), fr.Payload) || !proto.LoRaWANTestKeys.CheckMIC(b) {
			t.Errorf("round trip %+v -> %+v, %v", fr, got, err)
		}
	}
	if _, err := proto.ParseLoRaWAN(unhex(t, "40 F1 7D BE 49 0F 02 00 01 2B 11 FF 0D")); !errors.Is(err, proto.ErrShortFrame) {
		t.Errorf("FOpts past MIC: %v", err)
	}
}

func FuzzParseIEEE802154(f *testing.F) {
	f.Add(proto.AppendZigbeeReport(nil, 7, 0x1234, 1, 2, 0, 3, 2153))
	f.Add(unhex(f, "02 00 6A E4 79"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := proto.ParseIEEE802154(b)
		if err != nil {
			return
		}
		back, err := proto.ParseIEEE802154(proto.AppendIEEE802154(nil, fr))
		if err != nil || back.Seq != fr.Seq || back.Type != fr.Type || !bytes.Equal(back.Payload, fr.Payload) {
			t.Fatalf("%+v re-encoded parses as %+v, %v", fr, back, err)
		}
		if _, err := proto.ParseZigbeeReport(b); err == nil && len(b) != proto.ZigbeeReportLen {
			t.Fatalf("report of %d bytes", len(b))
		}
	})
}

func FuzzParseBLE(f *testing.F) {
	f.Add(proto.AppendBLENotify(nil, 0x2A, 1), false)
	f.Add(proto.AppendBLEAdvertising(nil, proto.BLEAdvertisement{Data: []byte{2, 1, 6}}), true)
	f.Fuzz(func(t *testing.T, b []byte, adv bool) {
		if adv {
			a, err := proto.ParseBLEAdvertising(b)
			if err == nil && !bytes.Equal(proto.AppendBLEAdvertising(nil, a), b) {
				t.Fatalf("% X re-encodes differently", b)
			}
			return
		}
		n, err := proto.ParseBLENotification(b, proto.BLEDataCRCInit)
		if err == nil && len(n.Value) <= 20 && b[0] == 2 && !bytes.Equal(proto.AppendBLENotification(nil, n.Handle, n.Value), b) {
			t.Fatalf("% X re-encodes differently", b)
		}
	})
}

func FuzzLoRaWANRoundTrip(f *testing.F) {
	f.Add(byte(2), uint32(0x26011BDA), byte(0x80), uint16(3), []byte{}, byte(1), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, mtype byte, addr uint32, fctrl byte, fcnt uint16, fopts []byte, port byte, payload []byte) {
		fr := proto.LoRaWANFrame{MType: 2 + mtype%4, DevAddr: addr, FCtrl: fctrl &^ 0x0F, FCnt: fcnt, FOpts: fopts[:min(len(fopts), 15)], FPort: port, Payload: payload}
		b := proto.AppendLoRaWAN(nil, fr)
		got, err := proto.ParseLoRaWAN(b)
		if err != nil {
			t.Fatalf("% X: %v", b, err)
		}
		if got.MType != fr.MType || got.DevAddr != addr || got.FCnt != fcnt || !bytes.Equal(got.FOpts, fr.FOpts) ||
			len(got.Payload) != len(payload) || (len(payload) > 0 && got.FPort != port) || !proto.LoRaWANTestKeys.CheckMIC(b) ||
			!bytes.Equal(proto.LoRaWANTestKeys.Decrypt(nil, got), payload) {
			t.Fatalf("%+v parsed as %+v", fr, got)
		}
	})
}
