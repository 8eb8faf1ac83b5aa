package proto_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

func opt(n uint16, v string) proto.CoAPOption { return proto.CoAPOption{Number: n, Value: []byte(v)} }

// Published byte dumps: libcoap's PDU encoder tests (tests/test_pdu.c,
// t_encode_pdu1, 4, 5, 6 and 9), which exercise the extended option
// delta and length forms, and the GET of RFC 7252 Appendix A, Figure 16,
// whose header the RFC gives field by field.
var coapVectors = []struct {
	name  string
	msg   proto.CoAPMessage
	bytes string
}{
	{"RFC 7252 A: CON GET /temperature, MID 0x7d34",
		proto.CoAPMessage{Type: proto.CoAPConfirmable, Code: proto.CoAPCodeGET, MessageID: 0x7D34, Options: []proto.CoAPOption{opt(11, "temperature")}},
		"40 01 7D 34 BB 74 65 6D 70 65 72 61 74 75 72 65"},
	{"libcoap encode_pdu1: token",
		proto.CoAPMessage{Type: proto.CoAPConfirmable, Code: proto.CoAPCodeGET, MessageID: 0x1234, Token: []byte("token")},
		"45 01 12 34 74 6F 6B 65 6E"},
	{"libcoap encode_pdu4: length 13+5, empty option, delta 14 form to option 8000",
		proto.CoAPMessage{Type: proto.CoAPAcknowledgement, Code: 0x99, MessageID: 0x1234, Options: []proto.CoAPOption{
			opt(proto.CoAPOptionURIHost, "fancyproxy.coap.me"), opt(11, "path"), opt(11, ""), opt(8000, "fancyopt")}},
		"60 99 12 34 3D 05 66 61 6E 63 79 70 72 6F 78 79 2E 63 6F 61 70 2E 6D 65 84 70 61 74 68 00 E8 1E 28 66 61 6E 63 79 6F 70 74"},
	{"libcoap encode_pdu5: 8-byte token, delta 13 form to Accept",
		proto.CoAPMessage{Type: proto.CoAPAcknowledgement, Code: proto.CoAPCodeNotFound, MessageID: 0x1234, Token: []byte("12345678"),
			Options: []proto.CoAPOption{opt(proto.CoAPOptionIfMatch, "ABCDEFGH"), opt(proto.CoAPOptionAccept, "\x12")}},
		"68 84 12 34 31 32 33 34 35 36 37 38 18 41 42 43 44 45 46 47 48 D1 03 12"},
	{"libcoap encode_pdu6: payload only",
		proto.CoAPMessage{Type: proto.CoAPNonConfirmable, Code: proto.CoAPCodePOST, MessageID: 0x1234, Payload: []byte("12345678")},
		"50 02 12 34 FF 31 32 33 34 35 36 37 38"},
	{"libcoap encode_pdu9: delta and length both in the 13 form",
		proto.CoAPMessage{Type: proto.CoAPAcknowledgement, Code: proto.CoAPCodeChanged, MessageID: 0x1234, Payload: []byte("data"),
			Options: []proto.CoAPOption{opt(proto.CoAPOptionETag, "someetag"), opt(proto.CoAPOptionIfNoneMatch, ""), opt(proto.CoAPOptionProxyURI, "someratherlonguri")}},
		"60 44 12 34 48 73 6F 6D 65 65 74 61 67 10 DD 11 04 73 6F 6D 65 72 61 74 68 65 72 6C 6F 6E 67 75 72 69 FF 64 61 74 61"},
}

func TestCoAPPublishedBytes(t *testing.T) {
	for _, tt := range coapVectors {
		want := unhex(t, tt.bytes)
		if got := proto.AppendCoAP(nil, tt.msg); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % X\nwant % X", tt.name, got, want)
		}
		m, err := proto.ParseCoAP(want)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !coapEqual(m, tt.msg) {
			t.Errorf("%s: parsed %+v, want %+v", tt.name, m, tt.msg)
		}
	}
}

