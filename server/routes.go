package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
)

// metricsWriter is a part of the server with counters on /metrics.
type metricsWriter interface{ WriteMetrics(io.Writer) }

// routes mounts the server's own handlers on mux: the relay's, /metrics
// (the relay's, the replicas' and extra's counters and the process's) and
// /healthz, and the page.
func routes(mux *http.ServeMux, page http.Handler, rel *relay.Relay, reps *replica.Set, extra ...metricsWriter) {
	if rel != nil {
		mux.Handle("GET /ws", rel)
		mux.HandleFunc("POST /rooms", rel.HandleCreate(scenes.Default))
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			rel.HandleMetrics(w, r)
			reps.WriteMetrics(w)
			for _, m := range extra {
				m.WriteMetrics(w)
			}
			writeProcessMetrics(w)
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if rel != nil {
			if err := rel.Healthy(); err != nil {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, err.Error()+"\n")
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /", page)
}

// writeProcessMetrics writes the process's goroutines and open files, the
// figures that show a leak of connections first.
func writeProcessMetrics(w io.Writer) {
	fmt.Fprintf(w, "# HELP go_goroutines Goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		fmt.Fprintf(w, "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds %d\n", len(fds))
	}
	writeHeapMetrics(w)
}

// heapMetrics are the Go runtime's memory figures /metrics shows, read
// with runtime/metrics (which stops nothing): what the heap's live objects
// take, what the runtime holds of the system in all, and what of that the
// runtime has given back. Resident memory is about the second less the
// third, so they tell live data from memory the runtime keeps for reuse.
var heapMetrics = []struct{ name, help, metric string }{
	{"go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", "/memory/classes/heap/objects:bytes"},
	{"go_memstats_sys_bytes", "Bytes of memory obtained from the system.", "/memory/classes/total:bytes"},
	{"go_memstats_heap_released_bytes", "Bytes of heap returned to the system.", "/memory/classes/heap/released:bytes"},
}

func writeHeapMetrics(w io.Writer) {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, m := range heapMetrics {
		samples[i].Name = m.metric
	}
	metrics.Read(samples)
	for i, m := range heapMetrics {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			continue
		}
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", m.name, m.help, m.name, m.name, samples[i].Value.Uint64())
	}
}
