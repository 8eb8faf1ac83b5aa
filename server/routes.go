package main

import (
	"io"
	"net/http"

	"github.com/VictoriaMetrics/metrics"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
)

// metricsWriter is a part of the server with counters on /metrics, which
// it writes with github.com/VictoriaMetrics/metrics.
type metricsWriter interface{ WriteMetrics(io.Writer) }

// routes mounts the server's own handlers on mux: the relay's, /metrics
// (the relay's, the replicas' and extra's counters, and the Go runtime's
// and the process's figures), /healthz, and the page.
func routes(mux *http.ServeMux, page http.Handler, rel *relay.Relay, reps *replica.Set, extra ...metricsWriter) {
	// Each sample comes with its # TYPE line, as Prometheus expects.
	metrics.ExposeMetadata(true)
	mux.Handle("GET /ws", rel)
	mux.HandleFunc("POST /rooms", rel.HandleCreate(scenes.Default))
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		rel.HandleMetrics(w, r)
		reps.WriteMetrics(w)
		for _, m := range extra {
			m.WriteMetrics(w)
		}
		metrics.WriteProcessMetrics(w)
		metrics.WriteFDMetrics(w)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := rel.Healthy(); err != nil {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, err.Error()+"\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /", page)
}
