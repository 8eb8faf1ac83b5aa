package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/server/httpserver"
	"github.com/thingyard/thingyard/sim"
)

// shortLimits runs the servers the test starts under lim, and puts the
// defaults back when it ends. Call it before startServer.
func shortLimits(t *testing.T, lim httpserver.Limits) {
	t.Helper()
	old := serverLimits
	serverLimits = lim
	t.Cleanup(func() { serverLimits = old })
}

// closedWithin reads conn until the server closes it and fails the test
// if it is still open after within (long beside the limit the test set).
// It returns what the server sent.
func closedWithin(t *testing.T, conn net.Conn, within time.Duration, what string) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(within))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server still holds the connection after %v (it sent %q)", what, within, got)
	}
	return string(got)
}

func dialServer(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// A keep-alive connection that sends no next request is closed after the
// idle timeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	shortLimits(t, httpserver.Limits{ReadHeader: httpserver.ReadHeaderTimeout, Read: httpserver.ReadTimeout, Idle: 200 * time.Millisecond, MaxHeaderBytes: httpserver.MaxHeaderBytes})
	addr := startServer(t)
	conn := dialServer(t, addr)
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: thingyard\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Close {
		t.Fatalf("healthz: %d, close %v: want a kept-alive 200", res.StatusCode, res.Close)
	}
	closedWithin(t, conn, 20*time.Second, "an idle keep-alive connection")
}

// slowBody starts a request whose body comes a byte at a time, and keeps
// sending until the server stops taking bytes or the test ends.
func slowBody(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	conn := dialServer(t, addr)
	io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: thingyard\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := io.WriteString(conn, " "); err != nil {
				return
			}
		}
	}()
	return conn
}

// A request body that trickles in is cut at the read timeout, however
// steadily its bytes come.
func TestSlowBodyIsCut(t *testing.T) {
	shortLimits(t, httpserver.Limits{ReadHeader: 300 * time.Millisecond, Read: 300 * time.Millisecond, Idle: httpserver.IdleTimeout, MaxHeaderBytes: httpserver.MaxHeaderBytes})
	addr := startServer(t)
	for _, path := range []string{"/rooms", "/api/rooms/nowhere/actions"} {
		conn := slowBody(t, addr, path)
		got := closedWithin(t, conn, 20*time.Second, "a body sent a byte at a time to "+path)
		if strings.HasPrefix(got, "HTTP/1.1 2") {
			t.Errorf("%s: the cut request was served: %q", path, got)
		}
	}
}

// Headers over the limit are refused with 431.
func TestLargeHeadersAreRefused(t *testing.T) {
	addr := startServer(t)
	big := strings.Repeat("x", 2*httpserver.MaxHeaderBytes)
	req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Big", big)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("%d KiB of headers: %d, want 431", len(big)>>10, res.StatusCode)
	}
	req.Header.Set("X-Big", big[:httpserver.MaxHeaderBytes/2])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("%d KiB of headers: %v %v, want 200", httpserver.MaxHeaderBytes>>11, res, err)
	}
}

// A WebSocket member and an event stream outlive the read timeout: they
// still get what the room does after a request that started later than
// they did has been cut by it.
func TestLongLivedConnectionsOutliveReadTimeout(t *testing.T) {
	shortLimits(t, httpserver.Limits{ReadHeader: 300 * time.Millisecond, Read: 300 * time.Millisecond, Idle: 300 * time.Millisecond, MaxHeaderBytes: httpserver.MaxHeaderBytes})
	addr := startServer(t)
	post := func(path, body string) *http.Response {
		t.Helper()
		res, err := http.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	var room struct{ ID string }
	if res := post("/rooms", `{"scene":"open-api"}`); res.StatusCode != http.StatusCreated || json.NewDecoder(res.Body).Decode(&room) != nil {
		t.Fatalf("POST /rooms: %d", res.StatusCode)
	}
	m := apitest.Dial(t, addr, room.ID)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/rooms/"+room.ID+"/events?since=0", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", res, err)
	}
	defer res.Body.Close()
	events := bufio.NewScanner(res.Body)
	// The stream is open once its first line has come.
	if !events.Scan() {
		t.Fatalf("the event stream ended at once: %v", events.Err())
	}

	closedWithin(t, slowBody(t, addr, "/rooms"), 20*time.Second, "a slow body")

	if res := post("/api/rooms/"+room.ID+"/actions", `{"kind":"cut","link":"internet"}`); res.StatusCode/100 != 2 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("action: %d %s", res.StatusCode, b)
	}
	m.Action(t, "the cut, on the WebSocket", func(a sim.Action) bool { return a.Kind == sim.ActCut })
	for {
		if !events.Scan() {
			t.Fatalf("the event stream ended before the cut: %v", events.Err())
		}
		if line := events.Text(); strings.HasPrefix(line, "data:") && strings.Contains(line, `"kind":"cut"`) {
			break
		}
	}
}

// Every response carries the security headers: the page (whose policy
// admits its own inline script by hash), an asset, an API answer, a
// problem, and a page not found.
func TestSecurityHeaders(t *testing.T) {
	addr := startServer(t)
	// startServer serves -dev from the working directory it made.
	script := "\nconsole.log('boot');\n"
	page := "<!doctype html><title>t</title><script src=\"assets/app.js\"></script><script>" + script + "</script>"
	os.WriteFile("index.html", []byte(page), 0o644)
	os.Mkdir("assets", 0o755)
	os.WriteFile("assets/app.js", []byte("// app"), 0o644)
	sum := sha256.Sum256([]byte(script))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"

	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200},
		{"GET", "/assets/app.js", 200},
		{"GET", "/api/openapi.json", 200},
		{"POST", "/rooms", 201},
		{"GET", "/api/rooms/nowhere", 404},
		{"GET", "/api/nothing", 404},
		{"GET", "/assets/missing.js", 404},
		{"GET", "/healthz", 200},
	} {
		req, _ := http.NewRequest(tt.method, "http://"+addr+tt.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		// The page itself may be framed (frame_test.go); nothing else.
		frame, xfo := "frame-ancestors 'self'", "SAMEORIGIN"
		if tt.path == "/" {
			frame, xfo = "frame-ancestors *", ""
		}
		if res.StatusCode != tt.status || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != xfo ||
			h.Get("Referrer-Policy") != "no-referrer" || !strings.HasSuffix(csp, frame) {
			t.Errorf("%s %s: %d, headers %v", tt.method, tt.path, res.StatusCode, h)
		}
		if tt.path != "/" {
			continue
		}
		scriptSrc := ""
		for _, d := range strings.Split(csp, ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
				scriptSrc = d
			}
		}
		if !strings.Contains(scriptSrc, "'wasm-unsafe-eval'") || !strings.Contains(scriptSrc, hash) || strings.Contains(scriptSrc, "'unsafe-inline'") {
			t.Errorf("the page's script-src %q: want 'wasm-unsafe-eval' and %s, and no 'unsafe-inline'", scriptSrc, hash)
		}
	}
}
