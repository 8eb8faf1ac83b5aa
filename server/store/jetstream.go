package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStreamOptions say where a JetStream store keeps its rooms: in an
// embedded nats-server (URLs empty) or in a NATS cluster (URLs set).
type JetStreamOptions struct {
	// URLs of the NATS servers to join ("nats://host:4222", "tls://…"); when
	// empty, the store embeds a nats-server of its own.
	URLs []string
	// Creds is a NATS credentials file (remote mode); "" for none.
	Creds string
	// NATS are more connection options for remote mode: TLS with
	// nats.RootCAs and nats.ClientCert, a user and password, ….
	NATS []nats.Option

	// Dir is the embedded server's data directory; its file store is
	// Dir/jetstream. Required in embedded mode.
	Dir string
	// Listen is "host:port" on which the embedded server accepts other
	// NATS clients, such as a second Thingyard (port 0: any free port);
	// "" opens no port at all.
	Listen string
	// Reserve is how many bytes the embedded server keeps free on the disk
	// under Dir: writes that would leave less fail with ErrNoSpace (default
	// a tenth of that disk, at most 64 MiB; negative: none, which leaves a
	// full disk to JetStream, for tests of what it does then).
	Reserve int64

	// Replicas is how many servers keep each room (default 1; 3 on a
	// three-node cluster).
	Replicas int
	Limits   Limits
	// Timeout bounds one request to NATS (default 5 s); a call whose
	// context allows longer may make several, as Append does through a
	// change of leader.
	Timeout time.Duration
	// Log gets the embedded server's warnings and errors and the
	// connection's comings and goings; nil discards them.
	Log *slog.Logger
}

// Names in NATS.
const (
	streamName  = "THINGYARD_ROOMS"
	subjPrefix  = "thingyard.room."
	roomsBucket = "thingyard_rooms"
	snapsBucket = "thingyard_snapshots"

	hdrSeq    = "Thingyard-Seq"
	hdrBytes  = "Thingyard-Bytes"
	hdrAppend = "Thingyard-Append"
)

// Timing and sizes of the JetStream store.
const (
	// DefaultTimeout bounds one request to NATS (JetStreamOptions.Timeout).
	DefaultTimeout = 5 * time.Second
	// embeddedStart is how long the embedded server may take to recover
	// its file store and be ready (default 30 s).
	embeddedStart = 30 * time.Second
	// embeddedMaxPayload is the embedded server's largest message (8 MiB,
	// NATS's recommended ceiling), room for the largest snapshot.
	embeddedMaxPayload = 8 << 20
	// payloadSlack is what a snapshot's value leaves of a NATS message for
	// its headers and framing (64 KiB).
	payloadSlack = 64 << 10
	// removedMarker is how long the rooms bucket keeps the marker of a
	// removed room, so that every instance watching it hears of the
	// removal (a day).
	removedMarker = 24 * time.Hour
	// setupWait bounds how long a start waits for JetStream to make or
	// find the stream and buckets (60 s): a cluster just formed elects
	// its leaders first, and of instances started together, the requests
	// that meet another's making the same stream go unanswered until
	// asked again.
	setupWait = 60 * time.Second
	// setupRetry is the pause before asking again a JetStream that said it
	// is not ready (250 ms).
	setupRetry = 250 * time.Millisecond
	// maxTries bounds the rounds of an Append or PutSnapshot that keeps
	// losing races or meeting an unknown outcome (64).
	maxTries = 64
)

// JetStream is a Store on NATS JetStream.
type JetStream struct {
	opt     JetStreamOptions
	lim     Limits
	log     *slog.Logger
	srv     *server.Server // the embedded server; nil in remote mode
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	rooms   jetstream.KeyValue
	snaps   jetstream.KeyValue
	part    int // bytes of a snapshot's value, or of each of its parts (see jssnap.go)
	watcher jetstream.KeyWatcher
	watched chan struct{} // closed when the watching goroutine ends

	mu     sync.Mutex
	cache  map[string]*jsRoom // rooms this instance has met
	closed bool

	full      atomic.Bool // the embedded server's disk was short of space at the last look
	stuckSeen atomic.Bool // JetStream stopped writing a stream for a full disk (see stuck)
}

var _ Store = (*JetStream)(nil)

