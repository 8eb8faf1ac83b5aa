//go:build bench

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// The Restart section of make bench: how long a server on the embedded
// JetStream that keeps many rooms takes, from its process's start, to
// serve them again.

const (
	// restartRooms rooms of restartEnvelopes envelopes each are what the
	// restarted server keeps.
	restartRooms     = 1000
	restartEnvelopes = 500
	// fillMembers is how many rooms are filled at once, each by one member.
	fillMembers = 32
	// restartRuns is how many restarts are timed after each signal.
	restartRuns = 3
	// restartPoll is how often a restarting server is asked whether it
	// serves (5 ms).
	restartPoll = 5 * time.Millisecond
	// restartWithin bounds a restart and the fill's last appends (2 min).
	restartWithin = 2 * time.Minute
	// restartGoal is how soon a restarted server must serve its rooms.
	restartGoal = 2 * time.Second
)

// restartLimits are the fill's raised limits: one address makes every
// room, and each room's member sends its actions flat out. The restarted
// server runs with them too, so that timing it is never refused.
var restartLimits = []string{"-max-rooms", "2000", "-create-rate", "1000000", "-api-rate", "1000000", "-rate", "1000000", "-burst", "1000000"}

// restartTiming is one restart, timed from the process's start.
type restartTiming struct {
	signal  string
	stopped time.Duration // from the signal to the old process's exit
	// listening: the server printed its address; healthy: /healthz
	// answered ok; room: GET /api/rooms/ID answered the room's seq;
	// every: every room had.
	listening, healthy, room, every time.Duration
	// openCPU is the server's CPU time from the first room served to
	// every room served: what opening the others cost it.
	openCPU float64
	failed  string
}

func (r *report) restart(t *testing.T) {
	dir := t.TempDir()
	args := append([]string{"-addr", "127.0.0.1:0", "-data", dir}, restartLimits...)
	srv, base, err := startServer(binary, args...)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	ids, err := fillRooms(base)
	filled := time.Since(began)
	r.line("## Restart\n")
	if err != nil {
		srv.Process.Kill()
		srv.Wait()
		r.line("Not measured: filling %d rooms failed: %v.\n", restartRooms, err)
		return
	}
	want := float64(restartRooms * restartEnvelopes)
	testkit.EventuallySays(t, restartWithin, func() (bool, string) {
		n := serverMetric(t, base, "thingyard_store_appends_total")
		return n >= want, fmt.Sprintf("%v of %v envelopes appended", n, want)
	})
	if n := serverMetric(t, base, "thingyard_store_append_errors_total"); n > 0 {
		t.Fatalf("the fill: %v appends failed", n)
	}

	var runs []restartTiming
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		for range restartRuns {
			stopAt := time.Now()
			srv.Process.Signal(sig)
			srv.Wait()
			stopped := time.Since(stopAt)
			var rt restartTiming
			srv, rt = timeRestart(args, ids, ids[len(runs)*337%len(ids)])
			rt.signal, rt.stopped = signalName[sig], stopped
			runs = append(runs, rt)
			if srv == nil {
				break
			}
		}
		if srv == nil {
			break
		}
	}
	if srv != nil {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}

	r.line("A server on the embedded JetStream kept %d rooms of the overview scene with %d envelopes each: into each room one WebSocket member (coder/websocket) came, sent %d actions flat out and left, which makes %d envelopes with its presence, the relay folding the room's log into a snapshot at %d. %d members filled rooms at once, %d envelopes in %v (%.0f a second), through a server started with its limits raised for the fill, `%s`; its data folder then held %s. Then the server was stopped, %d times with SIGTERM and %d with SIGKILL, and each time started again, with the same flags, on the same folder (whose files the machine's cache still held) and timed from its process's start: to its first line (it listens), to `/healthz` answering ok, to the first `GET /api/rooms/ID` answering with the room's full seq %d (a different room each time), and to every room answering so, %d clients asking at once.\n",
		restartRooms, restartEnvelopes, restartEnvelopes-2, restartEnvelopes, restartEnvelopes, fillMembers,
		restartRooms*restartEnvelopes, filled.Round(time.Second), float64(restartRooms*restartEnvelopes)/filled.Seconds(),
		strings.Join(restartLimits, " "), mb(dirSize(dir)), restartRuns, restartRuns, restartEnvelopes, everyRoomClients)
	r.line("| stopped with | exit took | listening | /healthz ok | first room served | every room served |\n|---|---|---|---|---|---|")
	var serving []time.Duration
	var afterListening time.Duration
	var openCPU float64
	for _, rt := range runs {
		if rt.failed != "" {
			r.line("| %s | %v | failed: %s | – | – | – |", rt.signal, rt.stopped.Round(time.Millisecond), strings.ReplaceAll(rt.failed, "|", "/"))
			continue
		}
		serving = append(serving, max(rt.room, rt.healthy))
		afterListening = max(afterListening, rt.room-rt.listening)
		openCPU = max(openCPU, rt.openCPU)
		r.line("| %s | %v | %v | %v | %v | %v |", rt.signal, rt.stopped.Round(time.Millisecond), rt.listening.Round(time.Millisecond),
			rt.healthy.Round(time.Millisecond), rt.room.Round(time.Millisecond), rt.every.Round(time.Millisecond))
	}
	if len(serving) < len(runs) {
		r.line("\nGoal: serving within %v of the start: not judged, a restart failed.\n", restartGoal)
		return
	}
	slices.Sort(serving)
	missed := 0
	for _, d := range serving {
		if d > restartGoal {
			missed++
		}
	}
	r.line("\nThe server listens once the embedded NATS server has recovered its file store; from listening to the first room served took at most %v. Opening the other rooms, each on its first request (its snapshot's actions replayed into the room and into the server's replica), cost the server up to %.1f ms of CPU a room.\n",
		afterListening.Round(time.Millisecond), 1000*openCPU/float64(restartRooms-1))
	verdict := met(missed == 0)
	if missed > 0 {
		verdict += fmt.Sprintf(" in %d of %d restarts", missed, len(serving))
	}
	r.line("Goal: serving (healthy, and the first room with its full seq) within %v of the process's start: %s (median %v, slowest %v).\n",
		restartGoal, verdict, serving[len(serving)/2].Round(time.Millisecond), serving[len(serving)-1].Round(time.Millisecond))
}

