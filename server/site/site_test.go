package site

import (
	"bytes"
	"html"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/thingyard/thingyard"
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
	site, err := New(web, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(SecureHeaders(site))
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
}

func TestMissingWasmIsExplained(t *testing.T) {
	_, err := New(fstest.MapFS{"index.html": {}}, false, nil)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("err = %v, want advice to run make build", err)
	}
}

// The example boards' folder, which the README points to, is a page that
// links each example, in the working tree (-dev) and in the embedded copy.
func TestBoardsFolderIsListed(t *testing.T) {
	var want []string
	fs.WalkDir(os.DirFS("../../assets/boards"), ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			want = append(want, p)
		}
		return err
	})
	if len(want) < 3 {
		t.Fatalf("assets/boards holds %v: the examples are missing", want)
	}
	for _, web := range []struct {
		name string
		fs   fs.FS
	}{{"working tree", os.DirFS("../..")}, {"embedded", thingyard.Web}} {
		t.Run(web.name, func(t *testing.T) {
			site, err := New(web.fs, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(site)
			defer srv.Close()
			res := get(t, srv.URL+"/assets/boards/")
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("/assets/boards/: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			base, _ := url.Parse(srv.URL + "/assets/boards/")
			for _, name := range want {
				m := regexp.MustCompile(`href="([^"]*` + regexp.QuoteMeta(name) + `)"`).FindSubmatch(body)
				if m == nil {
					t.Errorf("no link to %s in\n%s", name, body)
					continue
				}
				link, _ := base.Parse(html.UnescapeString(string(m[1])))
				res := get(t, link.String())
				got, _ := io.ReadAll(res.Body)
				file, _ := os.ReadFile("../../assets/boards/" + name)
				if res.StatusCode != 200 || !bytes.Equal(got, file) {
					t.Errorf("%s (%s): %d, %d bytes, want the file's %d", name, link, res.StatusCode, len(got), len(file))
				}
			}
			// Without its slash the folder's relative links would miss.
			res = get(t, srv.URL+"/assets/boards")
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusMovedPermanently || loc != "boards/" {
				t.Errorf("/assets/boards: %d to %q, want 301 to boards/", res.StatusCode, loc)
			}
		})
	}
}

// The ready-to-flash examples travel inside the binary, served beside the
// page, so a classroom machine has them without the repository.
func TestExamplesAreEmbedded(t *testing.T) {
	for _, name := range []string{"README.md", "plotter/plotter.ino", "micropython/main.py", "modbus/modbus_slave.ino"} {
		want, err := os.ReadFile("../../assets/boards/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(thingyard.Web, "assets/boards/"+name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: embedded %d bytes, %v", name, len(got), err)
		}
	}
}

// countingFS is a file system that counts how often each file is opened.
type countingFS struct {
	files  fstest.MapFS
	mu     sync.Mutex
	opened map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opened[name]++
	c.mu.Unlock()
	return c.files.Open(name)
}

func (c *countingFS) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.opened)
}

// The files a visit asks for first are read when the site is made, so the
// first visitor after a start does not wait for the program to be read
// out of the binary; with -dev nothing is read ahead.
func TestFirstFilesAreReadAhead(t *testing.T) {
	files := fstest.MapFS{
		"index.html":               {Data: []byte("<!doctype html><title>t</title>")},
		"assets/thingyard.wasm":    {Data: bytes.Repeat([]byte("wasm"), 1000)},
		"assets/thingyard.wasm.br": {Data: []byte("brotli bytes")},
		"assets/wasm_exec.js":      {Data: []byte("// js")},
	}
	web := &countingFS{files: files, opened: map[string]int{}}
	s, err := New(web, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-s.warmed
	ahead := web.counts()
	for _, name := range warmFirst {
		// New's own checks open the page and the program; reading a file
		// ahead also looks for its compressed siblings.
		if ahead[name+".br"] == 0 {
			t.Errorf("%s was not read ahead of the first request (files opened: %v)", name, ahead)
		}
	}
	for _, name := range warmFirst {
		for _, accept := range []string{"", "br"} {
			req := httptest.NewRequest("GET", "/"+name, nil)
			req.Header.Set("Accept-Encoding", accept)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("GET /%s (Accept-Encoding %q): %d", name, accept, rec.Code)
			}
		}
	}
	if got := web.counts(); !maps.Equal(got, ahead) {
		t.Errorf("serving the first files opened files again: %v after New, %v after the requests", ahead, got)
	}

	dev := &countingFS{files: files, opened: map[string]int{}}
	ds, err := New(dev, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-ds.warmed
	if n := dev.counts()["assets/thingyard.wasm"]; n != 0 {
		t.Errorf("with -dev the program was read %d times ahead; files change under -dev, so nothing is kept", n)
	}
}