// NewJetStream starts an embedded nats-server or joins a NATS cluster, and
// makes the stream and buckets rooms live in when they are not there yet.
// ctx bounds the start.
func NewJetStream(ctx context.Context, opt JetStreamOptions) (*JetStream, error) {
	if opt.Replicas <= 0 {
		opt.Replicas = 1
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	j := &JetStream{opt: opt, lim: opt.Limits.fill(), log: opt.Log, cache: map[string]*jsRoom{}, watched: make(chan struct{})}
	if j.log == nil {
		j.log = slog.New(slog.DiscardHandler)
	}
	if err := j.connect(); err != nil {
		return nil, err
	}
	if err := j.setup(ctx); err != nil {
		j.shutdown()
		return nil, err
	}
	return j, nil
}

// connect starts the embedded server or dials the remote one.
func (j *JetStream) connect() error {
	opts := []nats.Option{
		nats.Name("thingyard"),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			j.log.Warn("lost NATS; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			j.log.Info("NATS is back", "url", nc.ConnectedUrlRedacted())
		}),
	}
	var url string
	if len(j.opt.URLs) == 0 {
		if j.opt.Dir == "" {
			return errors.New("store: an embedded NATS server needs a data directory")
		}
		srv, err := startEmbedded(j.opt, j.log)
		if err != nil {
			return err
		}
		j.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	} else {
		if j.opt.Listen != "" {
			return fmt.Errorf("store: listen on %s is for the embedded server, and NATS URLs %s were given", j.opt.Listen, strings.Join(j.opt.URLs, ","))
		}
		url = strings.Join(j.opt.URLs, ",")
		if j.opt.Creds != "" {
			opts = append(opts, nats.UserCredentials(j.opt.Creds))
		}
		opts = append(opts, j.opt.NATS...)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		j.shutdown()
		if url == "" {
			return fmt.Errorf("store: connect to the embedded NATS server: %w", err)
		}
		return fmt.Errorf("store: connect to NATS at %s: %w", url, err)
	}
	j.nc = nc
	if v := nc.ConnectedServerVersion(); !versionAtLeast(v, 2, 11) {
		j.shutdown()
		return fmt.Errorf("store: the NATS server at %s is version %s; Thingyard needs 2.11 or later (batch direct get, marker TTLs)", nc.ConnectedUrlRedacted(), v)
	}
	return nil
}

// startEmbedded starts an in-process nats-server with JetStream on a file
// store under opt.Dir.
func startEmbedded(opt JetStreamOptions, log *slog.Logger) (*server.Server, error) {
	so := &server.Options{
		ServerName: "thingyard",
		JetStream:  true,
		StoreDir:   opt.Dir,
		NoSigs:     true,
		MaxPayload: embeddedMaxPayload,
		DontListen: opt.Listen == "",
		// The reserve (space.go) keeps the disk from filling up instead.
		JetStreamMaxStore: liftedMaxStore,
	}
	if opt.Listen != "" {
		host, port, err := net.SplitHostPort(opt.Listen)
		if err != nil {
			return nil, fmt.Errorf("store: NATS listen address %q: %w", opt.Listen, err)
		}
		so.Host = host
		so.Port, err = strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("store: NATS listen address %q: port %q is not a number", opt.Listen, port)
		}
		if so.Port == 0 {
			so.Port = server.RANDOM_PORT
		} else {
			// The server only logs a port it cannot take; say so here.
			l, err := net.Listen("tcp", opt.Listen)
			if err != nil {
				return nil, fmt.Errorf("store: NATS cannot listen on %s: %w", opt.Listen, err)
			}
			l.Close()
		}
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("store: embedded NATS server in %s: %w", opt.Dir, err)
	}
	srv.SetLoggerV2(natsLog{log.With("nats", "server")}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(embeddedStart) {
		srv.Shutdown()
		return nil, fmt.Errorf("store: the embedded NATS server in %s was not ready after %s", opt.Dir, embeddedStart)
	}
	return srv, nil
}

// setup makes the stream and buckets, or checks that they are there, and
// starts watching the rooms bucket for removals.
func (j *JetStream) setup(ctx context.Context) error {
	js, err := jetstream.New(j.nc, jetstream.WithDefaultTimeout(j.opt.Timeout))
	if err != nil {
		return fmt.Errorf("store: JetStream: %w", err)
	}
	j.js = js
	// A snapshot larger than a NATS message takes is kept in parts
	// (jssnap.go), each a value of at most j.part bytes.
	j.part = partSize(j.nc.MaxPayload())
	ctx, cancel := context.WithTimeout(ctx, setupWait)
	defer cancel()
	err = j.ensure(ctx, "make stream "+streamName, func(ctx context.Context) (err error) {
		j.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        streamName,
			Description: "Thingyard's live rooms: room ID's log is subject thingyard.room.ID.GENERATION",
			Subjects:    []string{subjPrefix + "*.*"},
			Storage:     jetstream.FileStorage,
			Replicas:    j.opt.Replicas,
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardNew,
			AllowDirect: true,
			DenyDelete:  true,
		})
		return err
	})
	if err != nil {
		return err
	}
	j.rooms, err = j.bucket(ctx, roomsBucket, "Thingyard's live rooms: what each was made with", j.lim.MaxRoom)
	if err != nil {
		return err
	}
	j.snaps, err = j.bucket(ctx, snapsBucket, "Thingyard's live rooms: each room's latest fold snapshot, or the parts of a large one", j.part)
	if err != nil {
		return err
	}
	// The watcher outlives ctx, which only bounds the start.
	j.watcher, err = j.rooms.WatchAll(context.Background(), jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("store: watch bucket %s: %w", roomsBucket, err)
	}
	go j.watch()
	return nil
}