// fillRooms makes restartRooms rooms on the server at base, each with
// restartEnvelopes envelopes, fillMembers at once, and returns their ids.
func fillRooms(base string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ids := make([]string, restartRooms)
	next := make(chan int)
	errs := make(chan error, fillMembers)
	var wg sync.WaitGroup
	for range fillMembers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id, err := fillRoom(ctx, base)
				if err != nil {
					errs <- fmt.Errorf("room %d: %w", i+1, err)
					cancel()
					return
				}
				ids[i] = id
			}
		}()
	}
	for i := range restartRooms {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return ids, nil
}

// fillRoom makes a room and has a member join it, send its actions and
// leave: restartEnvelopes envelopes.
func fillRoom(ctx context.Context, base string) (string, error) {
	res, err := http.Post(base+"rooms", "application/json", strings.NewReader(`{"scene":"overview"}`))
	if err != nil {
		return "", err
	}
	var room struct{ ID string }
	err = json.NewDecoder(res.Body).Decode(&room)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /rooms: %d %v", res.StatusCode, err)
	}
	c, _, welcome, err := dialFrom(ctx, nil, base, "room="+room.ID)
	if err != nil {
		return "", err
	}
	defer c.CloseNow()
	var w struct{ Body wire.Welcome }
	json.Unmarshal(welcome, &w)
	actions := restartEnvelopes - 2 // the member's coming and going are the other two
	werr := make(chan error, 1)
	go func() {
		for n := range actions {
			body, _ := json.Marshal(sim.Action{Kind: sim.ActSet, Device: "plc", Key: "label", Text: "fill " + strconv.Itoa(n)})
			if err := c.Write(ctx, websocket.MessageText, []byte(`{"kind":"action","body":`+string(body)+`}`)); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	for got := 0; got < actions; {
		_, data, err := c.Read(ctx)
		if err != nil {
			return "", fmt.Errorf("after %d of its actions came back: %w", got, err)
		}
		var e wire.Envelope
		json.Unmarshal(data, &e)
		switch {
		case e.Kind == wire.KindError:
			return "", fmt.Errorf("refused: %s", e.Body)
		case e.Kind == wire.KindAction && e.From == w.Body.You:
			got++
			// The member's presence is seq 1, its actions 2 and on.
			if e.Seq != uint64(got+1) {
				return "", fmt.Errorf("action %d came back as seq %d", got, e.Seq)
			}
		}
	}
	if err := <-werr; err != nil {
		return "", err
	}
	return room.ID, c.Close(websocket.StatusNormalClosure, "")
}

// everyRoomClients is how many clients ask for every room after a restart.
const everyRoomClients = 8

// timeRestart starts the server with args and times it until it serves
// room probe and then every room of ids with its full seq. It returns the
// server, or nil when it did not start.
func timeRestart(args, ids []string, probe string) (*exec.Cmd, restartTiming) {
	began := time.Now()
	srv, base, err := startServer(binary, args...)
	if err != nil {
		return nil, restartTiming{failed: err.Error()}
	}
	rt := restartTiming{listening: time.Since(began)}
	ctx, cancel := context.WithTimeout(context.Background(), restartWithin)
	defer cancel()
	// Asked at once, each until it answers as it should.
	var wg sync.WaitGroup
	var healthErr, roomErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		healthErr = pollUntil(ctx, func() error { return getOK(base + "healthz") })
		rt.healthy = time.Since(began)
	}()
	go func() {
		defer wg.Done()
		roomErr = pollUntil(ctx, func() error { return roomAt(base, probe, restartEnvelopes) })
		rt.room = time.Since(began)
	}()
	wg.Wait()
	switch {
	case healthErr != nil:
		rt.failed = "/healthz: " + healthErr.Error()
		return srv, rt
	case roomErr != nil:
		rt.failed = "GET /api/rooms/" + probe + ": " + roomErr.Error()
		return srv, rt
	}
	cpu0, err := cpuSeconds(srv.Process.Pid)
	if err != nil {
		rt.failed = err.Error()
		return srv, rt
	}
	next := make(chan string)
	errs := make(chan error, everyRoomClients)
	for range everyRoomClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				if err := pollUntil(ctx, func() error { return roomAt(base, id, restartEnvelopes) }); err != nil {
					errs <- fmt.Errorf("GET /api/rooms/%s: %w", id, err)
					return
				}
			}
		}()
	}
	for _, id := range ids {
		select {
		case next <- id:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	rt.every = time.Since(began)
	close(errs)
	if err := <-errs; err != nil {
		rt.failed = err.Error()
	}
	cpu1, err := cpuSeconds(srv.Process.Pid)
	if err != nil {
		rt.failed = err.Error()
	}
	rt.openCPU = cpu1 - cpu0
	return srv, rt
}

// pollUntil calls try every restartPoll until it succeeds or ctx ends,
// and then returns its last error.
func pollUntil(ctx context.Context, try func() error) error {
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(restartPoll):
		}
	}
}

// getOK fails unless url answers 200.
func getOK(url string) error {
	res, err := noKeepAlive.Get(url)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %d", res.StatusCode)
	}
	return nil
}

// roomAt fails unless GET /api/rooms/ID answers room id at seq.
func roomAt(base, id string, seq uint64) error {
	res, err := noKeepAlive.Get(base + "api/rooms/" + id)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var room struct{ Seq uint64 }
	if err := json.NewDecoder(res.Body).Decode(&room); err != nil || res.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %d (%v)", res.StatusCode, err)
	}
	if room.Seq != seq {
		return fmt.Errorf("at seq %d, want %d", room.Seq, seq)
	}
	return nil
}

// dirSize is the bytes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// signalName names the signals a server is stopped with.
var signalName = map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGKILL: "SIGKILL"}
