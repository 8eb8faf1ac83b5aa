package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/board/boardtest"
	"github.com/thingyard/thingyard/board/firmata"
	"github.com/thingyard/thingyard/sim/proto"
)

// fakeSerial stands in for navigator.serial, which headless Chromium
// cannot be given a port for. One port, granted once: its byte stream is
// fed by the Go test (a board emulator), what the page writes is kept for
// the test to read (as text and as bytes), unplug() loses the device
// mid-stream as Chromium reports it, and replug() brings it back with a
// connect event, as a board plugged in again does.
const fakeSerial = `(() => {
  const enc = new TextEncoder(), dec = new TextDecoder();
  let ctrl = null;
  const listeners = {}, serialListeners = {};
  const port = {
    open: async (opts) => {
      window.__serial.baud = opts.baudRate;
      window.__serial.opens++;
      port.readable = new ReadableStream({ start(c) { ctrl = c; } });
      port.writable = new WritableStream({ write(chunk) {
        window.__serial.written += dec.decode(chunk);
        for (const b of chunk) window.__serial.bytes.push(b);
      } });
    },
    close: async () => {},
    addEventListener: (type, f) => { (listeners[type] = listeners[type] || []).push(f); },
    removeEventListener: (type, f) => { listeners[type] = (listeners[type] || []).filter(g => g !== f); },
  };
  window.__serial = {
    baud: 0, opens: 0, written: "", bytes: [],
    push: (s) => ctrl.enqueue(enc.encode(s)),
    pushBytes: (a) => ctrl.enqueue(new Uint8Array(a)),
    unplug: () => {
      ctrl.error(new DOMException("The device has been lost.", "NetworkError"));
      for (const f of listeners.disconnect || []) f({ target: port });
    },
    replug: () => { for (const f of serialListeners.connect || []) f({ target: port }); },
  };
  Object.defineProperty(navigator, "serial", { value: {
    requestPort: async () => port,
    getPorts: async () => [port],
    addEventListener: (type, f) => { (serialListeners[type] = serialListeners[type] || []).push(f); },
    removeEventListener: (type, f) => { serialListeners[type] = (serialListeners[type] || []).filter(g => g !== f); },
  }, configurable: true });
})();`

// sketch emulates a board running a sketch that prints temperature and
// light in the Serial Plotter format, in chunks that split lines.
type sketch struct{ n int }

func (s *sketch) next() string {
	s.n++
	line := fmt.Sprintf("temp:%.1f,light:%d\r\n", 20+float64(s.n%10)/2, 300+s.n)
	if s.n%3 == 0 {
		return line[:5] // the rest comes with the next chunk
	}
	return line
}

// boardPage opens a tab with the fake port, on the real-board scene.
func boardPage(t *testing.T) *canvas {
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	c.run("load", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(fakeSerial).Do(ctx)
		return err
	}), chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		choose("scene-picker", "real-board"),
		waitFor(ctx, `document.querySelector(".ty-lesson h2").textContent === "Your board in the world"`))
	return c
}

// feedUntil prints the sketch's lines into the page until cond holds.
func (c *canvas) feedUntil(sk *sketch, what, cond string) {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var ok bool
		c.run("feed the board", js(`window.__serial.push(`+fmt.Sprintf("%q", sk.next())+`)`, nil), js(cond, &ok))
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var state string
			c.run("state", js(`(document.getElementById("board-state") || {}).textContent`, &state))
			c.t.Fatalf("%s: not within 2 minutes (board state %q)", what, state)
		}
		c.run("pace", chromedp.Sleep(100*time.Millisecond))
	}
}

