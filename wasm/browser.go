//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/controller"
	"github.com/thingyard/thingyard/wasm/render"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wasm/webserial"
)

// page is the browser page as the controller sees it.
type page struct{ a *app }

var _ controller.Page = (*page)(nil)

func (p *page) Now() float64            { return perfNow() }
func (p *page) Notice(msg string)       { notice(msg) }
func (p *page) Info(msg string)         { consoleInfo(msg) }
func (p *page) Copy(text string) bool   { return copyText(text) }
func (p *page) Hook(name string, v any) { p.a.state.Set(name, v) }
func (p *page) Picture()                { p.a.pics.want = true } // taken when the next frame is drawn
func (p *page) Record()                 { p.a.toggleRecord() }

func (p *page) SetURL(u string) { js.Global().Get("history").Call("replaceState", nil, "", u) }

// Say puts text in a live region of the page.
func (p *page) Say(id, text string) {
	if el := js.Global().Get("document").Call("getElementById", id); el.Truthy() {
		el.Set("textContent", text)
	}
}

// Dock docks the event list: on a wide screen it lies below the world,
// whose area (the body, index.html) gives it the room rather than lying
// under it.
func (p *page) Dock(open bool) {
	js.Global().Get("document").Get("body").Get("classList").Call("toggle", "docked", open)
}

func (p *page) Progress(title string, done, total int64, detail string) {
	loader(title, done, total, detail)
}

// Offer gives the browser b as a file download named name.
func (p *page) Offer(b []byte, name, mime string) {
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	opts := js.Global().Get("Object").New()
	opts.Set("type", mime)
	blob := js.Global().Get("Blob").New([]any{arr}, opts)
	url := js.Global().Get("URL").Call("createObjectURL", blob)
	doc := js.Global().Get("document")
	link := doc.Call("createElement", "a")
	link.Set("href", url)
	link.Set("download", strings.ReplaceAll(name, "/", "-"))
	link.Get("style").Set("display", "none")
	doc.Get("body").Call("appendChild", link)
	link.Call("click")
	link.Call("remove")
	var release js.Func
	release = js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", url)
		release.Release()
		return nil
	})
	js.Global().Call("setTimeout", release, keepBlobMs)
}

// keepBlobMs is how long a download's object URL is kept before it is
// released (default 60 s): long enough for the browser to have fetched it
// on the slowest machine.
const keepBlobMs = 60_000

// server is the page's server, reached with fetch and the browser's
// WebSocket.
type server struct{}

var _ controller.Net = server{}

func (server) Dial(id string) *room.Client { return room.Dial(id) }

// Post sends body with fetch and waits for the whole reply.
func (server) Post(path string, body []byte) (int, []byte, error) {
	opts := js.Global().Get("Object").New()
	opts.Set("method", "POST")
	opts.Set("headers", js.ValueOf(map[string]any{"Content-Type": "application/json"}))
	opts.Set("body", string(body))
	resp, err := await(js.Global().Call("fetch", path, opts))
	if err != nil {
		return 0, nil, err
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return 0, nil, err
	}
	return resp.Get("status").Int(), []byte(text.String()), nil
}

// serial is the browser's Web Serial.
type serial struct{}

var _ controller.Serial = serial{}

func (serial) Request(baud int, done func(controller.Port, error)) {
	webserial.Request(baud, func(p *webserial.Port, err error) { done(port(p, err)) })
}

func (serial) OnReconnect(baud int, done func(controller.Port, error)) (stop func()) {
	return webserial.OnReconnect(baud, func(p *webserial.Port, err error) { done(port(p, err)) })
}

// port is p as a controller.Port: nil, not a nil *Port, when there is
// none.
func port(p *webserial.Port, err error) (controller.Port, error) {
	if err != nil || p == nil {
		return nil, err
	}
	return p, nil
}

// screen is the renderer as the controller steers it.
type screen struct{ r *render.Renderer }

var _ controller.Screen = screen{}

func (s screen) Input(v *sim.View) []sim.Action   { return s.r.Update(v) }
func (s screen) Selection() (string, uint64)      { return s.r.Selected, s.r.SelectedMsg }
func (s screen) Select(device string, msg uint64) { s.r.Selected, s.r.SelectedMsg = device, msg }
func (s screen) Show(x, y, w, h float64)          { s.r.Show(x, y, w, h) }
func (s screen) SetSlowDown(d float64)            { s.r.SlowDown = d }

func (s screen) TakeInspect() bool {
	in := s.r.Inspect
	s.r.Inspect = false
	return in
}

func (s screen) MarkHop(h *controller.Hop) {
	if h == nil {
		s.r.Hop = nil
		return
	}
	s.r.Hop = &render.Hop{From: h.From, To: h.To, FromIndex: -1, ToIndex: -1, Lost: h.Lost}
}

func (s screen) Refit(titles []string) {
	s.r.Titles = append(s.r.Titles[:0], titles...)
	s.r.Refit()
}

func (s screen) Camera() (x, y, w, h float64, framed bool) {
	if !s.r.Framed() {
		return 0, 0, 0, 0, false
	}
	x, y, w, h = s.r.Cam.Rect()
	return x, y, w, h, true
}
