package proto_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/thingyard/thingyard/sim/proto"
)

// net/http's own parsers read our requests and responses.
func TestHTTPReadByNetHTTP(t *testing.T) {
	for _, tt := range []struct {
		frame               []byte
		method, path, ctype string
		body                string
		contentLength       int64
	}{
		{proto.AppendHTTPPost(nil, "cloud.example", "/thingyard/iot/s1/temp", []byte(`{"v":21.5}`)), "POST", "/thingyard/iot/s1/temp", "application/json", `{"v":21.5}`, 10},
		{proto.AppendHTTPRequest(nil, "PUT", "plc.local:8080", "/valve?open=1", "text/plain", []byte("1")), "PUT", "/valve", "text/plain", "1", 1},
		{proto.AppendHTTPRequest(nil, "GET", "cloud.example", "", "", nil), "GET", "/", "", "", 0},
		{proto.AppendHTTPRequest(nil, "POST", "h", "/empty", "", nil), "POST", "/empty", "", "", 0},
	} {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(tt.frame)))
		if err != nil {
			t.Fatalf("net/http cannot read %q: %v", tt.frame, err)
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatal(err)
		}
		if req.Method != tt.method || req.URL.Path != tt.path || req.Header.Get("Content-Type") != tt.ctype || string(body) != tt.body ||
			req.ContentLength != tt.contentLength || req.ProtoMajor != 1 || req.ProtoMinor != 1 {
			t.Errorf("%q read as %s %s %q %q (length %d)", tt.frame, req.Method, req.URL, req.Header.Get("Content-Type"), body, req.ContentLength)
		}
		if req.Host == "" {
			t.Errorf("%q: no Host", tt.frame)
		}
	}
	for _, tt := range []struct {
		status int
		ctype  string
		body   string
	}{{200, "application/json", `{"ok":true}`}, {204, "", ""}, {404, "text/plain", "no such device"}, {503, "", ""}, {299, "", "x"}} {
		frame := proto.AppendHTTPResponse(nil, tt.status, tt.ctype, []byte(tt.body))
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(frame)), nil)
		if err != nil {
			t.Fatalf("net/http cannot read %q: %v", frame, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype || string(body) != tt.body {
			t.Errorf("%q read as %d %q %q", frame, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if want := http.StatusText(tt.status); want != "" && resp.Status != frameStatus(tt.status, want) {
			t.Errorf("status line %q, net/http says %q", resp.Status, want)
		}
		mustDissect(t, proto.ProtoHTTP, frame)
	}
}

func frameStatus(code int, text string) string { return itoa(code) + " " + text }

func TestHTTPBytes(t *testing.T) {
	got := string(proto.AppendHTTPPost(nil, "cloud.example", "/s1", []byte(`{"v":1}`)))
	want := "POST /s1 HTTP/1.1\r\nHost: cloud.example\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"v\":1}"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got, want := string(proto.AppendHTTPResponse(nil, 204, "", nil)), "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// What a reading costs over HTTP against its payload: the headers and
	// the TCP/IPv4 headers under them.
	if proto.TCPIPv4Overhead != 40 || proto.UDPIPv4Overhead != 28 || proto.TCPIPv6Overhead != 60 || proto.UDPIPv6Overhead != 48 {
		t.Error("IP overhead constants changed")
	}
}
