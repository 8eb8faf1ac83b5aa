// Package site serves the Thingyard page and its assets (index.html,
// assets/) with cache validation and precompressed variants, and sets the
// security headers every response of the server carries: the page's
// Content-Security-Policy, who may frame it (-frame-origin), nosniff and no
// Referer.
package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Site serves index.html and assets/ with cache validation: every response
// carries an ETag of its bytes and Cache-Control no-cache, so a browser asks
// each time and gets 304 Not Modified until a new build. Files with a
// precompressed sibling (name.br, name.gz) are sent compressed when the
// browser accepts it.
type Site struct {
	web fs.FS
	dev bool // read files on every request, for -dev
	// frame are the other origins that may frame a live room's page
	// (-frame-origin).
	frame FrameOrigins
	mu    sync.Mutex
	docs  map[string]*doc
	// warmed is closed once the files a visit asks for first (warmFirst)
	// are read and tagged, which New starts: the first visitor after a
	// start does not wait for it (about 130 ms for the 18 MB program and
	// its compressed copies, most of it reading them out of the binary).
	warmed chan struct{}
}

// warmFirst are the files every visit asks for first, read by New ahead
// of the first request.
var warmFirst = []string{"index.html", "assets/wasm_exec.js", "assets/thingyard.wasm"}

// doc is one file with its encodings.
type doc struct {
	name     string
	ctype    string
	html     bool      // an HTML page: its policy names its inline scripts and who may frame it
	scripts  []string  // an HTML page's inline scripts' hashes
	variants []variant // identity first
}

type variant struct {
	encoding string // "" for identity
	data     []byte
	etag     string
}

// encodings the site looks for beside a file, best first.
var encodings = []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// New serves the page and assets of web, read again on every request when
// dev (-dev); frame are the other origins that may frame a live room's
// page. It fails when web has no page, or (without dev) no WebAssembly
// program.
func New(web fs.FS, dev bool, frame FrameOrigins) (*Site, error) {
	s := &Site{web: web, dev: dev, frame: frame, docs: map[string]*doc{}, warmed: make(chan struct{})}
	if _, err := fs.Stat(web, "index.html"); err != nil {
		return nil, fmt.Errorf("the page is missing (index.html): %w", err)
	}
	if dev {
		close(s.warmed) // nothing is kept: every request reads its file
		return s, nil
	}
	if _, err := fs.Stat(web, "assets/thingyard.wasm"); err != nil {
		return nil, errors.New("this binary was built without the WebAssembly program: build it with make build (which runs make wasm first)")
	}
	go func() {
		defer close(s.warmed)
		for _, name := range warmFirst {
			s.load(name) // an error is the request's to report
		}
	}()
	return s, nil
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		if st, serr := fs.Stat(s.web, name); serr == nil && st.IsDir() {
			s.serveDir(w, r, name)
			return
		}
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
	if strings.HasSuffix(name, ".wasm") {
		// The decoded size, for the page's progress bar: Content-Length
		// counts the compressed bytes.
		h.Set("X-Thingyard-Size", strconv.Itoa(len(d.variants[0].data)))
	}
	if d.html {
		frameHeaders(h, r, func(ancestors string) string {
			return contentSecurityPolicy(ancestors, d.scripts...)
		}, s.frame)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(v.data))
}

// load returns a file with its encodings, from the cache unless -dev.
func (s *Site) load(name string) (*doc, error) {
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
	if path.Ext(name) == ".html" {
		d.html, d.scripts = true, inlineScriptHashes(data)
	}
	sum := sha256.Sum256(data)
	d.variants = append(d.variants, variant{data: data, etag: etag(sum, "")})
	for _, e := range encodings {
		if c, err := fs.ReadFile(s.web, name+e.ext); err == nil {
			d.variants = append(d.variants, variant{encoding: e.name, data: c, etag: etag(sum, e.name)})
		}
	}
	s.docs[name] = d
	return d, nil
}

// etag names the bytes of a file in one encoding: sum is the hash of the
// decoded content, so a rebuild that changes nothing keeps browsers'
// caches.
func etag(sum [sha256.Size]byte, encoding string) string {
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
	case ".ino", ".py", ".md", ".yaml", ".txt":
		// The example boards' sources, shown as text to read or copy.
		return "text/plain; charset=utf-8"
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

// contentSecurityPolicy is the policy of every response, extended on the
// page with the hashes ('sha256-…') of its inline scripts. The page needs
// 'wasm-unsafe-eval' to start its WebAssembly program and 'unsafe-eval'
// for the panels (vugu's DOM renderer installs its helper script with
// eval); styles stay 'unsafe-inline', as the panels and ebiten create
// style elements and attributes at run time. frameAncestors says who may
// frame the response ('self' for all but the page: see frameHeaders).
func contentSecurityPolicy(frameAncestors string, scriptHashes ...string) string {
	script := "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'"
	for _, h := range scriptHashes {
		script += " '" + h + "'"
	}
	return "default-src 'self'; " + script + "; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
		"form-action 'self'; frame-ancestors " + frameAncestors
}

// inlineScript is a script element of a page without a src attribute,
// and its text.
var inlineScript = regexp.MustCompile(`(?is)<script(\s[^>]*)?>(.*?)</script\s*>`)

// inlineScriptHashes are the CSP hashes of a page's inline scripts: the
// SHA-256 of each one's text, exactly as it stands between its tags.
func inlineScriptHashes(page []byte) []string {
	var out []string
	for _, m := range inlineScript.FindAllSubmatch(page, -1) {
		if bytes.Contains(bytes.ToLower(m[1]), []byte("src=")) {
			continue
		}
		sum := sha256.Sum256(m[2])
		out = append(out, "sha256-"+base64.StdEncoding.EncodeToString(sum[:]))
	}
	return out
}

// dirPage lists a folder of assets (such as the example boards at
// /assets/boards/) with a link to each of its files.
var dirPage = template.Must(template.New("dir").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thingyard: /{{.Dir}}/</title>
<h1>/{{.Dir}}/</h1>
{{if .Files}}<ul>
{{range .Files}}<li><a href="./{{.}}">{{.}}</a></li>
{{end}}</ul>{{else}}<p>This folder is empty.</p>{{end}}
<p><a href="{{.Home}}">Back to Thingyard</a></p>
</html>
`))

// serveDir answers a folder under assets/ with a list of every file in it
// and its subfolders, linked relative to the folder.
func (s *Site) serveDir(w http.ResponseWriter, r *http.Request, dir string) {
	if !strings.HasSuffix(r.URL.Path, "/") {
		// The links are relative to the folder, so the folder's URL ends
		// with a slash.
		w.Header().Set("Location", path.Base(dir)+"/")
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	var files []string
	err := fs.WalkDir(s.web, dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && p != dir {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !e.IsDir() {
			files = append(files, strings.TrimPrefix(p, dir+"/"))
		}
		return nil
	})
	if err != nil {
		http.Error(w, "cannot list /"+dir+"/", http.StatusInternalServerError)
		return
	}
	var page bytes.Buffer
	home := strings.Repeat("../", strings.Count(dir, "/")+1)
	if err := dirPage.Execute(&page, struct {
		Dir, Home string
		Files     []string
	}{dir, home, files}); err != nil {
		http.Error(w, "cannot list /"+dir+"/", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(page.Bytes())
}
