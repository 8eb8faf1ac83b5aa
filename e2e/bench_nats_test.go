//go:build bench

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/thingyard/thingyard/internal/testkit"
)

// natsPeer is the relay bench's durable baseline: NATS JetStream, which,
// like Thingyard on JetStream, stores a message before any consumer gets
// it. It is nats-server built from the module Thingyard pins, run as its
// own process with a file store (a fresh one for every run): one stream,
// a subject per room, and an ordered consumer per member, each member a
// connection of its own.
var natsPeer = relayPeer{"NATS JetStream (stores before it delivers)", func(t *testing.T, flat bool) fanoutResult {
	if flat {
		return natsFanout(t, 0, flatMsgs)
	}
	return natsFanout(t, relayPace, benchMsgs)
}}

var natsBuild struct {
	once sync.Once
	bin  string
	err  error
}

// natsServerBinary builds nats-server once for the bench, into a folder
// of the test that first asks (the bench's one test, so it lasts the run).
func natsServerBinary(t *testing.T) (string, error) {
	natsBuild.once.Do(func() {
		natsBuild.bin = filepath.Join(t.TempDir(), "nats-server")
		if out, err := exec.Command("go", "build", "-o", natsBuild.bin, "github.com/nats-io/nats-server/v2").CombinedOutput(); err != nil {
			natsBuild.err = fmt.Errorf("build nats-server: %v\n%s", err, out)
		}
	})
	return natsBuild.bin, natsBuild.err
}

// natsFanout runs the fan-out on a nats-server of its own: each room's
// first member publishing msgs messages, pace apart, without waiting for
// their acknowledgements (as mosquitto's and Thingyard's senders wait for
// nothing), every member consuming its room's subject.
func natsFanout(t *testing.T, pace time.Duration, msgs int) fanoutResult {
	bin, err := natsServerBinary(t)
	if err != nil {
		return fanoutResult{failed: err.Error()}
	}
	port := freePort(t)
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", port, "-js", "-sd", t.TempDir())
	testkit.DieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	url := "nats://127.0.0.1:" + port
	if err := waitListening("127.0.0.1:"+port, 10*time.Second); err != nil {
		return fanoutResult{failed: "nats-server did not listen: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	connect := func() (*nats.Conn, jetstream.JetStream) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatalf("nats: %v", err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatalf("nats: %v", err)
		}
		return nc, js
	}
	nc, js := connect()
	defer nc.Close()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatalf("nats: stream: %v", err)
	}
	var rc receipts
	var senders []func()
	for room := range benchRooms {
		subj := fmt.Sprintf("bench.%d", room)
		var sender jetstream.JetStream
		for m := range benchMembers {
			mc, mjs := connect()
			defer mc.Close()
			if m == 0 {
				sender = mjs
			}
			cons, err := mjs.OrderedConsumer(ctx, "BENCH", jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
			if err != nil {
				t.Fatalf("nats: consumer: %v", err)
			}
			got := rc.member(msgs)
			cc, err := cons.Consume(func(msg jetstream.Msg) { got(time.Now(), msg.Data()) })
			if err != nil {
				t.Fatalf("nats: consume: %v", err)
			}
			defer cc.Stop()
		}
		senders = append(senders, func() {
			for range msgs {
				for {
					_, err := sender.PublishAsync(subj, []byte(strconv.FormatInt(time.Now().UnixNano(), 10)))
					if err == nil {
						break
					}
					// Too many unacknowledged: let them be acknowledged.
					select {
					case <-sender.PublishAsyncComplete():
					case <-ctx.Done():
						return
					}
				}
				time.Sleep(pace)
			}
		})
	}
	// Every consumer is made before anything is sent, so no message waits
	// for one.
	for {
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatalf("nats: stream info: %v", err)
		}
		if info.State.Consumers >= benchRooms*benchMembers {
			break
		}
		if ctx.Err() != nil {
			return fanoutResult{failed: "the consumers were not all made"}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rc.run(ctx, senders, msgs)
}
