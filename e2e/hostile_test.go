package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/wire"
)

// ownServer starts a server of its own (with default limits unless args
// say otherwise), stopped when the test ends, and returns its URL (ending
// in /) and its process id.
func ownServer(t *testing.T, args ...string) (string, int) {
	t.Helper()
	srv, url, err := startServer(binary, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	})
	return url, srv.Process.Pid
}

// noKeepAlive is a client whose requests leave no connection open in the
// server, so they do not count among what a test counts there.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}

// serverMetric reads one figure from a server's /metrics.
func serverMetric(t *testing.T, base, name string) float64 {
	t.Helper()
	res, err := noKeepAlive.Get(base + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

func openFiles(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// dialWS joins a room (query is that of /ws) and returns the connection
// and its underlying TCP connection, the welcome read.
func dialWS(ctx context.Context, base, query string) (*websocket.Conn, *net.TCPConn, error) {
	c, tcp, _, err := dialFrom(ctx, nil, base, query)
	return c, tcp, err
}

// dialFrom is dialWS from a local address (nil: the system's choice), so
// that a client can stand for another machine; it returns the welcome too.
func dialFrom(ctx context.Context, local net.IP, base, query string) (*websocket.Conn, *net.TCPConn, []byte, error) {
	var tcp *net.TCPConn
	d := &net.Dialer{}
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			tcp = c.(*net.TCPConn)
		}
		return c, err
	}}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"ws?"+query, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, nil, nil, err
	}
	// A welcome carries the room's log, which may take 16 MiB.
	c.SetReadLimit(32 << 20)
	_, data, err := c.Read(ctx)
	if err != nil {
		c.CloseNow()
		return nil, nil, nil, fmt.Errorf("read the welcome: %w", err)
	}
	if !bytes.Contains(data, []byte(`"kind":"welcome"`)) {
		c.CloseNow()
		return nil, nil, nil, fmt.Errorf("first frame is not a welcome: %.100s", data)
	}
	return c, tcp, data, nil
}

// silentPeer opens a WebSocket by hand and then never reads nor answers
// again, as a laptop whose lid was shut: only the server's ping finds out.
func silentPeer(base, room string) (net.Conn, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	c, err := net.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET /ws?room=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", room, host)
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		c.Close()
		return nil, fmt.Errorf("handshake: %q %v", status, err)
	}
	return c, nil
}

// jetStreamSlack is how many goroutines the embedded JetStream may have
// started on its own timers between two readings.
const jetStreamSlack = 10

// Every connection is closed and freed however it ends: 5,000 members that
// vanish with a TCP reset, members that go silent (found by the ping) and
// members that send a frame over the limit leave the server's open files,
// goroutines and connections where they were before.
func TestAbruptDisconnectsFreeEverything(t *testing.T) {
	base, pid := ownServer(t, "-ping", "1s", "-max-members", "1000", "-create-rate", "100000")
	id := createRoom(t, base, "overview")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// One member comes and goes first, so what the room's store starts
	// on first use (its subscription, the JetStream's own workers) is in
	// the baseline.
	c, _, err := dialWS(ctx, base, "room="+id)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(ctx, websocket.MessageText, []byte(`{"kind":"action","body":{"kind":"cut","link":"internet"}}`))
	if _, err := readKind(ctx, c, wire.KindAction); err != nil {
		t.Fatal(err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	testkit.EventuallySays(t, time.Minute, func() (bool, string) {
		n := serverMetric(t, base, "thingyard_connections")
		return n == 0, fmt.Sprintf("%v connections", n)
	})
	files0, gor0 := openFiles(t, pid), serverMetric(t, base, "go_goroutines")

	const resets, workers = 5000, 32
	jobs := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				c, tcp, err := dialWS(ctx, base, "room="+id)
				if err != nil {
					errs <- err
					return
				}
				tcp.SetLinger(0) // close sends a reset, not a FIN
				tcp.Close()
				c.CloseNow()
			}
		}()
	}
	for i := range resets {
		select {
		case jobs <- i:
		case err := <-errs:
			t.Fatalf("after %d resets: %v", i, err)
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}

	var silent []net.Conn
	for range 50 {
		c, err := silentPeer(base, id)
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	for range 50 {
		c, _, err := dialWS(ctx, base, "room="+id)
		if err != nil {
			t.Fatal(err)
		}
		big := `{"kind":"action","body":{"kind":"set","text":"` + strings.Repeat("x", wire.MaxFrame) + `"}}`
		c.Write(ctx, websocket.MessageText, []byte(big))
		defer c.CloseNow() // the client never closes: the server must
	}

	testkit.EventuallySays(t, time.Minute, func() (bool, string) {
		files, gor, conns := openFiles(t, pid), serverMetric(t, base, "go_goroutines"), serverMetric(t, base, "thingyard_connections")
		// The embedded JetStream starts and ends a few workers of its
		// own on timers; a leak of the 5,100 members would be thousands.
		return conns == 0 && files <= files0 && gor <= gor0+jetStreamSlack,
			fmt.Sprintf("%v connections, %d open files (%d before), %v goroutines (%v before)", conns, files, files0, gor, gor0)
	})
	if n := serverMetric(t, base, "thingyard_members"); n != 0 {
		t.Errorf("%v members left in the room", n)
	}
}

// readKind reads frames until one of kind, presence and others skipped.
func readKind(ctx context.Context, c *websocket.Conn, kind string) ([]byte, error) {
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(data), `"kind":"`+kind+`"`) {
			return data, nil
		}
	}
}

