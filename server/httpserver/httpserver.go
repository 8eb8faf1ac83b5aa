// Package httpserver is the server's HTTP side as it faces the network:
// limits that cut slow and oversized clients without cutting WebSocket
// members or event streams, a log line for each request that failed on
// the server's side, graceful shutdown, and Go's profiles on an address
// of their own (-pprof).
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/thingyard/thingyard/server/site"
)

// HTTP server limits. ReadTimeout bounds how long a request takes to
// arrive, body included; it does not cut a WebSocket member or an event
// stream: net/http clears a connection's read deadline once a request's
// body has been read, and hijacking (the WebSocket upgrade) clears it too.
// Tests against the real server hold them to that.
const (
	// ReadHeaderTimeout: a client must send its request line and headers
	// within this (10 s), which cuts a header slowloris.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout: a client must send its whole request, body included,
	// within this (30 s), which cuts a body sent a byte at a time. The
	// largest body the server takes (an action) is a few kilobytes.
	ReadTimeout = 30 * time.Second
	// IdleTimeout: a keep-alive connection waiting for its next request
	// is closed after this (60 s).
	IdleTimeout = 60 * time.Second
	// MaxHeaderBytes bounds a request's line and headers (32 KiB;
	// net/http's default is 1 MiB). A larger request gets 431.
	MaxHeaderBytes = 32 << 10
	// ShutdownTimeout: graceful shutdown waits this long for requests (5 s).
	ShutdownTimeout = 5 * time.Second
)

// Limits are the HTTP server's limits.
type Limits struct {
	ReadHeader, Read, Idle time.Duration
	MaxHeaderBytes         int
}

// Defaults are the limits the server runs with: the constants above.
var Defaults = Limits{ReadHeaderTimeout, ReadTimeout, IdleTimeout, MaxHeaderBytes}

// New is the server's HTTP side: every handler behind the security
// headers and the failure log, under lim; requests' contexts end with ctx.
func New(ctx context.Context, h http.Handler, log *slog.Logger, lim Limits) *http.Server {
	return &http.Server{
		Handler:           logRequests(site.SecureHeaders(h), log),
		ReadHeaderTimeout: lim.ReadHeader,
		ReadTimeout:       lim.Read,
		IdleTimeout:       lim.Idle,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
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

// ServeProfiles serves Go's profiles (net/http/pprof) on addr, apart from
// the page and the API, until ctx ends: -pprof. A heap profile asked for
// with gc=1 collects garbage first, which is how make bench reads the
// memory idle connections hold. The profiles tell much about the server
// and a CPU profile costs CPU, so addr is for the operator alone.
func ServeProfiles(ctx context.Context, addr string, log *slog.Logger) error {
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
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: ReadHeaderTimeout, MaxHeaderBytes: MaxHeaderBytes}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Warn("serving Go's profiles: keep this address to yourself", "pprof", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}

// Serve serves srv on ln until ctx ends, then shuts it down gracefully.
func Serve(ctx context.Context, ln net.Listener, srv *http.Server, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
