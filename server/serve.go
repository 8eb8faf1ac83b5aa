package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/thingyard/thingyard"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/limit"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
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
		Handler:           logRequests(secureHeaders(mux), log),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// config is what serve's flags set.
type config struct {
	addr   string
	dev    bool
	origin string
	// frame are the origins of other sites that may frame a live room's
	// page (-frame-origin); any site may frame a page without a room.
	frame frameOrigins
	mqtt  string
	open  bool // -mqtt-open
	relay relay.Options
	// maxDevices is how many devices a room's world may hold.
	maxDevices int
	// apiRate is how many open API calls a second one address may make.
	apiRate float64
	serial  serialConfig
	store   storeConfig
	pprof   string // -pprof: where Go's profiles are served, "" for nowhere
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("thingyard serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg config
	defAddr := "127.0.0.1:8080"
	if a := os.Getenv("THINGYARD_ADDR"); a != "" {
		defAddr = a
	}
	fl.StringVar(&cfg.addr, "addr", defAddr, "address to listen on (env THINGYARD_ADDR); 0.0.0.0:8080 serves a classroom")
	fl.BoolVar(&cfg.dev, "dev", false, "serve index.html and assets/ from the current directory instead of the embedded copy")
	fl.StringVar(&cfg.origin, "origin", "", "comma-separated extra Origin host patterns allowed to join rooms (same origin is always allowed)")
	fl.Var(&cfg.frame, "frame-origin", "an origin such as https://courses.example.org whose pages may frame a live room's page (repeat it, or give a comma list); any site may frame the page without a room")
	fl.StringVar(&cfg.mqtt, "mqtt", "", "also serve MQTT on this address (e.g. 127.0.0.1:1883): open devices publish readings on thingyard/{room}/{device}/{metric} and take commands on .../set; a client connects with user name = room id and password = the room's token, and sees only that room")
	fl.BoolVar(&cfg.open, "mqtt-open", false, "let anyone connect to the MQTT broker without credentials and read every room (a lab on a closed network)")
	fl.IntVar(&cfg.relay.MaxRooms, "max-rooms", relay.DefaultMaxRooms, "live rooms at once")
	fl.IntVar(&cfg.relay.MaxMembers, "max-members", relay.DefaultMaxMembers, "browsers per room")
	fl.IntVar(&cfg.maxDevices, "max-devices", gate.DefaultMaxDevices, "devices a room's world may hold, its scene's included")
	fl.IntVar(&cfg.relay.MaxLogBytes, "max-log-bytes", relay.DefaultMaxLogBytes, "bytes of actions a room keeps after its latest world state")
	fl.IntVar(&cfg.relay.FoldEvery, "fold-every", relay.DefaultFoldEvery, "envelopes after which a room's log is folded into a snapshot")
	fl.IntVar(&cfg.relay.World.Actions, "world-actions", relay.DefaultWorldActions, "actions after which a room's snapshot is folded into its world state, so joiners load that instead of replaying the room")
	fl.Int64Var(&cfg.relay.World.Behind, "world-behind", relay.DefaultWorldBehind, "ticks before a room's now its world state is taken at; less than the gate's window for late actions (3000) may refuse a late action a slow browser sent")
	fl.IntVar(&cfg.relay.MaxSubs, "max-streams", relay.DefaultMaxSubs, "event streams (GET …/events) per room")
	fl.Float64Var(&cfg.relay.CreateRate, "create-rate", relay.DefaultCreateRate, "rooms one IP address may make a minute")
	fl.Float64Var(&cfg.apiRate, "api-rate", apiRate, "open API calls (REST, event streams) one IP address may make a second")
	fl.Float64Var(&cfg.relay.Rate, "rate", relay.DefaultRate, "frames per second one browser may send")
	fl.IntVar(&cfg.relay.Burst, "burst", relay.DefaultBurst, "frames one browser may send at once")
	fl.IntVar(&cfg.relay.QueueLen, "queue", relay.DefaultQueueLen, "frames queued for a slow browser before it is dropped")
	fl.DurationVar(&cfg.relay.PingEvery, "ping", relay.DefaultPingEvery, "ping period; a browser that does not answer is dropped")
	fl.DurationVar(&cfg.relay.IdleAfter, "idle", relay.DefaultIdleAfter, "let go of a room in memory this long after its last member here left (it stays in the store)")
	fl.DurationVar(&cfg.relay.RoomTTL, "room-ttl", relay.DefaultRoomTTL, "remove a room this long after anything last happened in it")
	fl.StringVar(&cfg.pprof, "pprof", "", "serve Go's profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060, for the operator alone")
	cfg.serial.flags(fl)
	cfg.store.flags(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if err := cfg.serial.check(); err != nil {
		return err
	}
	if err := cfg.store.check(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if cfg.pprof != "" {
		if err := serveProfiles(ctx, cfg.pprof, log); err != nil {
			return err
		}
	}
	rooms, instance, err := cfg.store.open(ctx, cfg.addr, log)
	if err != nil {
		return err
	}
	defer rooms.Close()
	cfg.relay.Store, cfg.relay.Instance = rooms, instance
	secretCtx, cancelSecret := context.WithTimeout(ctx, relay.DefaultStoreTimeout)
	cfg.relay.Secret, err = roomSecret(secretCtx, rooms)
	cancelSecret()
	if err != nil {
		return err
	}

	var web fs.FS = thingyard.Web
	if cfg.dev {
		if _, err := os.Stat("index.html"); err != nil {
			return fmt.Errorf("-dev serves the working tree: run it from the Thingyard directory (%w)", err)
		}
		web = os.DirFS(".")
	}
	site, err := newSite(web, cfg.dev)
	if err != nil {
		return err
	}
	site.frame = cfg.frame
	if cfg.origin != "" {
		cfg.relay.OriginPatterns = strings.Split(cfg.origin, ",")
	}
	cfg.relay.Scenes = scenes.Names()
	cfg.relay.Gate = gate.New(gate.Limits{MaxDevices: cfg.maxDevices}, nil)
	var rel *relay.Relay // made below: the replicas ask it how far they may step
	reps := replica.New(replica.Options{Horizon: func(id string) (int64, bool) { return rel.Horizon(id) }}, log)
	cfg.relay.Observer, cfg.relay.Folder = reps, reps
	var mq *broker
	if cfg.mqtt != "" {
		if mq, cfg.relay.MQTT, err = newBroker(cfg.mqtt, reps, cfg.open, log); err != nil {
			return err
		}
	}
	rel = relay.New(cfg.relay, log)
	go rel.Run(ctx)
	go reps.Run(ctx)
	if err := startSerial(ctx, cfg.serial, rel, log); err != nil {
		return err
	}
	mux := http.NewServeMux()
	var extra []metricsWriter
	if mq != nil {
		extra = append(extra, mq)
	}
	routes(mux, site, rel, log, extra...)
	apiRoutes(mux, &api{rel: rel, reps: reps, log: log, calls: limit.New(cfg.apiRate, int(2*cfg.apiRate)+1, nil)})

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	srv := newHTTPServer(ctx, mux, log, serverLimits)
	if mq != nil {
		if err := mq.start(ctx, rel); err != nil {
			ln.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "Thingyard %s serving on http://%s/\n", version, ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "version", version, "dev", cfg.dev)
	if mq != nil {
		fmt.Fprintln(stdout, mq.banner(cfg.relay.MQTT))
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// metricsWriter is a part of the server with counters on /metrics.
type metricsWriter interface{ WriteMetrics(io.Writer) }

// routes mounts every handler of the server on mux; /metrics also has
// extra's counters.
func routes(mux *http.ServeMux, site *site, rel *relay.Relay, log *slog.Logger, extra ...metricsWriter) {
	if rel != nil {
		mux.Handle("GET /ws", rel)
		mux.HandleFunc("POST /rooms", rel.HandleCreate(scenes.Default))
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			rel.HandleMetrics(w, r)
			if m, ok := rel.Observer().(metricsWriter); ok {
				m.WriteMetrics(w)
			}
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
	mux.Handle("GET /", site)
}

// secureHeaders sets the security headers on every response, the page's,
// the API's, problems and assets alike: a Content-Security-Policy (the
// page's own, which the site extends with the hashes of the page's inline
// scripts and says who may frame it) whose frame-ancestors 'self' keeps
// everything else out of a foreign frame, X-Frame-Options for browsers
// before it, nosniff, and no
// Referrer header, as room links carry the room's id.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy("'self'"))
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "SAMEORIGIN")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
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