func coapEqual(a, b proto.CoAPMessage) bool {
	return a.Type == b.Type && a.Code == b.Code && a.MessageID == b.MessageID && bytes.Equal(a.Token, b.Token) &&
		bytes.Equal(a.Payload, b.Payload) && slices.EqualFunc(a.Options, b.Options, func(x, y proto.CoAPOption) bool {
		return x.Number == y.Number && bytes.Equal(x.Value, y.Value)
	})
}

// Options given out of order go on the wire in number order, repeated
// options keeping theirs; the deltas and lengths at the edges of the 13
// and 14 forms (12/13, 268/269) come back intact.
func TestCoAPOptionOrderAndEdges(t *testing.T) {
	long := func(n int) string { return string(bytes.Repeat([]byte{'x'}, n)) }
	m := proto.CoAPMessage{Code: proto.CoAPCodeGET, Options: []proto.CoAPOption{
		opt(proto.CoAPOptionURIQuery, "a=1"), opt(11, "a"), opt(3, "h"), opt(11, "b"), opt(11+268, long(12)), opt(11+268+269, long(13)),
		opt(2000, long(268)), opt(2001, long(269)), opt(65535, long(300)),
	}}
	frame := proto.AppendCoAP(nil, m)
	got, err := proto.ParseCoAP(frame)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint16{3, 11, 11, 15, 279, 548, 2000, 2001, 65535}
	var nums []uint16
	for _, o := range got.Options {
		nums = append(nums, o.Number)
	}
	if !slices.Equal(nums, want) || string(got.Options[1].Value) != "a" || string(got.Options[2].Value) != "b" {
		t.Fatalf("options %v (%q %q), want numbers %v", nums, got.Options[1].Value, got.Options[2].Value, want)
	}
	for _, o := range got.Options[4:] {
		var src proto.CoAPOption
		for _, s := range m.Options {
			if s.Number == o.Number {
				src = s
			}
		}
		if !bytes.Equal(o.Value, src.Value) {
			t.Errorf("option %d: %d bytes back, sent %d", o.Number, len(o.Value), len(src.Value))
		}
	}
	if got.Path() != "/a/b" {
		t.Errorf("path %q", got.Path())
	}
	if m.Options[0].Number != proto.CoAPOptionURIQuery {
		t.Error("AppendCoAP reordered the caller's options")
	}
}

func TestCoAPHelpers(t *testing.T) {
	frame := proto.AppendCoAPPost(nil, 0x1234, 0xCAFEBABE, "/thingyard//iot/s1", []byte(`{"v":1}`))
	// Header 0x44: version 1, CON, 4-byte token; code 0.02 POST.
	if want := unhex(t, "44 02 12 34 CA FE BA BE B9 74 68 69 6E 67 79 61 72 64 03 69 6F 74 02 73 31 11 32 FF 7B 22 76 22 3A 31 7D"); !bytes.Equal(frame, want) {
		t.Errorf("POST\n got % X\nwant % X", frame, want)
	}
	m, err := proto.ParseCoAP(frame)
	if err != nil {
		t.Fatal(err)
	}
	if cf, ok := m.ContentFormat(); !ok || cf != proto.CoAPFormatJSON || m.Path() != "/thingyard/iot/s1" || string(m.Payload) != `{"v":1}` {
		t.Errorf("parsed %+v", m)
	}
	ack, err := proto.ParseCoAP(proto.AppendCoAPAck(nil, 0x1234, 0xCAFEBABE, proto.CoAPCodeChanged))
	if err != nil || ack.Type != proto.CoAPAcknowledgement || ack.MessageID != 0x1234 || !bytes.Equal(ack.Token, m.Token) || proto.CoAPCodeString(ack.Code) != "2.04 Changed" {
		t.Errorf("ack %+v, %v", ack, err)
	}

	// An observe registration (RFC 7641): Observe 0 is an empty uint.
	obs := proto.CoAPMessage{Code: proto.CoAPCodeGET, MessageID: 1, Token: []byte{7},
		Options: proto.CoAPPathOptions([]proto.CoAPOption{proto.CoAPUintOption(proto.CoAPOptionObserve, 0)}, "sensors/temp")}
	frame = proto.AppendCoAP(nil, obs)
	if want := unhex(t, "41 01 00 01 07 60 57 73 65 6E 73 6F 72 73 04 74 65 6D 70"); !bytes.Equal(frame, want) {
		t.Errorf("observe GET\n got % X\nwant % X", frame, want)
	}
	m, _ = proto.ParseCoAP(frame)
	if v, ok := m.Observe(); !ok || v != 0 {
		t.Errorf("observe %d %v", v, ok)
	}
	for _, tt := range []struct {
		v    uint32
		want string
	}{{0, ""}, {1, "01"}, {255, "FF"}, {256, "01 00"}, {65536, "01 00 00"}, {1 << 24, "01 00 00 00"}} {
		if got := spaced(proto.AppendCoAPUint(nil, tt.v)); got != tt.want {
			t.Errorf("uint %d = %q, want %q", tt.v, got, tt.want)
		}
		if got := proto.CoAPUint(proto.AppendCoAPUint(nil, tt.v)); got != tt.v {
			t.Errorf("uint %d back as %d", tt.v, got)
		}
	}
}

