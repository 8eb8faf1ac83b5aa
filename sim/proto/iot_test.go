package proto_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

func TestCRCKermitCheckValue(t *testing.T) {
	// The catalogue's check value of CRC-16/KERMIT over "123456789".
	if got := proto.CRCKermit([]byte("123456789")); got != 0x2189 {
		t.Errorf("CRC-16/KERMIT = %#04x, want 0x2189", got)
	}
}

func TestCoAPPost(t *testing.T) {
	f := proto.AppendCoAPPost(nil, 0x1234, 0xCAFEBABE, "temperature-sensor-with-a-long-name", []byte(`{"v":1}`))
	// RFC 7252 §3: version 1, CON, token length 4; code 0.02 POST.
	if f[0] != 0x44 || f[1] != 0x02 || f[2] != 0x12 || f[3] != 0x34 {
		t.Fatalf("header % x", f[:4])
	}
	fields, err := proto.Dissect("coap", f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, fl := range fields {
		got[fl.Name] = fl.Value
	}
	if got["option Uri-Path"] != `"temperature-sensor-with-a-long-name"` || got["option Content-Format"] != "50" || got["payload"] != `"{\"v\":1}"` {
		t.Errorf("dissected %v", got)
	}
}

func TestHTTPPostReadsWithNetHTTP(t *testing.T) {
	f := proto.AppendHTTPPost(nil, "cloud.example", "/thingyard/iot/s1/temp", []byte(`{"v":21.5}`))
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(f)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	if req.Method != "POST" || req.Host != "cloud.example" || req.URL.Path != "/thingyard/iot/s1/temp" || string(body) != `{"v":21.5}` {
		t.Errorf("read %s %s %s %q", req.Method, req.Host, req.URL, body)
	}
}

func TestRadioFrames(t *testing.T) {
	z := proto.AppendZigbeeReport(nil, 7, 0x1234, 1, 2, 0, 3, 2153)
	if crc := proto.CRCKermit(z[:len(z)-2]); z[len(z)-2] != byte(crc) || z[len(z)-1] != byte(crc>>8) {
		t.Errorf("FCS % x, want %#04x", z[len(z)-2:], crc)
	}
	for p, f := range map[string][]byte{
		"zigbee":  z,
		"ble":     proto.AppendBLENotify(nil, 0x2A, 21530),
		"lorawan": proto.AppendLoRaWANUplink(nil, 0x26011BDA, 3, []byte{1, 2, 3, 4}),
	} {
		fields, err := proto.Dissect(p, f)
		end := 0
		for _, fl := range fields {
			end = max(end, fl.Offset+fl.Len)
		}
		if err != nil || end != len(f) || !strings.Contains(fields[0].Name, "") {
			t.Errorf("%s: %d fields to byte %d of %d, %v", p, len(fields), end, len(f), err)
		}
	}
}
