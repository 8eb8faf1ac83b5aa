package proto_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

func TestDissectModbus(t *testing.T) {
	// Read 2 holding registers from address 0x006B of slave 17: the
	// specification's example, CRC 0x7687 sent low byte first.
	frame := []byte{0x11, 0x03, 0x00, 0x6B, 0x00, 0x02, 0xB6, 0x98}
	frame = proto.AppendCRC(frame[:6])
	fields, err := proto.Dissect("modbus-rtu", frame)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fields {
		got[f.Name] = f.Value
	}
	want := map[string]string{"slave address": "17", "address": "107", "count": "2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if !strings.Contains(got["function"], "read holding registers") || !strings.Contains(got["CRC-16"], "correct") {
		t.Errorf("function %q, CRC %q", got["function"], got["CRC-16"])
	}
	frame[3] ^= 1
	if _, err := proto.Dissect("modbus-rtu", frame); err == nil {
		t.Error("a damaged CRC was not reported")
	}
}

func TestDissectErrors(t *testing.T) {
	if _, err := proto.Dissect("pigeon", nil); !errors.Is(err, proto.ErrUnknownProtocol) {
		t.Errorf("unknown protocol: %v", err)
	}
	for _, p := range []string{"modbus-rtu", "can", "mqtt", "coap", "http", "zigbee", "ble", "lorawan"} {
		for i, f := range [][]byte{nil, {0xFF}, {0x40, 0x02, 0, 1, 0xDD}} {
			if p == "mqtt" && i == 2 {
				continue // a whole PUBACK followed by the next packet's first byte
			}
			if _, err := proto.Dissect(p, f); err == nil {
				t.Errorf("%s % x: no error for a damaged frame", p, f)
			}
		}
	}
}

func FuzzDissect(f *testing.F) {
	f.Add("coap", []byte{0x44, 0x02, 0, 1, 1, 2, 3, 4, 0xB1, 's', 0xFF, '{', '}'})
	f.Add("http", []byte("POST / HTTP/1.1\r\nHost: x\r\n\r\n{}"))
	f.Add("mqtt", []byte{0x30, 0x05, 0, 1, 't', 'h', 'i'})
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		proto.Dissect(p, b) // must not panic
	})
}

func TestHexDump(t *testing.T) {
	got := proto.HexDump([]byte("Hello, Modbus!\x00\x01\x02"))
	want := "0000  48 65 6c 6c 6f 2c 20 4d  6f 64 62 75 73 21 00 01  Hello, Modbus!..\n" +
		"0010  02                                                .\n"
	if got != want {
		t.Errorf("HexDump:\n%q\nwant\n%q", got, want)
	}
}
