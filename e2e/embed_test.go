package e2e

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/scenes"
)

// coursePage serves, on a loopback address of its own (another origin and
// another site than the Thingyard server's 127.0.0.1), a page that frames
// the URL in its src parameter in an 800×500 iframe, as a school's course
// page would, and notes in window.loaded when the frame has loaded. It
// returns the page's origin.
func coursePage(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s (Linux routes all of 127.0.0.0/8 to loopback): %v", ip, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>A course page</title><h1>Lesson 4: IoT and M2M</h1>
<iframe id="f" src="%s" width="800" height="500" style="border:0" title="Thingyard" onload="window.loaded = true"></iframe>`,
			html.EscapeString(r.URL.Query().Get("src")))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// frameOn opens the course page at origin framing src and returns a
// context in the frame's own target (Chromium runs a frame of another
// site in a process of its own) and where the frame is on the page.
func frameOn(t *testing.T, ctx context.Context, origin, src string) (context.Context, point) {
	t.Helper()
	var at point
	if err := chromedp.Run(ctx, chromedp.Navigate(origin+"/?src="+url.QueryEscape(src)), waitFor(ctx, `window.loaded === true`),
		js(`(() => { const r = document.getElementById("f").getBoundingClientRect(); return {X: r.left, Y: r.top} })()`, &at)); err != nil {
		t.Fatalf("course page at %s framing %s: %v", origin, src, err)
	}
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var id target.ID
	for _, x := range targets {
		if x.Type == "iframe" && strings.HasPrefix(x.URL, src[:strings.Index(src, "?")]) {
			id = x.TargetID
		}
	}
	if id == "" {
		t.Fatalf("no frame of %s among the browser's targets %v", src, targets)
	}
	fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	return fctx, at
}

// redNear counts the pixels of the internet-cut banner's red in the
// band at the top of a frame at the page's point at, w CSS pixels wide.
func redNear(img image.Image, at point, w int) int {
	n := 0
	for y := int(at.Y); y < int(at.Y)+60; y++ {
		for x := int(at.X); x < int(at.X)+w; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 0xd0 && g>>8 < 0x90 && b>>8 < 0x90 {
				n++
			}
		}
	}
	return n
}

// A course page on another origin frames ?embed=1: the frame shows the
// world and a compact bar, not the panels; pressing Cut the internet in
// the bar (a real click on the course page, routed into the frame) cuts it
// in the world, whose banner then shows; the lesson opens from the bar;
// and the bar's "Open in Thingyard" link opens the whole page, in a new
// tab, at the same world, the cut included.
func TestEmbedInACoursePage(t *testing.T) {
	course := coursePage(t, "127.0.0.3")
	ctx, errs := browser(t)
	f, at := frameOn(t, ctx, course, baseURL+"?embed=1&scene=overview&speed=2")
	var bar struct {
		Panels, Bar, Open bool
		Href, Target, Rel string
		Speed             string
		BarH, CanvasH     float64
	}
	if err := chromedp.Run(f, waitFor(f, `window.thingyard && window.thingyard.ready && window.thingyard.frames > 10 && document.getElementById("bar-internet") !== null`),
		js(`(() => { const o = document.getElementById("bar-open");
			return {Panels: document.querySelector(".ty-sheet") !== null, Bar: document.querySelector(".ty-bar") !== null,
				Open: o !== null, Href: o ? o.href : "", Target: o ? o.target : "", Rel: o ? o.rel : "",
				Speed: document.getElementById("bar-speed").value,
				BarH: document.getElementById("panel").getBoundingClientRect().height,
				CanvasH: document.querySelector("body > canvas").getBoundingClientRect().height} })()`, &bar)); err != nil {
		t.Fatalf("the embedded page: %v (console: %v)", err, *errs)
	}
	if bar.Panels || !bar.Bar || !bar.Open {
		t.Fatalf("embedded: panels %v, bar %v, open link %v; want the bar and its link, no panels", bar.Panels, bar.Bar, bar.Open)
	}
	if bar.Target != "_blank" || !strings.Contains(bar.Rel, "noopener") || strings.Contains(bar.Href, "embed=") || !strings.HasPrefix(bar.Href, baseURL) {
		t.Errorf("open link %q target %q rel %q: want the whole page on %s in a new tab", bar.Href, bar.Target, bar.Rel, baseURL)
	}
	if bar.Speed != "2" {
		t.Errorf("speed=2: the bar's speed is %q", bar.Speed)
	}
	if bar.BarH > 60 || bar.CanvasH+bar.BarH < 499 {
		t.Errorf("the bar is %.0f px tall and the world %.0f in a 500 px frame: want a compact bar and the world in the rest", bar.BarH, bar.CanvasH)
	}
	var before []byte
	var button point
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&before)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(f, js(`(() => { const r = document.getElementById("bar-internet").getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2} })()`, &button)); err != nil {
		t.Fatal(err)
	}
	// The click lands on the course page, over the frame's button.
	if err := chromedp.Run(ctx, chromedp.MouseClickXY(at.X+button.X, at.Y+button.Y)); err != nil {
		t.Fatal(err)
	}
	var cut struct {
		Label string
		Log   int
		Open  string
	}
	if err := chromedp.Run(f, waitFor(f, `window.thingyard.log().length === 1 && document.getElementById("bar-internet").textContent.includes("Restore")`),
		waitFor(f, `document.getElementById("bar-open").href.length > `+fmt.Sprint(len(bar.Href))),
		js(`({Label: document.getElementById("bar-internet").textContent, Log: window.thingyard.log().length,
			Open: document.getElementById("bar-open").href})`, &cut)); err != nil {
		t.Fatalf("cut the internet from the bar: %v (console: %v)", err, *errs)
	}
	fc := &canvas{t: t, ctx: f, errs: errs}
	fc.settle(3)
	var after []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&after)); err != nil {
		t.Fatal(err)
	}
	b0, b1 := decodePNG(t, before), decodePNG(t, after)
	if r0, r1 := redNear(b0, at, 800), redNear(b1, at, 800); r1 < r0+200 {
		t.Errorf("the frame's top has %d red pixels before the cut and %d after: the world shows no cut", r0, r1)
	}
	saveShot(t, "embed-cut.png", after)
	sc, err := scenes.FromURL(cut.Open)
	if err != nil {
		t.Fatalf("the open link %q: %v", cut.Open, err)
	}
	if sc.Name != "overview" || len(sc.Actions) != 1 {
		t.Errorf("the open link carries scene %q and %d actions, want overview and the cut", sc.Name, len(sc.Actions))
	}
	// The lesson opens over the world from the bar.
	var lesson string
	if err := chromedp.Run(f, chromedp.Click("#bar-lesson", chromedp.ByQuery),
		waitFor(f, `document.getElementById("bar-lesson-text") !== null`),
		chromedp.Text("#bar-lesson-text p", &lesson, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if len(lesson) < 40 {
		t.Errorf("the lesson from the bar reads %q", lesson)
	}
	if len(*errs) > 0 {
		t.Errorf("console errors: %v", *errs)
	}
}

// A live room's page is framed by an origin given with -frame-origin and
// refused to any other, which may still frame the page without a room.
func TestRoomFramedOnlyByListedOrigins(t *testing.T) {
	listed, other := coursePage(t, "127.0.0.2"), coursePage(t, "127.0.0.3")
	srv, base, err := startServer(binary, "-addr", "127.0.0.1:0", "-frame-origin", listed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Signal(os.Interrupt); srv.Wait() })
	room := createRoom(t, base, "overview")
	roomURL := base + "?room=" + room + "&embed=1"
	for _, tt := range []struct {
		name, origin, src string
		framed            bool
	}{
		{"room, listed origin", listed, roomURL, true},
		{"room, other origin", other, roomURL, false},
		{"no room, other origin", other, base + "?embed=1", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, errs := browser(t)
			f, _ := frameOn(t, ctx, tt.origin, tt.src)
			var href string
			if err := chromedp.Run(f, js(`location.href`, &href)); err != nil {
				t.Fatal(err)
			}
			if tt.framed {
				if href != tt.src {
					t.Fatalf("the frame shows %q, want %s", href, tt.src)
				}
				if err := chromedp.Run(f, waitFor(f, `window.thingyard && window.thingyard.ready`)); err != nil {
					t.Fatalf("the framed page did not start: %v (console: %v)", err, *errs)
				}
				return
			}
			// Chromium shows its error page in a frame the policy refuses.
			if !strings.HasPrefix(href, "chrome-error:") {
				t.Errorf("%s framed a live room's page: the frame shows %q", tt.origin, href)
			}
		})
	}
}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
