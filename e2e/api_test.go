package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/thingyard/thingyard/server/api/apitest"
)

// freePort is a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// httpJSON sends a request with a JSON body and decodes the JSON answer
// into out, and returns the status.
func httpJSON(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	return apitest.DoJSON(t, method, url, body, out).StatusCode
}

// The open API from outside programs against the real binary run with
// -mqtt: Debian's mosquitto_sub prints a live room's readings,
// mosquitto_pub to a set topic changes the device in the browser in the
// room, REST shows the same, and the browser's state hash reports agree
// with the server's replica.
func TestOpenAPIFromOutside(t *testing.T) {
	for _, tool := range []string{"mosquitto_sub", "mosquitto_pub"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run sudo apt-get install mosquitto-clients (make test does it)", tool)
		}
	}
	port := freePort(t)
	srv, base, err := startServer(binary, "-addr", "127.0.0.1:0", "-mqtt", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
	base = strings.TrimSuffix(base, "/")
	start := time.Now()
	logStep := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }

	room := struct{ ID string }{createRoom(t, base+"/", "open-api")}
	ctx, errs := browser(t)
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/?room="+room.ID), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		waitFor(ctx, `document.querySelector("#room .ty-live") !== null`),
		waitFor(ctx, `window.thingyard.device("meter") !== null && window.thingyard.device("meter").label === "Energy meter"`)); err != nil {
		t.Fatalf("join the room: %v (%v)", err, *errs)
	}

	logStep("joined the room")
	// Without the room's credentials the broker refuses mosquitto_sub; with
	// them (the token from REST), it sees the open devices' readings,
	// retained or live, and thingyard/# shows this room's topics only.
	prefix := "thingyard/" + room.ID + "/"
	sctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(sctx, "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", prefix+"#", "-C", "1", "-W", "50").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad user name or password") {
		t.Errorf("mosquitto_sub without credentials: %v\n%s", err, out)
	}
	var token struct{ Token string }
	httpJSON(t, "GET", base+"/api/rooms/"+room.ID, "", &token)
	login := []string{"-h", "127.0.0.1", "-p", port, "-u", room.ID, "-P", token.Token}
	out, err = exec.CommandContext(sctx, "mosquitto_sub", append(login, "-t", "thingyard/#", "-t", prefix+"#", "-v", "-C", "6", "-W", "50")...).CombinedOutput()
	if err != nil {
		t.Fatalf("mosquitto_sub: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var sawReading bool
	for _, l := range lines {
		topic, payload, _ := strings.Cut(l, " ")
		if !strings.HasPrefix(topic, prefix) {
			t.Errorf("mosquitto_sub printed %q, not a topic of room %s", l, room.ID)
		}
		for _, closed := range []string{"plc/", "press/", "guard/"} {
			if strings.HasPrefix(topic, prefix+closed) {
				t.Errorf("an M2M device has a topic: %s", topic)
			}
		}
		var r struct {
			Value any
			Time  string
		}
		if err := json.Unmarshal([]byte(payload), &r); err != nil || r.Time == "" {
			t.Errorf("payload of %s is not a reading: %q", topic, payload)
		}
		if topic == prefix+"meter/power" || topic == prefix+"air/co2" {
			sawReading = true
		}
	}
	if !sawReading {
		t.Errorf("no sensor reading among\n%s", out)
	}

	logStep("mosquitto_sub printed readings")
	// mosquitto_pub relabels the meter and switches the air sensor off in
	// the browser (nothing in the scene does either by itself).
	for _, pub := range [][2]string{{"meter/set", `{"key":"label","text":"Hall meter"}`}, {"air/set", `{"power":false}`}} {
		if out, err := exec.Command("mosquitto_pub", append(login, "-t", prefix+pub[0], "-m", pub[1])...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
	}
	if err := chromedp.Run(ctx, waitFor(ctx, `window.thingyard.device("meter").label === "Hall meter" && window.thingyard.device("air").powered === false`)); err != nil {
		t.Fatalf("the browser never saw what mosquitto_pub asked for: %v", err)
	}
	logStep("the browser saw the changes")
	// REST says what the page says.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var air struct{ Powered, Online bool }
		httpJSON(t, "GET", base+"/api/rooms/"+room.ID+"/devices/air", "", &air)
		if !air.Powered && !air.Online {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("REST never showed the air sensor off")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var label string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.thingyard.device("meter").label`, &label)); err != nil {
		t.Fatal(err)
	}
	var meter struct{ Label, Topic string }
	httpJSON(t, "GET", base+"/api/rooms/"+room.ID+"/devices/meter", "", &meter)
	if meter.Label != label || meter.Topic != prefix+"meter" {
		t.Errorf("REST meter %+v, page label %q", meter, label)
	}

	// The inspector of an open device shows its topic and lines to copy;
	// an M2M device's says why it has none.
	cv := &canvas{t: t, ctx: ctx, errs: errs}
	cv.selectDevice("meter", cv.where("meter"))
	var curl, sub string
	cv.run("inspect the meter", waitFor(ctx, `document.getElementById("device-curl") !== null`),
		chromedp.Value("#device-curl", &curl, chromedp.ByID), chromedp.Value("#device-sub", &sub, chromedp.ByID))
	if want := "curl -s " + base + "/api/rooms/" + room.ID + "/devices/meter"; curl != want {
		t.Errorf("curl line %q, want %q", curl, want)
	}
	if want := "mosquitto_sub -h 127.0.0.1 -p " + port + " -u " + room.ID + " -P " + token.Token + " -t '" + prefix + "meter/#' -v"; sub != want {
		t.Errorf("mosquitto_sub line %q, want %q", sub, want)
	}
	// The line the page shows works.
	args := strings.Fields(strings.ReplaceAll(sub, "'", ""))[1:]
	out, err = exec.CommandContext(sctx, "mosquitto_sub", append(args, "-C", "1", "-W", "30")...).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), prefix+"meter/") {
		t.Errorf("the inspector's mosquitto_sub line printed %q (%v)", out, err)
	}
	// The press is polled all the time: a reply waiting for the bus, or a
	// poll arriving, is under its icon whenever the click comes.
	cv.selectDevice("press", cv.where("press"))
	var closed string
	cv.run("inspect the press", waitFor(ctx, `document.getElementById("device-closed") !== null`),
		chromedp.Text("#device-closed", &closed, chromedp.ByID))
	if !strings.Contains(closed, "No open API") || !strings.Contains(closed, "Modbus RTU") {
		t.Errorf("the press's inspector says %q", closed)
	}
	var noCurl bool
	cv.run("the press's curl line", chromedp.Evaluate(`document.getElementById("device-curl") === null`, &noCurl))
	if !noCurl {
		t.Error("the press's inspector shows a curl line: an M2M device has no open API")
	}

	logStep("inspector checked")
	// The browser reports a hash mark once it is 500 ticks old (15 s after
	// joining at 1×); the server's replica must agree with it.
	deadline = time.Now().Add(90 * time.Second)
	var metrics string
	for !strings.Contains(metrics, "thingyard_replica_hash_checks_total ") || strings.Contains(metrics, "thingyard_replica_hash_checks_total 0\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no hash report was checked:\n%s", metrics)
		}
		time.Sleep(200 * time.Millisecond)
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		metrics = string(b)
	}
	if !strings.Contains(metrics, "thingyard_replica_divergences_total 0\n") {
		t.Errorf("the browser and the replica diverged:\n%s", metrics)
	}
	// Nothing here came late, so no report may be stale either.
	if !strings.Contains(metrics, "thingyard_replica_hash_stale_total 0\n") {
		t.Errorf("a browser's report was stale though no action came late:\n%s", metrics)
	}
	// The broker counted the two set publishes that became actions, and
	// what it refused: the client without credentials, thingyard/#.
	if !strings.Contains(metrics, "thingyard_mqtt_sets_total 2\n") || !strings.Contains(metrics, "thingyard_mqtt_refused_total 2\n") {
		t.Errorf("the broker's counters are not on /metrics:\n%s", metrics)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}
