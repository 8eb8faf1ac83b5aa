package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/thingyard/thingyard"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/api"
	"github.com/thingyard/thingyard/server/gate"
	"github.com/thingyard/thingyard/server/httpserver"
	"github.com/thingyard/thingyard/server/limit"
	"github.com/thingyard/thingyard/server/mqttbridge"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/roomstore"
	"github.com/thingyard/thingyard/server/serialgw"
	"github.com/thingyard/thingyard/server/site"
)

// config is what serve's flags set.
type config struct {
	addr   string
	dev    bool
	origin string
	// frame are the origins of other sites that may frame a live room's
	// page (-frame-origin); any site may frame a page without a room.
	frame site.FrameOrigins
	mqtt  string
	open  bool // -mqtt-open
	relay relay.Options
	// maxDevices is how many devices a room's world may hold.
	maxDevices int
	// apiRate is how many open API calls a second one address may make.
	apiRate float64
	serial  serialgw.Config
	store   roomstore.Config
	pprof   string // -pprof: where Go's profiles are served, "" for nowhere
}

// parse reads serve's arguments into c, and says what is wrong with them.
func (c *config) parse(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("thingyard serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	defAddr := "127.0.0.1:8080"
	if a := os.Getenv("THINGYARD_ADDR"); a != "" {
		defAddr = a
	}
	fl.StringVar(&c.addr, "addr", defAddr, "address to listen on (env THINGYARD_ADDR); 0.0.0.0:8080 serves a classroom")
	fl.BoolVar(&c.dev, "dev", false, "serve index.html and assets/ from the current directory instead of the embedded copy")
	fl.StringVar(&c.origin, "origin", "", "comma-separated extra Origin host patterns allowed to join rooms (same origin is always allowed)")
	fl.Var(&c.frame, "frame-origin", "an origin such as https://courses.example.org whose pages may frame a live room's page (repeat it, or give a comma list); any site may frame the page without a room")
	fl.StringVar(&c.mqtt, "mqtt", "", "also serve MQTT on this address (e.g. 127.0.0.1:1883): open devices publish readings on thingyard/{room}/{device}/{metric} and take commands on .../set; a client connects with user name = room id and password = the room's token, and sees only that room")
	fl.BoolVar(&c.open, "mqtt-open", false, "let anyone connect to the MQTT broker without credentials and read every room (a lab on a closed network)")
	fl.IntVar(&c.relay.MaxRooms, "max-rooms", relay.DefaultMaxRooms, "live rooms at once")
	fl.IntVar(&c.relay.MaxMembers, "max-members", relay.DefaultMaxMembers, "browsers per room")
	fl.IntVar(&c.maxDevices, "max-devices", gate.DefaultMaxDevices, "devices a room's world may hold, its scene's included")
	fl.IntVar(&c.relay.MaxLogBytes, "max-log-bytes", relay.DefaultMaxLogBytes, "bytes of actions a room keeps after its latest world state")
	fl.IntVar(&c.relay.FoldEvery, "fold-every", relay.DefaultFoldEvery, "envelopes after which a room's log is folded into a snapshot")
	fl.IntVar(&c.relay.World.Actions, "world-actions", relay.DefaultWorldActions, "actions after which a room's snapshot is folded into its world state, so joiners load that instead of replaying the room")
	fl.Int64Var(&c.relay.World.Behind, "world-behind", relay.DefaultWorldBehind, "ticks before a room's now its world state is taken at; less than the gate's window for late actions (3000) may refuse a late action a slow browser sent")
	fl.Int64Var(&c.relay.World.Quiet, "world-quiet", relay.DefaultWorldQuiet, "ticks of a room's clock without an envelope after which the minute's sweep folds the actions its world state lacks, so a room that goes quiet drops its log")
	fl.IntVar(&c.relay.MaxSubs, "max-streams", relay.DefaultMaxSubs, "event streams (GET …/events) per room")
	fl.Float64Var(&c.relay.CreateRate, "create-rate", relay.DefaultCreateRate, "rooms one IP address may make a minute")
	fl.Float64Var(&c.apiRate, "api-rate", api.DefaultRate, "open API calls (REST, event streams) one IP address may make a second")
	fl.Float64Var(&c.relay.Rate, "rate", relay.DefaultRate, "frames per second one browser may send")
	fl.IntVar(&c.relay.Burst, "burst", relay.DefaultBurst, "frames one browser may send at once")
	fl.IntVar(&c.relay.QueueLen, "queue", relay.DefaultQueueLen, "frames queued for a slow browser before it is dropped")
	fl.DurationVar(&c.relay.PingEvery, "ping", relay.DefaultPingEvery, "ping period; a browser that does not answer is dropped")
	fl.DurationVar(&c.relay.IdleAfter, "idle", relay.DefaultIdleAfter, "let go of a room in memory this long after its last member here left (it stays in the store)")
	fl.DurationVar(&c.relay.RoomTTL, "room-ttl", relay.DefaultRoomTTL, "remove a room this long after anything last happened in it")
	fl.StringVar(&c.pprof, "pprof", "", "serve Go's profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060, for the operator alone")
	c.serial.Flags(fl)
	c.store.Flags(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if err := c.serial.Check(); err != nil {
		return err
	}
	return c.store.Check()
}

// serverLimits are the HTTP limits serve uses (tests shorten them, to see
// a limit act without waiting for it long).
var serverLimits = httpserver.Defaults

// server is the parts serve runs, wired together.
type server struct {
	rel  *relay.Relay
	reps *replica.Set
	mq   *mqttbridge.Broker // nil without -mqtt
	mux  *http.ServeMux
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	if err := cfg.parse(args, stderr); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if cfg.pprof != "" {
		if err := httpserver.ServeProfiles(ctx, cfg.pprof, log); err != nil {
			return err
		}
	}
	rooms, instance, err := cfg.store.Open(ctx, cfg.addr, log)
	if err != nil {
		return err
	}
	defer rooms.Close()
	cfg.relay.Store, cfg.relay.Instance = rooms, instance
	secretCtx, cancelSecret := context.WithTimeout(ctx, relay.DefaultStoreTimeout)
	cfg.relay.Secret, err = roomstore.Secret(secretCtx, rooms)
	cancelSecret()
	if err != nil {
		return err
	}
	srv, err := start(ctx, &cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	if srv.mq != nil {
		if err := srv.mq.Start(ctx, srv.rel); err != nil {
			ln.Close()
			return err
		}
	}
	fmt.Fprintf(stdout, "Thingyard %s serving on http://%s/\n", version, ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "version", version, "dev", cfg.dev)
	if srv.mq != nil {
		fmt.Fprintln(stdout, srv.mq.Banner(cfg.relay.MQTT))
	}
	return httpserver.Serve(ctx, ln, httpserver.New(ctx, srv.mux, log, serverLimits), log)
}

// start makes the server's parts from cfg and starts those that run on
// their own: the relay, the replicas and the serial gateway. The MQTT
// broker listens, and serves once the page's address is taken too.
func start(ctx context.Context, cfg *config, log *slog.Logger) (*server, error) {
	var web fs.FS = thingyard.Web
	if cfg.dev {
		if _, err := os.Stat("index.html"); err != nil {
			return nil, fmt.Errorf("-dev serves the working tree: run it from the Thingyard directory (%w)", err)
		}
		web = os.DirFS(".")
	}
	page, err := site.New(web, cfg.dev, cfg.frame)
	if err != nil {
		return nil, err
	}
	if cfg.origin != "" {
		cfg.relay.OriginPatterns = strings.Split(cfg.origin, ",")
	}
	cfg.relay.Scenes = scenes.Names()
	cfg.relay.Gate = gate.New(gate.Limits{MaxDevices: cfg.maxDevices}, nil)
	s := &server{mux: http.NewServeMux()}
	// The replicas ask the relay, made below, how far they may step.
	s.reps = replica.New(replica.Options{Horizon: func(id string) (int64, bool) { return s.rel.Horizon(id) }}, log)
	cfg.relay.Observer, cfg.relay.Folder = s.reps, s.reps
	if cfg.mqtt != "" {
		if s.mq, cfg.relay.MQTT, err = mqttbridge.New(cfg.mqtt, s.reps, cfg.open, log); err != nil {
			return nil, err
		}
	}
	s.rel = relay.New(cfg.relay, log)
	go s.rel.Run(ctx)
	go s.reps.Run(ctx)
	if err := serialgw.Start(ctx, cfg.serial, s.rel, log); err != nil {
		return nil, err
	}
	var extra []metricsWriter
	if s.mq != nil {
		extra = append(extra, s.mq)
	}
	routes(s.mux, page, s.rel, s.reps, extra...)
	api.New(s.rel, s.reps, limit.New(cfg.apiRate, int(2*cfg.apiRate)+1, nil)).Routes(s.mux)
	return s, nil
}
