package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/thingyard/thingyard/server/site"
)

// HTTP server limits. readTimeout bounds how long a request takes to
// arrive, body included; it does not cut a WebSocket member or an event
// stream: net/http clears a connection's read deadline once a request's
// body has been read, and hijacking (the WebSocket upgrade) clears it too.
// Tests against the real server hold them to that.
const (
	// readHeaderTimeout: a client must send its request line and headers
	// within this (10 s), which cuts a header slowloris.
	readHeaderTimeout = 10 * time.Second
	// readTimeout: a client must send its whole request, body included,
	// within this (30 s), which cuts a body sent a byte at a time. The
	// largest body the server takes (an action) is a few kilobytes.
	readTimeout = 30 * time.Second
	// idleTimeout: a keep-alive connection waiting for its next request
	// is closed after this (60 s).
	idleTimeout = 60 * time.Second
	// maxHeaderBytes bounds a request's line and headers (32 KiB;
	// net/http's default is 1 MiB). A larger request gets 431.
	maxHeaderBytes = 32 << 10
	// shutdownTimeout: graceful shutdown waits this long for requests (5 s).
	shutdownTimeout = 5 * time.Second
)

// httpLimits are the HTTP server's limits.
type httpLimits struct {
	readHeader, read, idle time.Duration
	maxHeaderBytes         int
}

// serverLimits are the limits serve uses: the constants above (tests
// shorten them, to see a limit act without waiting for it long).
var serverLimits = httpLimits{readHeaderTimeout, readTimeout, idleTimeout, maxHeaderBytes}

// newHTTPServer is the server's HTTP side: every handler behind the
// security headers and the failure log, under lim.
func newHTTPServer(ctx context.Context, mux http.Handler, log *slog.Logger, lim httpLimits) *http.Server {
	return &http.Server{
		Handler:           logRequests(site.SecureHeaders(mux), log),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// logRequests logs each request that failed on the server's side.
func logRequests(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.status >= 500 {
			log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", sw.status)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (WebSocket
// upgrades, flushing server-sent events).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveProfiles serves Go's profiles (net/http/pprof) on addr, apart from
// the page and the API, until ctx ends: -pprof. A heap profile asked for
// with gc=1 collects garbage first, which is how make bench reads the
// memory idle connections hold. The profiles tell much about the server
// and a CPU profile costs CPU, so addr is for the operator alone.
func serveProfiles(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("-pprof: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: readHeaderTimeout, MaxHeaderBytes: maxHeaderBytes}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Warn("serving Go's profiles: keep this address to yourself", "pprof", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}