// post sends a JSON body and returns the status and the decoded answer.
func post(t *testing.T, url, contentType, body string) (int, map[string]any) {
	t.Helper()
	res, err := noKeepAlive.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(res.Body)
	json.Unmarshal(data, &out)
	return res.StatusCode, out
}

func roomSeq(t *testing.T, base, id string) float64 {
	t.Helper()
	res, err := noKeepAlive.Get(base + "api/rooms/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var room struct{ Seq float64 }
	if err := json.NewDecoder(res.Body).Decode(&room); err != nil {
		t.Fatal(err)
	}
	return room.Seq
}

// What the world would refuse, or what names nothing in the room, is
// refused before the room's log from a browser and from the REST API alike,
// with the field at fault, and nothing already in the room is lost.
func TestHostileActionsAreRefusedBeforeTheLog(t *testing.T) {
	base, _ := ownServer(t)
	id := createRoom(t, base, "open-api")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := dialWS(ctx, base, "room="+id)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	seq0 := roomSeq(t, base, id)
	hostile := []struct {
		name, body, field, says string
	}{
		{"a 60 KB label", `{"kind":"set","device":"meter","key":"label","text":"` + strings.Repeat("x", 60_000) + `"}`, "text", "at most 128"},
		{"a 60 KB unused field", `{"kind":"power","device":"meter","device_kind":"` + strings.Repeat("x", 60_000) + `"}`, "device_kind", "at most 64"},
		{"an unknown device", `{"kind":"power","device":"ghost","on":true}`, "device", `no device "ghost"`},
		{"an unknown link", `{"kind":"cut","link":"nowhere"}`, "link", `no link "nowhere"`},
		{"a tick forever ahead", `{"kind":"cut","link":"internet","at":9223372036854775807}`, "at", "at most 6000 ahead"},
		{"a crowd over the budget", `{"kind":"add","link":"net","device_kind":"sensor","count":10000}`, "", ""},
	}
	for _, h := range hostile {
		if h.field == "" {
			continue
		}
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"kind":"action","body":`+h.body+`}`)); err != nil {
			t.Fatal(err)
		}
		data, err := readKind(ctx, c, wire.KindError)
		if err != nil {
			t.Fatalf("%s over the WebSocket: %v", h.name, err)
		}
		var e struct{ Body wire.Error }
		json.Unmarshal(data, &e)
		if !strings.Contains(e.Body.Msg, h.says) {
			t.Errorf("%s over the WebSocket: got %.200s, want an error saying %q", h.name, data, h.says)
		}
		status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", h.body)
		if status != http.StatusUnprocessableEntity || p["field"] != h.field || !strings.Contains(fmt.Sprint(p["detail"]), h.says) {
			t.Errorf("%s over REST: %d %v, want 422 on field %q saying %q", h.name, status, p, h.field, h.says)
		}
	}
	// A room may hold 20,000 devices: one crowd of 10,000 fits, a second
	// does not, and the first is still there.
	crowd := hostile[len(hostile)-1].body
	if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", crowd); status != http.StatusAccepted {
		t.Fatalf("the first crowd: %d %v", status, p)
	}
	if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", crowd); status != http.StatusUnprocessableEntity || p["field"] != "count" {
		t.Errorf("the second crowd: %d %v, want 422 on count", status, p)
	}
	// The open-api scene has 8 devices: 9,992 more fill the room exactly.
	rest := strings.Replace(crowd, `"count":10000`, `"count":9992`, 1)
	if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", rest); status != http.StatusAccepted {
		t.Errorf("a crowd to the budget exactly: %d %v", status, p)
	}
	one := strings.Replace(crowd, `"count":10000`, `"count":1`, 1)
	if status, p := post(t, base+"api/rooms/"+id+"/actions", "application/json", one); status != http.StatusUnprocessableEntity || p["field"] != "count" {
		t.Errorf("one device past the budget: %d %v, want 422 on count", status, p)
	}
	// A page of another site can post text/plain without asking: refused.
	if status, p := post(t, base+"api/rooms/"+id+"/actions", "text/plain", `{"kind":"cut","link":"internet"}`); status != http.StatusUnsupportedMediaType {
		t.Errorf("a text/plain action: %d %v, want 415", status, p)
	}
	if got := roomSeq(t, base, id); got != seq0+2 {
		t.Errorf("the room's seq went from %v to %v; only the two crowds that fit should be logged", seq0, got)
	}
}

// One address cannot flood a room through the REST API, nor take every
// room: its calls and its new rooms are rate-limited, and the room stays
// open to its browsers.
func TestFloodsAreLimitedPerAddress(t *testing.T) {
	base, _ := ownServer(t)
	id := createRoom(t, base, "open-api")
	limited := 0
	for range 200 {
		status, _ := post(t, base+"api/rooms/"+id+"/actions", "application/json", `{"kind":"power","device":"fan","on":true}`)
		if status == http.StatusTooManyRequests {
			limited++
		} else if status != http.StatusAccepted {
			t.Fatalf("an action: %d", status)
		}
	}
	if limited == 0 {
		t.Errorf("200 API calls at once from one address were all accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := dialWS(ctx, base, "room="+id)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.Write(ctx, websocket.MessageText, []byte(`{"kind":"action","body":{"kind":"cut","link":"internet"}}`))
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("a browser's action after the flood: %v", err)
		}
		if strings.Contains(string(data), `"kind":"action"`) && strings.Contains(string(data), `"cut"`) {
			break
		}
		if strings.Contains(string(data), `"kind":"error"`) {
			t.Fatalf("a browser's action after the flood was refused: %s", data)
		}
	}

	made := 1 // createRoom above
	for ; made < 11; made++ {
		status, p := post(t, base+"rooms", "application/json", `{"scene":"overview"}`)
		if status == http.StatusTooManyRequests {
			break
		}
		if status != http.StatusCreated {
			t.Fatalf("room %d: %d %v", made+1, status, p)
		}
	}
	if made != 10 {
		t.Errorf("one address made %d rooms in a moment; want 10 (the default -create-rate)", made)
	}
	res, err := noKeepAlive.Get(base + "ws?room=made-by-joining&scene=overview")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a room made by joining past the limit: %d, want 429", res.StatusCode)
	}
}

// An event stream without since starts with what comes next rather than
// sending the whole log, and a room takes only so many streams.
func TestEventStreamsAreBounded(t *testing.T) {
	base, _ := ownServer(t, "-max-streams", "2")
	id := createRoom(t, base, "open-api")
	for range 3 {
		post(t, base+"api/rooms/"+id+"/actions", "application/json", `{"kind":"cut","link":"internet"}`)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := func() *http.Response {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"api/rooms/"+id+"/events", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	first := open()
	open()
	if third := open(); third.StatusCode != http.StatusServiceUnavailable || third.Header.Get("Retry-After") == "" {
		t.Errorf("a third stream on a room of two at most: %d", third.StatusCode)
	}
	post(t, base+"api/rooms/"+id+"/actions", "application/json", `{"kind":"restore","link":"internet"}`)
	sc := bufio.NewScanner(first.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			if v != "4" {
				t.Errorf("the stream's first event is %s; want 4, the first after it opened", v)
			}
			return
		}
	}
	t.Fatalf("the stream ended: %v", sc.Err())
}
