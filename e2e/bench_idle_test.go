//go:build bench

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// idleConns is how many idle connections the memory figure is measured at.
const idleConns = 10_000

// idleSettle is how long a server is left alone before its memory is read,
// so that the connections' first frames are written and freed.
const idleSettle = 3 * time.Second

// idleResult is the memory one server holds for n idle connections.
type idleResult struct {
	n             int
	before, after int64
	perConn       float64
	failed        string
}

func measureIdle(pid int, n int, connect func(i int) (func(), error)) idleResult {
	time.Sleep(idleSettle)
	before, err := rss(pid)
	if err != nil {
		return idleResult{failed: err.Error()}
	}
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for i := range n {
		c, err := connect(i)
		if err != nil {
			return idleResult{failed: fmt.Sprintf("connection %d: %v", i+1, err)}
		}
		closers = append(closers, c)
	}
	time.Sleep(idleSettle)
	after, err := rss(pid)
	if err != nil {
		return idleResult{failed: err.Error()}
	}
	return idleResult{n: n, before: before, after: after, perConn: float64(after-before) / float64(n)}
}

// relayIdle starts a second thingyard with room limits that admit
// idleConns members and measures its memory with them all joined and idle.
func relayIdle(t *testing.T) idleResult {
	const perRoom = 50
	rooms := idleConns / perRoom
	srv, url, err := startServer(binary, "-addr", "127.0.0.1:0", "-max-members", strconv.Itoa(perRoom),
		"-max-rooms", strconv.Itoa(rooms+10))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ids []string
	for range rooms {
		ids = append(ids, createRoom(t, url, "overview"))
	}
	ws := "ws" + strings.TrimPrefix(url, "http") + "ws?room="
	return measureIdle(srv.Process.Pid, idleConns, func(i int) (func(), error) {
		dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
		defer dcancel()
		c, _, err := websocket.Dial(dctx, ws+ids[i/perRoom], nil)
		if err != nil {
			return nil, err
		}
		c.SetReadLimit(1 << 20)
		// Read and drop what the room sends (welcome, presence), which also
		// answers the server's pings, as an idle browser would.
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		return func() { c.CloseNow() }, nil
	})
}

// mosquittoIdle measures Debian's mosquitto holding idleConns idle MQTT
// connections (over TCP, no keep-alive) in the same run.
func mosquittoIdle(t *testing.T) idleResult {
	bin := mosquittoBinary()
	if bin == "" {
		return idleResult{failed: "mosquitto missing (make deps installs it)"}
	}
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\n", port)), 0o644)
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := "127.0.0.1:" + port
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return idleResult{failed: "mosquitto did not listen: " + err.Error()}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return measureIdle(cmd.Process.Pid, idleConns, func(i int) (func(), error) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("idle%05d", i)
		// MQTT 3.1.1 CONNECT: clean session, keep-alive 0 (none).
		vh := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, byte(len(id))}
		pkt := append([]byte{0x10, byte(len(vh) + len(id))}, vh...)
		pkt = append(pkt, id...)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(pkt); err != nil {
			c.Close()
			return nil, err
		}
		ack := make([]byte, 4)
		if _, err := c.Read(ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
			c.Close()
			return nil, fmt.Errorf("no CONNACK (% x, %v)", ack, err)
		}
		c.SetDeadline(time.Time{})
		return func() { c.Close() }, nil
	})
}

// raiseFileLimit lifts the soft limit on open files to the hard one: this
// process and the servers it starts each hold idleConns sockets.
func raiseFileLimit() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur < idleConns+1000 {
		return fmt.Errorf("open files are limited to %d; %d connections need more (ulimit -n)", l.Cur, idleConns)
	}
	return nil
}

func (r *report) idle(t *testing.T) {
	if err := raiseFileLimit(); err != nil {
		r.line("## Idle connections\n\nNot measured: %v.\n", err)
		return
	}
	ours := relayIdle(t)
	mq := mosquittoIdle(t)
	r.line("## Idle connections\n")
	r.line("Resident memory a server holds for %d idle connections: Thingyard's relay with %d browsers' WebSockets (50 to a room, each having received its welcome), beside Debian's mosquitto with as many idle MQTT connections over TCP. Read from /proc a few seconds after the last connection, minus the same reading before the first.\n", idleConns, idleConns)
	r.line("| server | before | with %d connections | per connection |\n|---|---|---|---|", idleConns)
	row := func(name string, x idleResult) {
		if x.failed != "" {
			r.line("| %s | failed: %s | – | – |", name, strings.ReplaceAll(x.failed, "|", "/"))
			return
		}
		r.line("| %s | %s | %s | %.1f KB |", name, mb(x.before), mb(x.after), x.perConn/1e3)
	}
	row("Thingyard", ours)
	row("mosquitto", mq)
	if ours.failed == "" && mq.failed == "" && mq.perConn > 0 {
		r.line("\nA Thingyard connection holds %.1f× the memory of a mosquitto one (goroutines and buffers for reading, writing and pinging each browser).", ours.perConn/mq.perConn)
	}
	r.line("")
}
