package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
)

// startServer runs the real program (run) with args on a free port and
// returns its address.
func startServer(t testing.TB, args ...string) string {
	t.Helper()
	addr, _ := startServerLog(t, args...)
	return addr
}

// startServerLog is startServer that also returns the server's log.
func startServerLog(t testing.TB, args ...string) (string, *testkit.Buffer) {
	t.Helper()
	// -dev serves a page from the working directory: these tests need the
	// relay, not a built WebAssembly program.
	t.Chdir(t.TempDir())
	if err := os.WriteFile("index.html", []byte("<!doctype html><title>t</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testkit.Buffer
	var runErr error
	finished := make(chan struct{})
	go func() {
		runErr = run(ctx, append([]string{"serve", "-dev", "-store", "memory", "-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
		if runErr != nil {
			t.Errorf("server: %v", runErr)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})
	re := regexp.MustCompile(`serving on http://([^/]+)/`)
	var addr string
	testkit.Eventually(t, 10*time.Second, "the server to listen", func() bool {
		select {
		case <-finished:
			t.Fatalf("server ended: %v\n%s", runErr, stderr.String())
		default:
		}
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	return addr, &stderr
}

// serve -mqtt-open says, on stdout and in its log, that the broker is open.
func TestServeSaysMQTTIsOpen(t *testing.T) {
	t.Chdir("..") // -dev serves the working tree
	var stdout, stderr testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"-dev", "-store", "memory", "-addr", "127.0.0.1:0", "-mqtt", "127.0.0.1:0", "-mqtt-open"}, &stdout, &stderr)
	}()
	testkit.Eventually(t, 20*time.Second, "the server to start", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve: %v\n%s", err, stderr.String())
		default:
		}
		return strings.Contains(stdout.String(), "MQTT broker on")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "is OPEN (-mqtt-open)") {
		t.Errorf("stdout does not say the broker is open:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "MQTT broker is OPEN") {
		t.Errorf("the log does not say the broker is open:\n%s", stderr.String())
	}
}

// /metrics holds every part's counters: the relay's, the replicas', the
// MQTT broker's and the process's, each named once.
func TestMetricsHaveEveryPart(t *testing.T) {
	addr := startServer(t, "-mqtt", "127.0.0.1:0")
	res, err := http.Post("http://"+addr+"/rooms", "application/json", strings.NewReader(`{"scene":"open-api"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]string{}
	types := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(page)), "\n") {
		if f := strings.Fields(l); len(f) == 4 && f[1] == "TYPE" {
			types[f[2]]++
		} else if name, v, ok := strings.Cut(l, " "); ok && !strings.HasPrefix(l, "#") {
			samples[name] = v
		}
	}
	for name, want := range map[string]string{"thingyard_rooms": "1", "thingyard_replicas": "1", "thingyard_mqtt_clients": "0",
		"thingyard_mqtt_sets_total": "0", "thingyard_store_available": "1", "thingyard_refused_total": "0"} {
		if samples[name] != want {
			t.Errorf("%s = %q, want %s", name, samples[name], want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_open_fds", "go_memstats_heap_alloc_bytes", "go_memstats_sys_bytes"} {
		if _, ok := samples[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	for name, n := range types {
		if n != 1 {
			t.Errorf("%s has %d TYPE lines", name, n)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", page)
	}
}
