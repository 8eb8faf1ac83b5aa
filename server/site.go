package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// site serves index.html and assets/ with cache validation: every response
// carries an ETag of its bytes and Cache-Control no-cache, so a browser asks
// each time and gets 304 Not Modified until a new build. Files with a
// precompressed sibling (name.br, name.gz) are sent compressed when the
// browser accepts it.
type site struct {
	web  fs.FS
	dev  bool // read files on every request, for -dev
	mu   sync.Mutex
	docs map[string]*doc
}

// doc is one file with its encodings.
type doc struct {
	name     string
	ctype    string
	variants []variant // identity first
}

type variant struct {
	encoding string // "" for identity
	data     []byte
	etag     string
}

// encodings the site looks for beside a file, best first.
var encodings = []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

func newSite(web fs.FS, dev bool) (*site, error) {
	s := &site{web: web, dev: dev, docs: map[string]*doc{}}
	if _, err := fs.Stat(web, "index.html"); err != nil {
		return nil, fmt.Errorf("the page is missing (index.html): %w", err)
	}
	if !dev {
		if _, err := fs.Stat(web, "assets/thingyard.wasm"); err != nil {
			return nil, errors.New("this binary was built without the WebAssembly program: build it with make build (which runs make wasm first)")
		}
	}
	return s, nil
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if name != "index.html" && !strings.HasPrefix(name, "assets/") {
		http.NotFound(w, r)
		return
	}
	d, err := s.load(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}
	v := d.variants[0]
	accept := r.Header.Get("Accept-Encoding")
	for _, alt := range d.variants[1:] {
		if acceptsEncoding(accept, alt.encoding) {
			v = alt
			break
		}
	}
	h := w.Header()
	if len(d.variants) > 1 {
		h.Set("Vary", "Accept-Encoding")
	}
	if v.encoding != "" {
		h.Set("Content-Encoding", v.encoding)
	}
	h.Set("Content-Type", d.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", v.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasSuffix(name, ".wasm") {
		// The decoded size, for the page's progress bar: Content-Length
		// counts the compressed bytes.
		h.Set("X-Thingyard-Size", strconv.Itoa(len(d.variants[0].data)))
	}
	if name == "index.html" {
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(v.data))
}

// load returns a file with its encodings, from the cache unless -dev.
func (s *site) load(name string) (*doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.docs[name]; ok && !s.dev {
		return d, nil
	}
	data, err := fs.ReadFile(s.web, name)
	if err != nil {
		return nil, err
	}
	d := &doc{name: name, ctype: contentType(name)}
	d.variants = append(d.variants, variant{data: data, etag: etag(data, "")})
	for _, e := range encodings {
		if c, err := fs.ReadFile(s.web, name+e.ext); err == nil {
			d.variants = append(d.variants, variant{encoding: e.name, data: c, etag: etag(data, e.name)})
		}
	}
	s.docs[name] = d
	return d, nil
}

// etag names the bytes of a file in one encoding: the hash of the decoded
// content, so a rebuild that changes nothing keeps browsers' caches.
func etag(data []byte, encoding string) string {
	sum := sha256.Sum256(data)
	tag := base64.RawURLEncoding.EncodeToString(sum[:12])
	if encoding != "" {
		tag += "-" + encoding
	}
	return `"` + tag + `"`
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// acceptsEncoding reports whether an Accept-Encoding header allows enc
// (a q=0 parameter refuses it).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000"
	}
	return false
}