func TestBoardThroughWebSerial(t *testing.T) {
	c := boardPage(t)
	c.run("connect", choose("speed", "16"), chromedp.Click("#connect-board", chromedp.ByID),
		waitFor(c.ctx, `window.__serial.baud === 115200 && document.getElementById("board-state") !== null`))

	// The emulator prints until the world has seen its readings travel.
	sk := &sketch{}
	c.feedUntil(sk, "the board's readings in the world", `(() => {
		const s = document.getElementById("board-state").textContent;
		return s.includes("readings") && !s.includes(" 0 readings") && `+metric("delivered", 1)+` > 0 })()`)
	var state string
	c.run("state", chromedp.Text("#board-state", &state, chromedp.ByID))
	if !strings.Contains(state, "plotter lines") || !strings.Contains(state, "driving board") || !strings.Contains(state, "last temp") {
		t.Errorf("board state %q", state)
	}

	c.run("send", js(`document.getElementById("board-send").value = "blink 3"`, nil),
		js(`document.getElementById("board-send-button").click()`, nil),
		waitFor(c.ctx, `window.__serial.written.includes("blink 3\n")`))

	var console string
	c.run("unplug", js(`window.__serial.unplug()`, nil),
		waitFor(c.ctx, `document.getElementById("board-state").textContent.includes("unplugged")`),
		waitFor(c.ctx, `window.thingyard.device("board").powered === false`),
		chromedp.Text("#board-console", &console, chromedp.ByID))
	if !strings.Contains(console, "temp:") || !strings.Contains(console, "> blink 3") {
		t.Errorf("console %q", console)
	}
	var shot []byte
	c.run("screenshot", chromedp.FullScreenshot(&shot, 90))
	saveShot(t, "board.jpg", shot)

	// Plugged back in, it reconnects by itself and reads again.
	c.run("replug", js(`window.__serial.replug()`, nil), waitFor(c.ctx, `window.__serial.opens === 2`))
	c.feedUntil(sk, "readings after the replug", `document.getElementById("board-state").textContent.startsWith("Connected") &&
		window.thingyard.device("board").powered === true`)
	c.checkErrors()
}

// checkErrors fails on console errors other than the unplugged device's.
func (c *canvas) checkErrors() {
	c.t.Helper()
	for _, e := range *c.errs {
		if !strings.Contains(e, "device has been lost") {
			c.t.Errorf("console error: %s", e)
		}
	}
}

// A board held by one browser of a live room: a second browser in the
// room sees its readings, commands it, and sees it go offline.
func TestBoardInARoom(t *testing.T) {
	a := boardPage(t)
	var link string
	a.run("start a room", chromedp.Click("#new-room", chromedp.ByID),
		waitFor(a.ctx, `document.getElementById("room-link") !== null && document.querySelector("#room .ty-live") !== null`),
		chromedp.Value("#room-link", &link, chromedp.ByID),
		chromedp.Click("#connect-board", chromedp.ByID), waitFor(a.ctx, `window.__serial.baud === 115200 && document.getElementById("board-state") !== null`))
	sk := &sketch{}
	// Every name of a line is in the panel's last reading, not the first only.
	a.feedUntil(sk, "readings in the room", `/last temp [0-9.]+, light [0-9]+/.test(document.getElementById("board-state").textContent)`)

	bctx, berrs := browser(t)
	b := &canvas{t: t, ctx: bctx, errs: berrs}
	// The second browser has no Web Serial, as Firefox and Safari: the
	// panel says why and what to use instead.
	var why string
	b.run("join the room", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`Object.defineProperty(navigator, "serial", { value: undefined, configurable: true })`).Do(ctx)
		return err
	}), chromedp.Navigate(link), waitFor(b.ctx, `window.thingyard && window.thingyard.ready`),
		waitFor(b.ctx, `document.querySelector("#room .ty-live") !== null`),
		chromedp.Text("#board", &why, chromedp.ByID))
	if !strings.Contains(why, "Chromium-based") || !strings.Contains(why, "-serial") {
		t.Errorf("without Web Serial the panel says %q", why)
	}
	// It also says whose board drives the room's board device.
	var held string
	b.run("the board someone holds", waitFor(b.ctx, `document.getElementById("board-held-board") !== null`),
		chromedp.Text("#board-held-board", &held, chromedp.ByID))
	if !strings.Contains(held, `"board" is a real board held by someone else in this room`) {
		t.Errorf("the other browser's Real board panel says %q of the board", held)
	}
	var connect int
	b.run("no connect button", js(`document.querySelectorAll("#connect-board").length`, &connect))
	if connect != 0 {
		t.Error("a Connect button without Web Serial")
	}
	// The second browser sees the board's readings: the board device's
	// value follows the sketch's temperature.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a.run("feed", js(`window.__serial.push(`+fmt.Sprintf("%q", sk.next())+`)`, nil))
		var d struct {
			Powered bool    `json:"powered"`
			Value   float64 `json:"value"`
		}
		var raw string
		b.run("device", js(`JSON.stringify(window.thingyard.device("board"))`, &raw))
		json.Unmarshal([]byte(raw), &d)
		if d.Powered && d.Value >= 20 && d.Value <= 25 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other browser never saw the board's readings: %s", raw)
		}
		b.run("pace", chromedp.Sleep(100*time.Millisecond))
	}

	// The second browser commands the board on; the line reaches the
	// emulator through the first browser's port.
	b.selectDevice("board", b.where("board"))
	b.run("command", waitFor(b.ctx, `document.getElementById("command") !== null`),
		js(`document.getElementById("command").click()`, nil))
	a.run("the command at the board", waitFor(a.ctx, `window.__serial.written.includes("on\n")`))

	a.run("unplug", js(`window.__serial.unplug()`, nil),
		waitFor(a.ctx, `document.getElementById("board-state").textContent.includes("unplugged")`))
	b.run("offline in the other browser", waitFor(b.ctx, `window.thingyard.device("board").powered === false`))
	a.checkErrors()
	b.checkErrors()
}