// The message format errors of RFC 7252 section 3 and the libcoap parser
// tests that check them.
func TestParseCoAPErrors(t *testing.T) {
	for _, tt := range []struct {
		name, hex string
		want      error
	}{
		{"short header", "40 01 12", proto.ErrShortFrame},
		{"version 2", "80 01 12 34", proto.ErrMalformed},
		{"token length 9", "59 69 12 34 74 6F 6B 65 6E 31 32 33 34", proto.ErrMalformed},
		{"token past end", "53 69 12 34 74 6F", proto.ErrShortFrame},
		{"empty message with a token", "61 00 12 34 01", proto.ErrMalformed},
		{"payload marker, no payload", "70 00 12 34 FF", proto.ErrMalformed},
		{"options and marker, no payload", "53 73 12 34 74 6F 6B 31 61 C1 00 FF", proto.ErrMalformed},
		{"option past the end", "55 73 12 34 74 6F 6B 65 6E 00 C1 00 AE F0 03", proto.ErrShortFrame},
		{"reserved delta 15", "40 01 12 34 F1 00", proto.ErrMalformed},
		{"reserved length 15", "40 01 12 34 1F", proto.ErrMalformed},
		{"two-byte delta cut", "40 01 12 34 E0 01", proto.ErrShortFrame},
		{"option number past 65535", "40 01 12 34 E0 FE F3 E0 00 01", proto.ErrMalformed},
	} {
		if _, err := proto.ParseCoAP(unhex(t, tt.hex)); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// libcoap t_parse_pdu5 and 7: options with and without a payload parse.
	for _, s := range []string{"55 73 12 34 74 6F 6B 65 6E 00 C1 00", "55 73 12 34 74 6F 6B 65 6E 00 C1 00 FF 70 61 79 6C 6F 61 64"} {
		if _, err := proto.ParseCoAP(unhex(t, s)); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

func TestDissectCoAP(t *testing.T) {
	frame := unhex(t, coapVectors[2].bytes)
	fields := mustDissect(t, proto.ProtoCoAP, frame)
	got := fieldMap(fields)
	if got["option Uri-Host"].Value != `"fancyproxy.coap.me"` || got["option Uri-Host"].Offset != 4 || got["option Uri-Host"].Len != 20 {
		t.Errorf("Uri-Host %+v", got["option Uri-Host"])
	}
	if f := got["option 8000"]; f.Offset != 30 || f.Len != 11 || len(f.Children) != 3 || f.Children[2].Value != "1E 28" {
		t.Errorf("option 8000 %+v", f)
	}
	if got["code"].Value != "4.25" || got["message id"].Value != "0x1234 (4660)" {
		t.Errorf("header %v", fields[:3])
	}
}

// Whatever parses re-encodes to the same bytes: CoAP's option encoding
// is unique, so this holds for every accepted message.
func FuzzParseCoAP(f *testing.F) {
	for _, v := range coapVectors {
		f.Add(unhex(f, v.bytes))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := proto.ParseCoAP(b)
		if err != nil {
			return
		}
		if again := proto.AppendCoAP(nil, m); !bytes.Equal(again, b) {
			t.Fatalf("% X parsed as %+v re-encodes as % X", b, m, again)
		}
	})
}