// bucket makes key-value bucket name, or finds it: one value a key, of at
// most maxValue bytes, whose removed keys leave a marker for the watchers.
func (j *JetStream) bucket(ctx context.Context, name, description string, maxValue int) (kv jetstream.KeyValue, err error) {
	err = j.ensure(ctx, "make bucket "+name, func(ctx context.Context) (err error) {
		kv, err = j.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:         name,
			Description:    description,
			History:        1,
			MaxValueSize:   int32(maxValue),
			Storage:        jetstream.FileStorage,
			Replicas:       j.opt.Replicas,
			LimitMarkerTTL: removedMarker,
		})
		return err
	})
	return kv, err
}

// ensure runs one request of the start (make or find the stream or a
// bucket) until it is answered, asking again while the cluster's JetStream
// is not ready or leaves it unanswered, until ctx ends; what names the
// request in errors.
func (j *JetStream) ensure(ctx context.Context, what string, request func(context.Context) error) error {
	began := time.Now()
	var said error // the last answer JetStream gave, when it gave one
	for {
		rctx, cancel := j.timeout(ctx)
		err := request(rctx)
		cancel()
		if noPeers(err) {
			said = err
		}
		switch {
		case err == nil:
			return nil
		case !notReady(err):
			return fmt.Errorf("store: %s: %w", what, err)
		case ctx.Err() != nil && said != nil:
			return fmt.Errorf("store: %s: after %s the cluster still has too few servers with JetStream online for %d replicas (start them, or lower the replicas): %w", what, time.Since(began).Round(time.Second), j.opt.Replicas, said)
		case ctx.Err() != nil:
			return fmt.Errorf("store: %s: JetStream did not answer in %s (is JetStream on in every NATS server, nats-server -js, and can they reach each other?): %w", what, time.Since(began).Round(time.Second), err)
		}
		j.log.Info("waiting for the NATS servers' JetStream", "to", what, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(setupRetry):
		}
	}
}

// notReady reports whether err is a JetStream that cannot answer yet: a
// request unanswered, a cluster without its leaders, or one whose leader
// has not yet heard from enough of its servers to place the replicas (a
// cluster just formed, on a busy machine).
func notReady(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.As(err, &apiErr) && apiErr.ErrorCode == 10008 || // JetStream system temporarily unavailable
		noPeers(err)
}

// noPeers reports whether err says the cluster has too few servers online
// to place the replicas asked for (no suitable peers for placement).
func noPeers(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10005
}

// watch hears of rooms removed by any instance, and forgets them.
func (j *JetStream) watch() {
	defer close(j.watched)
	for entry := range j.watcher.Updates() {
		if entry == nil {
			continue
		}
		if op := entry.Operation(); op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge {
			j.forget(entry.Key(), entry.Revision())
		}
	}
}

// ClientURL is where other NATS clients reach the embedded server, when
// it listens; "" otherwise.
func (j *JetStream) ClientURL() string {
	if j.srv == nil || j.opt.Listen == "" {
		return ""
	}
	return j.srv.ClientURL()
}

// Ready reports whether the store can take writes now: nil; ErrUnavailable
// when NATS cannot be reached; ErrNoSpace when the embedded server's disk
// has no room for the largest envelope, saying where and what to do.
func (j *JetStream) Ready() error {
	if s := j.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("%w: NATS connection is %s", ErrUnavailable, s)
	}
	if err := j.stuck(""); err != nil {
		return err
	}
	return j.space(j.lim.MaxEnvelope) // room for any envelope
}

// Close implements Store. In embedded mode it also shuts the NATS server
// down, after which its data directory may be copied.
func (j *JetStream) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	rooms := make([]*jsRoom, 0, len(j.cache))
	for _, rm := range j.cache {
		rooms = append(rooms, rm)
	}
	j.mu.Unlock()
	var subs []*Subscription
	for _, rm := range rooms {
		rm.mu.Lock()
		for s := range rm.subs {
			subs = append(subs, s)
		}
		rm.mu.Unlock()
	}
	closeAll(subs)
	j.watcher.Stop()
	j.shutdown()
	<-j.watched
	return nil
}

// shutdown closes the connection and stops the embedded server.
func (j *JetStream) shutdown() {
	if j.nc != nil {
		j.nc.Close()
	}
	if j.srv != nil {
		j.srv.Shutdown()
		j.srv.WaitForShutdown()
	}
}

// check fails once the store is closed.
func (j *JetStream) check() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	return nil
}

// unavailable wraps an error of NATS as ErrUnavailable, saying what was
// being done.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// timeout bounds one request to NATS by the store's timeout, so that a
// request lost with a server that died is given up in time to try again
// within the caller's longer deadline.
func (j *JetStream) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, j.opt.Timeout)
}

// versionAtLeast reports whether server version v ("2.15.3", "v2.11.0-rc")
// is major.minor or later.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// natsLog passes the embedded server's warnings and errors to slog; its
// notices go to debug, its debug and trace nowhere.
type natsLog struct{ l *slog.Logger }

func (n natsLog) Noticef(f string, v ...any) { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLog) Warnf(f string, v ...any)   { n.l.Warn(fmt.Sprintf(f, v...)) }
func (n natsLog) Fatalf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n natsLog) Errorf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n natsLog) Debugf(string, ...any)      {}
func (n natsLog) Tracef(string, ...any)      {}
