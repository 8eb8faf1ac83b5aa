package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// fakeSerial stands in for navigator.serial, which headless Chromium
// cannot be given a port for. Its byte stream is fed by the Go test below
// (a board emulator printing like an Arduino sketch); what the page writes
// is kept for the test to read.
const fakeSerial = `(() => {
  const enc = new TextEncoder(), dec = new TextDecoder();
  let ctrl;
  const listeners = {};
  const port = {
    open: async (opts) => { window.__serial.baud = opts.baudRate; },
    readable: new ReadableStream({ start(c) { ctrl = c; } }),
    writable: new WritableStream({ write(chunk) { window.__serial.written += dec.decode(chunk); } }),
    addEventListener: (type, f) => { listeners[type] = f; },
  };
  window.__serial = {
    baud: 0, written: "",
    push: (s) => ctrl.enqueue(enc.encode(s)),
    unplug: () => { ctrl.error(new DOMException("The device has been lost.", "NetworkError")); if (listeners.disconnect) listeners.disconnect(); },
  };
  Object.defineProperty(navigator, "serial", { value: { requestPort: async () => port }, configurable: true });
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

func TestBoardThroughWebSerial(t *testing.T) {
	ctx, errs := browser(t)
	step := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v (console: %v)", what, err, *errs)
		}
	}
	step("load", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(fakeSerial).Do(ctx)
		return err
	}), chromedp.Navigate(baseURL), waitFor(ctx, `window.thingyard && window.thingyard.ready`),
		choose("scene-picker", "real-board"),
		waitFor(ctx, `document.querySelector(".ty-lesson h2").textContent === "Your board in the world"`),
		choose("speed", "16"),
		chromedp.Click("#connect-board", chromedp.ByID),
		waitFor(ctx, `window.__serial.baud === 115200 && document.getElementById("board-state") !== null`))

	// The emulator prints until the world has seen its readings travel.
	sk := &sketch{}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var delivered string
		step("feed the board", chromedp.Evaluate(`window.__serial.push(`+fmt.Sprintf("%q", sk.next())+`)`, nil),
			chromedp.Evaluate(metric("delivered", 1), &delivered))
		var state string
		step("state", chromedp.Text("#board-state", &state, chromedp.ByID))
		if delivered != "" && delivered != "0" && strings.Contains(state, "readings") {
			if !strings.Contains(state, "driving board") || !strings.Contains(state, "last temp") {
				t.Errorf("board state %q", state)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the board's readings never reached the world: state %q, delivered %q", state, delivered)
		}
		step("pace", chromedp.Sleep(100*time.Millisecond))
	}

	var written string
	step("send", js(`document.getElementById("board-send").value = "blink 3"`, nil),
		js(`document.getElementById("board-send-button").click()`, nil),
		waitFor(ctx, `window.__serial.written.includes("blink 3\n")`),
		js(`window.__serial.written`, &written))

	var console, state string
	step("unplug", js(`window.__serial.unplug()`, nil),
		waitFor(ctx, `document.getElementById("board-state").textContent.includes("unplugged")`),
		chromedp.Text("#board-console", &console, chromedp.ByID),
		chromedp.Text("#board-state", &state, chromedp.ByID))
	if !strings.Contains(console, "temp:") || !strings.Contains(console, "> blink 3") {
		t.Errorf("console %q", console)
	}
	var shot []byte
	step("screenshot", chromedp.FullScreenshot(&shot, 90))
	saveShot(t, "board.jpg", shot)
	for _, e := range *errs {
		if !strings.Contains(e, "device has been lost") {
			t.Errorf("console error: %s", e)
		}
	}
}