// A board on the server's serial gateway that does not answer is said so
// in the Real board panel of every page in its room, with what was asked
// and what to check, not only in the server's log.
func TestSilentBoardInThePanel(t *testing.T) {
	cable := boardtest.NewCable(t)
	boardtest.Open(t, cable.Board) // open, and never a word
	const room = "silent-board-panel"
	srv, url, err := startServer(binary, "-addr", "127.0.0.1:0", "-serial", cable.Host, "-serial-room", room,
		"-baud", "9600", "-serial-protocol", "modbus", "-modbus-slave", "17")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	ctx, errs := browser(t)
	c := &canvas{t: t, ctx: ctx, errs: errs}
	var note, class string
	c.run("join the board's room", chromedp.Navigate(url+"/?room="+room), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		waitFor(ctx, `document.getElementById("board-held-board") !== null && document.getElementById("board-held-board").textContent.includes("does not answer")`),
		chromedp.Text("#board-held-board", &note, chromedp.ByID),
		js(`document.getElementById("board-held-board").className`, &class))
	for _, want := range []string{"No answer from Modbus slave 17", "at 9600 baud", "Check the baud rate", "the wiring", "the slave's address is 17"} {
		if !strings.Contains(note, want) {
			t.Errorf("the panel's note does not say %q:\n%s", want, note)
		}
	}
	if !strings.Contains(class, "ty-errors") {
		t.Errorf("a board that does not answer is noted in class %q, not as an error", class)
	}
	c.checkErrors()
}

// StandardFirmata through the fake port: the page detects it, does the
// handshake with the emulated Uno and its analog pins drive the device;
// a command switches the Uno's LED pin.
func TestFirmataThroughWebSerial(t *testing.T) {
	c := boardPage(t)
	c.run("connect", choose("board-protocol", "auto"), choose("baud", "57600"),
		chromedp.Click("#connect-board", chromedp.ByID), waitFor(c.ctx, `window.__serial.baud === 57600 && document.getElementById("board-state") !== null`))
	u := firmata.NewUno()
	u.SetAnalog(0, 512)
	// The bridge: what the page wrote goes to the emulator, its replies
	// and a sampling cycle go back, until cond holds.
	sent := 0
	pushed := false
	bridge := func(what, cond string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			var bytes []int
			c.run("read the port", js(`window.__serial.bytes.slice(`+fmt.Sprint(sent)+`)`, &bytes))
			sent += len(bytes)
			in := make([]byte, len(bytes))
			for i, v := range bytes {
				in[i] = byte(v)
			}
			out := u.Feed(in)
			if !pushed {
				out = append(u.Boot(), out...)
				pushed = true
			}
			out = append(out, u.Sample()...)
			if len(out) > 0 {
				arr, _ := json.Marshal(toInts(out))
				c.run("write the port", js(`window.__serial.pushBytes(`+string(arr)+`)`, nil))
			}
			var ok bool
			c.run("check", js(cond, &ok))
			if ok {
				return
			}
			if time.Now().After(deadline) {
				var state string
				c.run("state", js(`(document.getElementById("board-state") || {}).textContent`, &state))
				t.Fatalf("%s: not within 2 minutes (board state %q)", what, state)
			}
			c.run("pace", chromedp.Sleep(100*time.Millisecond))
		}
	}
	bridge("Firmata readings", `(() => { const s = document.getElementById("board-state").textContent;
		return s.includes("StandardFirmata") && s.includes("last A0 512") && window.thingyard.device("board").value === 512 })()`)
	if u.Interval() != firmata.DefaultSamplingMs {
		t.Errorf("the page asked for sampling every %d ms", u.Interval())
	}
	c.selectDevice("board", c.where("board"))
	c.run("command", waitFor(c.ctx, `document.getElementById("command") !== null`),
		js(`document.getElementById("command").click()`, nil))
	// The command's way to the board (the click, the panel, the board's
	// session, the port) is waited for as long as the bridge waits for
	// anything, not for a number of its rounds, which a busy machine
	// makes too few.
	boardOn := func() bool { _, v := u.Pin(13); return v == 1 }
	for deadline := time.Now().Add(2 * time.Minute); !boardOn() && time.Now().Before(deadline); {
		bridge("the LED on", `true`)
	}
	if m, v := u.Pin(13); m != firmata.ModeOutput || v != 1 {
		t.Errorf("pin 13 is %v %d after the command, want output 1", m, v)
	}
	var console string
	c.run("console", chromedp.Text("#board-console", &console, chromedp.ByID))
	if !strings.Contains(console, "StandardFirmata.ino") {
		t.Errorf("console %q", console)
	}
	c.checkErrors()
}

