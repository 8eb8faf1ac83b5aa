package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/internal/testkit"
)

// -pprof serves Go's profiles on its own address, a heap profile with gc=1
// among them, and the page's address does not serve them.
func TestServeProfiles(t *testing.T) {
	t.Chdir("..") // -dev serves the working tree
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	prof := ln.Addr().String()
	ln.Close()
	var stdout, stderr testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"-dev", "-store", "memory", "-addr", "127.0.0.1:0", "-pprof", prof}, &stdout, &stderr)
	}()
	var ended error
	eventually(t, "the server to start", func() bool {
		select {
		case ended = <-done:
			return true
		default:
		}
		return strings.Contains(stdout.String(), "serving on http://")
	})
	if ended != nil {
		t.Fatalf("serve: %v\n%s", ended, stderr.String())
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	res, err := http.Get("http://" + prof + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "# HeapAlloc = ") {
		t.Errorf("heap profile on -pprof %s: %d %.200s", prof, res.StatusCode, body)
	}
	page := strings.TrimSpace(stdout.String()[strings.Index(stdout.String(), "http://"):])
	res, err = http.Get(page + "debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "HeapAlloc") {
		t.Errorf("the page's address %s serves the heap profile", page)
	}
	if !strings.Contains(stderr.String(), "serving Go's profiles") {
		t.Errorf("the log does not say where the profiles are:\n%s", stderr.String())
	}
}
