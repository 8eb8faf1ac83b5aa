// Package roomstore opens where the server keeps its live rooms, as the
// -store, -data and -nats flags say (the embedded NATS JetStream, a NATS
// cluster, or memory), names the server among those sharing them, and
// reads the secret that keys the rooms' tokens.
package roomstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/thingyard/thingyard/server/store"
)

// Config is where the live rooms are kept: -store, -data, -nats….
type Config struct {
	kind     string // jetstream or memory
	data     string
	nats     string
	creds    string
	listen   string
	replicas int
	instance string
}

// defaultData is the embedded JetStream's folder, under the working
// directory.
const defaultData = "thingyard-data"

// Flags defines the store's flags on fl.
func (c *Config) Flags(fl *flag.FlagSet) {
	fl.StringVar(&c.kind, "store", "jetstream", "where live rooms are kept: jetstream (they survive a restart) or memory")
	fl.StringVar(&c.data, "data", defaultData, "folder of the embedded NATS JetStream that keeps the rooms (without -nats)")
	fl.StringVar(&c.nats, "nats", "", "comma-separated NATS URLs of a JetStream cluster to keep the rooms in, shared with other Thingyard servers, instead of the embedded one")
	fl.StringVar(&c.creds, "nats-creds", "", "NATS credentials file for -nats")
	fl.StringVar(&c.listen, "nats-listen", "", "let other Thingyard servers (-nats nats://ADDR) share the embedded JetStream on this address")
	fl.IntVar(&c.replicas, "nats-replicas", 1, "servers of the -nats cluster that keep each room (3 on a three-node cluster)")
	fl.StringVar(&c.instance, "instance", "", "this server's name among those sharing rooms (default: from the host name and the data folder or address)")
}

// Check says what is wrong with the flags, if anything.
func (c *Config) Check() error {
	switch c.kind {
	case "jetstream", "memory":
	default:
		return fmt.Errorf("-store %q: use jetstream or memory", c.kind)
	}
	if c.kind == "memory" && (c.nats != "" || c.listen != "") {
		return errors.New("-store memory keeps rooms in this process: -nats and -nats-listen need -store jetstream")
	}
	if c.nats != "" && c.listen != "" {
		return errors.New("-nats-listen shares the embedded JetStream; with -nats the rooms are in the cluster already")
	}
	return nil
}

// Open opens the store of the rooms and returns it with the server's
// instance name, for a server listening on addr.
func (c *Config) Open(ctx context.Context, addr string, log *slog.Logger) (store.Store, string, error) {
	host, _ := os.Hostname()
	switch {
	case c.kind == "memory":
		log.Info("rooms are kept in memory: a restart loses them", "store", "memory")
		return store.NewMemory(store.Limits{}), c.name(host + addr), nil
	case c.nats != "":
		urls := strings.Split(c.nats, ",")
		s, err := store.NewJetStream(ctx, store.JetStreamOptions{URLs: urls, Creds: c.creds, Replicas: c.replicas, Log: log})
		if err != nil {
			return nil, "", fmt.Errorf("cannot keep rooms in the NATS cluster at %s: %w (check -nats and -nats-creds, or drop -nats to keep them in the embedded JetStream)", c.nats, err)
		}
		log.Info("rooms are kept in a NATS JetStream cluster", "nats", c.nats, "replicas", c.replicas)
		return s, c.name(host + addr), nil
	}
	dir, err := filepath.Abs(c.data)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, "", fmt.Errorf("cannot make the rooms' folder %s: %w (choose another with -data)", dir, err)
	}
	s, err := store.NewJetStream(ctx, store.JetStreamOptions{Dir: dir, Listen: c.listen, Log: log})
	if err != nil {
		return nil, "", fmt.Errorf("cannot keep rooms in %s: %w (choose another folder with -data, or -store memory)", dir, err)
	}
	log.Info("rooms are kept in the embedded NATS JetStream", "data", dir, "nats_listen", c.listen)
	return s, c.name(host + dir), nil
}

// name is the server's instance name: -instance, or a short hash of what
// tells it apart, so a restart on the same data keeps its name.
func (c *Config) name(from string) string {
	if c.instance != "" {
		return c.instance
	}
	h := fnv.New32a()
	h.Write([]byte(from))
	return fmt.Sprintf("%08x", h.Sum32())
}

// secretRoom holds the server's secret, which keys the rooms' tokens, so
// that tokens survive a restart and every server sharing rooms agrees.
const secretRoom = "_thingyard_secret"

// Secret reads the rooms' secret from the store, making it the first
// time.
func Secret(ctx context.Context, s store.Store) ([]byte, error) {
	for range 3 {
		if r, err := s.Find(ctx, secretRoom); err == nil {
			return hex.DecodeString(r.Meta["key"])
		} else if !errors.Is(err, store.ErrNoRoom) {
			return nil, fmt.Errorf("read the rooms' secret: %w", err)
		}
		key := make([]byte, 32)
		rand.Read(key)
		err := s.Create(ctx, store.Room{ID: secretRoom, Scene: "-", Created: time.Now(), Meta: map[string]string{"key": hex.EncodeToString(key)}})
		if err == nil {
			return key, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("keep the rooms' secret: %w", err)
		}
	}
	return nil, errors.New("read the rooms' secret: another server keeps changing it")
}
