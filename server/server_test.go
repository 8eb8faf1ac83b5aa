package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func testSite(t *testing.T) *httptest.Server {
	t.Helper()
	web := fstest.MapFS{
		"index.html":               {Data: []byte("<!doctype html><title>t</title>")},
		"assets/thingyard.wasm":    {Data: bytes.Repeat([]byte("wasm"), 1000)},
		"assets/thingyard.wasm.br": {Data: []byte("brotli bytes")},
		"assets/thingyard.wasm.gz": {Data: []byte("gzip bytes")},
		"assets/wasm_exec.js":      {Data: []byte("// js")},
		"secrets/not-served.txt":   {Data: []byte("no")},
	}
	site, err := newSite(web, false)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	routes(mux, site, nil, nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// A transport that does not add Accept-Encoding itself.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestWasmEncodings(t *testing.T) {
	srv := testSite(t)
	tests := []struct {
		accept, encoding, body string
	}{
		{"gzip, deflate, br", "br", "brotli bytes"},
		{"gzip", "gzip", "gzip bytes"},
		{"br;q=0, gzip", "gzip", "gzip bytes"},
		{"", "", strings.Repeat("wasm", 1000)},
	}
	etags := map[string]bool{}
	for _, tt := range tests {
		res := get(t, srv.URL+"/assets/thingyard.wasm", "Accept-Encoding", tt.accept)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != tt.encoding || string(body) != tt.body {
			t.Errorf("Accept-Encoding %q: %d %q %q", tt.accept, res.StatusCode, res.Header.Get("Content-Encoding"), body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("Content-Type %q", ct)
		}
		if res.Header.Get("Vary") != "Accept-Encoding" || res.Header.Get("X-Thingyard-Size") != "4000" {
			t.Errorf("Vary %q, size %q", res.Header.Get("Vary"), res.Header.Get("X-Thingyard-Size"))
		}
		etags[res.Header.Get("ETag")] = true
	}
	if len(etags) != 3 {
		t.Errorf("ETags %v: want one per encoding", etags)
	}
}

func TestConditionalGet(t *testing.T) {
	srv := testSite(t)
	res := get(t, srv.URL+"/", "Accept-Encoding", "br")
	tag := res.Header.Get("ETag")
	if tag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", tag, res.Header.Get("Cache-Control"))
	}
	if res := get(t, srv.URL+"/", "If-None-Match", tag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", res.StatusCode)
	}
	if res := get(t, srv.URL+"/", "If-None-Match", `"other"`); res.StatusCode != 200 {
		t.Errorf("stale ETag: %d, want 200", res.StatusCode)
	}
}

func TestOnlyThePageIsServed(t *testing.T) {
	srv := testSite(t)
	for _, p := range []string{"/secrets/not-served.txt", "/assets/missing.js", "/go.mod"} {
		if res := get(t, srv.URL+p); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	if res := get(t, srv.URL+"/healthz"); res.StatusCode != 200 {
		t.Errorf("healthz: %d", res.StatusCode)
	}
}

func TestMissingWasmIsExplained(t *testing.T) {
	_, err := newSite(fstest.MapFS{"index.html": {}}, false)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err = %v, want advice to run make build", err)
	}
}

func TestSimCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"sim", "-scene", "internet-outage", "-seconds", "30", "-json"}, &out, &errb); err != nil {
		t.Fatalf("sim: %v (%s)", err, errb.String())
	}
	var res struct {
		Scene, Hash string
		Seed        uint64
		Ticks       int64
		Sides       map[string]struct{ Devices, Delivered int64 }
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if res.Scene != "internet-outage" || res.Ticks != 30000 || len(res.Hash) != 16 || res.Sides["m2m"].Delivered == 0 || res.Sides["iot"].Devices == 0 {
		t.Errorf("result %+v", res)
	}

	// A link printed by thingyard link runs to the same hash.
	out.Reset()
	if err := run(context.Background(), []string{"link", "-scene", "internet-outage"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(out.String())
	out.Reset()
	if err := run(context.Background(), []string{"sim", "-link", link, "-seconds", "30", "-json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), res.Hash) {
		t.Errorf("the link ran to another state:\n%s", out.String())
	}
}

func TestSimCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("devices:\n  - {id: a, kind: toaster}\n"), 0o644)
	acts := filepath.Join(dir, "acts.json")
	os.WriteFile(acts, []byte(`[{"kind":"explode"}]`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "-scene", "nowhere"}, "built-ins: overview"},
		{[]string{"sim", "-scene", bad}, "bad.yaml:2:19: devices[0].kind"},
		{[]string{"sim", "-actions", acts}, "action 1"},
		{[]string{"sim", "-link", "http://x/#s=1garbage"}, "damaged"},
		{[]string{"teleport"}, "unknown command"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), tt.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
