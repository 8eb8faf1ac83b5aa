// Package storetest has what tests of rooms kept in NATS JetStream need
// and cannot fake: a JetStream cluster of real nats-servers in the test
// process, and a small disk of their own to fill up. Tests of the store
// and of the real binary (e2e) share it; nothing else imports it.
package storetest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/thingyard/thingyard/internal/testkit"
)

// Patience is how long a helper waits for what should come at once before
// it fails the test (20 s: a loaded 2-core machine under -race).
const Patience = 20 * time.Second

// Cluster runs n nats-servers with JetStream, routed to each other on
// loopback, each with a file store in a directory of its own, and waits
// until their JetStream has a leader that knows all n online (else a
// stream of n replicas finds no place). They are shut down when the test
// ends, if the test has not done it first.
func Cluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	ports := make([]int, n)
	var routes []string
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	var nodes []*server.Server
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("node-%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			NoLog:      true,
			Cluster:    server.ClusterOpts{Name: "thingyard-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		srv.Start()
		t.Cleanup(srv.Shutdown)
		nodes = append(nodes, srv)
	}
	for _, srv := range nodes {
		if !srv.ReadyForConnections(Patience) {
			t.Fatalf("%s not ready after %s", srv.Name(), Patience)
		}
	}
	testkit.Eventually(t, Patience, fmt.Sprintf("a JetStream leader with %d peers online", n), func() bool {
		for _, srv := range nodes {
			if srv.JetStreamIsLeader() && len(srv.JetStreamClusterPeers()) == n {
				return true
			}
		}
		return false
	})
	return nodes
}

// Server runs one nats-server with JetStream on loopback, with a file store
// of its own, that takes messages of at most maxPayload bytes (its
// max_payload; NATS's default is 1 MiB), and returns its client URL. It is
// shut down when the test ends.
func Server(t testing.TB, maxPayload int32) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{
		ServerName: "small-payload",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		MaxPayload: maxPayload,
		NoSigs:     true,
		NoLog:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(Patience) {
		t.Fatalf("%s not ready after %s", srv.Name(), Patience)
	}
	return srv.ClientURL()
}

// URLs are the client URLs of nodes, for -nats or JetStreamOptions.URLs.
func URLs(nodes []*server.Server) []string {
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.ClientURL())
	}
	return urls
}

// StreamLeader is the name of the server leading stream, asked of the
// cluster at url.
func StreamLeader(t testing.TB, url, stream string) string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("stream %s info: %+v, %v", stream, info, err)
	}
	return info.Cluster.Leader
}

// lines reads a process's output a line at a time.
func lines(sc *bufio.Scanner) <-chan string {
	c := make(chan string)
	go func() {
		defer close(c)
		for sc.Scan() {
			c <- sc.Text()
		}
	}()
	return c
}