func toInts(b []byte) []int {
	out := make([]int, len(b))
	for i, v := range b {
		out[i] = int(v)
	}
	return out
}

// typeInto replaces an input's text by typing, as a person does.
func typeInto(id, text string) chromedp.Action {
	return chromedp.Tasks{
		js(`(() => { const e = document.getElementById(`+strconv.Quote(id)+`); e.focus(); e.select(); return true })()`, nil),
		chromedp.KeyEvent(text),
	}
}

// Modbus RTU through the fake port to Debian's libmodbus slave on a socat
// pty (slave 17; its holding registers 0 to 15 hold 100 to 115): the
// slave, registers and coil chosen in the Real board panel are the ones
// the page's session polls and writes, and a setting out of range is
// refused with a message before any port is asked for.
func TestModbusThroughWebSerial(t *testing.T) {
	cable := boardtest.NewCable(t)
	boardtest.Libmodbus(t, cable.Board)
	host := boardtest.Open(t, cable.Host)
	c := boardPage(t)
	// A scene without a board device says so before a board is connected.
	c.run("a scene without a board", choose("scene-picker", "overview"),
		waitFor(c.ctx, `(document.getElementById("board-no-device") || {}).textContent === "This scene has no board device, so a board's readings would go nowhere: choose Your board in the world first."`),
		choose("scene-picker", "real-board"), waitFor(c.ctx, `document.getElementById("board-no-device") === null`))
	c.run("choose Modbus RTU", choose("board-protocol", "modbus"), choose("baud", "9600"),
		waitFor(c.ctx, `document.getElementById("modbus-slave") !== null`))
	var defaults []string
	c.run("defaults", js(`["modbus-slave", "modbus-register", "modbus-count", "modbus-coil"].map(id => document.getElementById(id).value)`, &defaults))
	if strings.Join(defaults, " ") != "1 0 2 0" {
		t.Errorf("the Modbus settings start at %v, want slave 1, register 0, 2 registers, coil 0", defaults)
	}

	bad := []struct{ id, text, msg string }{
		{"modbus-slave", "0", "Slave: a slave address is 1 to 247 (0 is broadcast"},
		{"modbus-slave", "x", `Slave: "x" is not a whole number`},
		{"modbus-count", "40", "Count: read 1 to 32 registers at once, not 40."},
		{"modbus-coil", "70000", "Coil: a coil is 0 to 65535, not 70000."},
	}
	for _, b := range bad {
		var msg string
		var disabled bool
		c.run("type "+b.text+" into "+b.id, typeInto(b.id, b.text),
			waitFor(c.ctx, `document.getElementById("board-modbus-error") !== null`),
			chromedp.Text("#board-modbus-error", &msg, chromedp.ByID),
			js(`document.getElementById("connect-board").disabled`, &disabled))
		if !strings.Contains(msg, b.msg) || !disabled {
			t.Errorf("%s = %q: the panel says %q (Connect disabled: %v), want %q", b.id, b.text, msg, disabled, b.msg)
		}
		c.run("fix "+b.id, typeInto(b.id, map[string]string{"modbus-slave": "1", "modbus-count": "2", "modbus-coil": "0"}[b.id]),
			waitFor(c.ctx, `document.getElementById("board-modbus-error") === null`))
	}
	var opens int
	c.run("no port asked for", js(`window.__serial.opens`, &opens))
	if opens != 0 {
		t.Errorf("a wrong setting opened the port %d times", opens)
	}

	// The board's inspector is open before the port, so the command
	// below is a click while the bridge runs.
	c.selectDevice("board", c.where("board"))
	c.run("inspect the board", waitFor(c.ctx, `document.getElementById("command") !== null`))
	c.run("choose slave 17, registers 3 to 5, coil 5", typeInto("modbus-slave", "17"), typeInto("modbus-register", "3"),
		typeInto("modbus-count", "3"), typeInto("modbus-coil", "5"),
		waitFor(c.ctx, `document.getElementById("board-modbus-error") === null && !document.getElementById("connect-board").disabled`),
		waitFor(c.ctx, `document.getElementById("board").textContent.includes("Reads holding registers 3 to 5 of slave 17 twice a second (readings hr3 to hr5); on and off write coil 5.")`),
		choose("speed", "16"), chromedp.Click("#connect-board", chromedp.ByID), waitFor(c.ctx, `window.__serial.baud === 9600 && document.getElementById("board-state") !== null`))

	// The bridge: what the page wrote goes to the slave's pty, the
	// slave's replies come back, until cond holds.
	var wrote []byte
	bridge := func(what, cond string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		buf := make([]byte, 512)
		for {
			var out []int
			c.run("read the port", js(`window.__serial.bytes.slice(`+fmt.Sprint(len(wrote))+`)`, &out))
			req := make([]byte, len(out))
			for i, v := range out {
				req[i] = byte(v)
			}
			wrote = append(wrote, req...)
			if len(req) > 0 {
				if _, err := host.Write(req); err != nil {
					t.Fatal(err)
				}
			}
			host.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if n, _ := host.Read(buf); n > 0 {
				arr, _ := json.Marshal(toInts(buf[:n]))
				c.run("write the port", js(`window.__serial.pushBytes(`+string(arr)+`)`, nil))
			}
			var ok bool
			c.run("check", js(cond, &ok))
			if ok {
				return
			}
			if time.Now().After(deadline) {
				var state, console string
				c.run("state", js(`(document.getElementById("board-state") || {}).textContent`, &state),
					js(`(document.getElementById("board-console") || {}).textContent`, &console))
				t.Fatalf("%s: not within 2 minutes (board state %q, console %q, page wrote % x)", what, state, console, wrote)
			}
		}
	}
	bridge("registers 3 to 5 of slave 17 in the world", `(() => { const s = document.getElementById("board-state").textContent;
		return s.includes("Modbus RTU") && s.includes("last hr3 103") && window.thingyard.device("board").value === 103 })()`)
	poll := proto.AppendModbusRead(nil, 17, proto.FuncReadHoldingRegisters, 3, 3)
	if !bytes.HasPrefix(wrote, poll) {
		t.Errorf("the page's first request is % x, want % x (slave 17, 3 registers from 3)", wrote[:min(len(wrote), len(poll))], poll)
	}
	var console string
	c.run("console", chromedp.Text("#board-console", &console, chromedp.ByID))
	if !strings.Contains(console, "slave 17 holding 3..: [103 104 105]") {
		t.Errorf("console %q", console)
	}

	// A command from the inspector writes coil 5 of slave 17, and the
	// slave's echo confirms it.
	c.run("command", js(`document.getElementById("command").click()`, nil))
	coil := proto.AppendModbusWriteSingle(nil, 17, proto.FuncWriteSingleCoil, 5, 0xFF00)
	// Written, and polled twice after: the slave's echo came back and
	// the session went on.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		bridge("the command", `true`)
		if i := bytes.Index(wrote, coil); i >= 0 && bytes.Count(wrote[i:], poll) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never wrote % x and polled on (wrote % x)", coil, wrote)
		}
	}
	c.run("console", chromedp.Text("#board-console", &console, chromedp.ByID))
	if !strings.Contains(console, "> on") || strings.Contains(console, "command not written") {
		t.Errorf("the slave did not take the command: console %q", console)
	}
	c.checkErrors()
}
