//go:build !js

package controller_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingyard/thingyard/internal/testkit"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/controller"
	"github.com/thingyard/thingyard/wasm/room"
	"github.com/thingyard/thingyard/wasm/ui"
)

// origin is the address the tests' pages are at.
const origin = "http://thingyard.test"

// within bounds a wait on something a goroutine, socket or server brings
// about; a passing test waits only as long as that takes.
const within = 10 * time.Second

// epoch starts the tests' page clock, as performance.now() starts at the
// page's load.
var epoch = time.Now()

// page is the browser page as a test sees it: what the controller showed,
// logged, copied and told window.thingyard.
type page struct {
	mu      sync.Mutex
	notices []string
	url     string
	copied  string
	hooks   map[string]any
	docked  bool
	offers  []string
	said    map[string]string
	pics    int
}

func (p *page) Now() float64 { return float64(time.Since(epoch)) / float64(time.Millisecond) }
func (p *page) Info(string)  {}
func (p *page) Notice(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notices = append(p.notices, msg)
}
func (p *page) SetURL(u string)       { p.mu.Lock(); p.url = u; p.mu.Unlock() }
func (p *page) Copy(text string) bool { p.mu.Lock(); p.copied = text; p.mu.Unlock(); return true }
func (p *page) Hook(name string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hooks[name] = v
}
func (p *page) Say(id, text string)                   { p.said[id] = text }
func (p *page) Dock(open bool)                        { p.docked = open }
func (p *page) Offer(_ []byte, name, _ string)        { p.offers = append(p.offers, name) }
func (p *page) Progress(string, int64, int64, string) {}
func (p *page) Picture()                              { p.pics++ }
func (p *page) Record()                               {}
func (p *page) hook(name string) any                  { p.mu.Lock(); defer p.mu.Unlock(); return p.hooks[name] }
func (p *page) lastNotice() string                    { p.mu.Lock(); defer p.mu.Unlock(); return last(p.notices) }
func (p *page) address() string                       { p.mu.Lock(); defer p.mu.Unlock(); return p.url }

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// screen stands in for the renderer, which draws only in a browser: it
// keeps what the controller asks of it, and the person's input is what a
// test puts in input.
type screen struct {
	device  string
	msg     uint64
	hop     *controller.Hop
	titles  []string
	framed  bool
	x, y    float64
	w, h    float64
	input   []sim.Action
	inspect bool
}

func (s *screen) Input(*sim.View) []sim.Action {
	in := s.input
	s.input = nil
	return in
}
func (s *screen) Selection() (string, uint64)      { return s.device, s.msg }
func (s *screen) Select(device string, msg uint64) { s.device, s.msg = device, msg }
func (s *screen) TakeInspect() bool                { in := s.inspect; s.inspect = false; return in }
func (s *screen) MarkHop(h *controller.Hop)        { s.hop = h }
func (s *screen) Refit(titles []string)            { s.titles, s.framed = slices.Clone(titles), false }
func (s *screen) Camera() (x, y, w, h float64, framed bool) {
	return s.x, s.y, s.w, s.h, s.framed
}
func (s *screen) Show(x, y, w, h float64) { s.x, s.y, s.w, s.h, s.framed = x, y, w, h, true }
func (s *screen) SetSlowDown(float64)     {}

// server is the page's server: the real relay, reached over HTTP and
// WebSocket on loopback.
type server struct{ url string }

func (s server) Post(path string, body []byte) (int, []byte, error) {
	res, err := http.Post(s.url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(res.Body)
	return res.StatusCode, reply, err
}

func (s server) Dial(id string) *room.Client {
	return room.New("ws"+strings.TrimPrefix(s.url, "http")+"/ws?room="+id, room.DialWebSocket, room.Options{})
}

// serveRelay runs the real relay with its rooms in memory, as the server
// routes it.
func serveRelay(t *testing.T, opt relay.Options) server {
	t.Helper()
	opt.Store = store.NewMemory(store.Limits{})
	r := relay.New(opt, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", r)
	mux.HandleFunc("POST /rooms", r.HandleCreate(scenes.Default))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return server{url: srv.URL}
}

// noServer is a server that is not there.
var noServer = server{url: "http://127.0.0.1:1"}

// fixture is a controller of a page at href with what it was given.
type fixture struct {
	c      *controller.Controller
	page   *page
	screen *screen
	serial *serial
}

func open(t *testing.T, href string, net controller.Net) *fixture {
	t.Helper()
	f := unbooted(t, href, net)
	f.c.Boot()
	return f
}

// unbooted is open before the controller boots, for what a page sets
// first (LazyEditor, HoldModel).
func unbooted(t *testing.T, href string, net controller.Net) *fixture {
	t.Helper()
	f := &fixture{page: &page{hooks: map[string]any{}, said: map[string]string{}}, screen: &screen{}, serial: &serial{}}
	c, err := controller.New(href, f.page, net, f.serial, f.screen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	f.c = c
	return f
}

// run runs n game updates.
func (f *fixture) run(n int) {
	for range n {
		f.c.Update()
	}
}

// until runs game updates until cond holds; it fails the test with what
// cond last said when it does not within within.
func (f *fixture) until(t *testing.T, cond func() (bool, string)) {
	t.Helper()
	testkit.EventuallySays(t, within, func() (bool, string) {
		f.c.Update()
		return cond()
	})
}

// together runs game updates of several pages until cond holds.
func together(t *testing.T, fs []*fixture, cond func() (bool, string)) {
	t.Helper()
	testkit.EventuallySays(t, within, func() (bool, string) {
		for _, f := range fs {
			f.c.Update()
		}
		return cond()
	})
}

// do hands the game loop a command and runs the update that carries it
// out.
func (f *fixture) do(cmd ui.Command) {
	f.c.Send(cmd)
	f.c.Update()
}

func TestBootShowsTheDefaultScene(t *testing.T) {
	f := open(t, origin+"/", noServer)
	m := f.c.Model()
	f.until(t, func() (bool, string) { return m.Title != "", "the panels' first refresh" })
	if m.Scene != scenes.Default || m.Title == "" {
		t.Fatalf("scene %q titled %q, want %q", m.Scene, m.Title, scenes.Default)
	}
	if len(f.page.notices) != 0 {
		t.Errorf("notices %q on a plain page", f.page.notices)
	}
	sc, err := scenes.Builtin(scenes.Default)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range sc.Sides {
		want = append(want, s.Title)
	}
	if !slices.Equal(f.screen.titles, want) {
		t.Errorf("screen titled %q, want the scene's sides %q", f.screen.titles, want)
	}
}

func TestShareLinkRoundTrips(t *testing.T) {
	a := open(t, origin+"/?theme=dark", noServer)
	a.run(30)
	a.do(ui.LoadScene{Name: "real-board"})
	a.run(20)
	a.screen.input = []sim.Action{{Kind: sim.ActPower, Device: "fan", On: false}} // a click in the world
	a.run(40)
	a.do(ui.Select{Device: "plc"})
	a.do(ui.Pause{Paused: true})
	a.screen.Show(500, 200, 400, 300)
	a.do(ui.Share{})

	link := a.c.Model().Share
	if !strings.HasPrefix(link, origin+"/#") {
		t.Fatalf("share link %q, want one of the page %s with the scenario in its fragment", link, origin)
	}
	if a.page.address() != link || a.page.copied != link {
		t.Errorf("address bar %q, clipboard %q: want the link %q in both", a.page.address(), a.page.copied, link)
	}
	if len(a.c.Log()) != 1 || a.c.Log()[0].Kind != sim.ActPower || a.c.Log()[0].At == 0 {
		t.Fatalf("log %+v, want the click's one power action at its tick", a.c.Log())
	}

	b := open(t, link, noServer)
	if len(b.page.notices) != 0 {
		t.Fatalf("opening the link said %q", b.page.notices)
	}
	if b.c.Name() != "real-board" {
		t.Errorf("the link opens scene %q, want real-board", b.c.Name())
	}
	if got, want := b.c.World().Tick(), a.c.World().Tick(); got != want {
		t.Fatalf("the link opens at tick %d, want the sharer's %d", got, want)
	}
	if got, want := sim.HashString(b.c.World().Hash()), sim.HashString(a.c.World().Hash()); got != want {
		t.Errorf("the link's world hashes %s, the sharer's %s", got, want)
	}
	if !reflect.DeepEqual(b.c.Log(), a.c.Log()) {
		t.Errorf("the link's log %+v, the sharer's %+v", b.c.Log(), a.c.Log())
	}
	if b.screen.device != "plc" || !b.screen.framed || b.screen.w != 400 {
		t.Errorf("the link shows %q framed %v (%v wide), want plc in the sharer's view, 400 wide", b.screen.device, b.screen.framed, b.screen.w)
	}
	b.until(t, func() (bool, string) { return b.c.Model().Title != "", "the panels' first refresh" })
	if !b.c.Model().Paused || b.c.World().Tick() != a.c.World().Tick() {
		t.Errorf("the link's world runs on (paused %v, tick %d): the sharer's was paused at %d", b.c.Model().Paused, b.c.World().Tick(), a.c.World().Tick())
	}
}

func TestTamperedShareLinkIsRefused(t *testing.T) {
	good := open(t, origin+"/", noServer)
	good.do(ui.LoadScene{Name: "real-board"})
	good.do(ui.Share{})
	link := good.c.Model().Share
	i := strings.Index(link, "#s=")
	if i < 0 {
		t.Fatalf("share link %q has no #s=", link)
	}
	payload := link[i+len("#s="):]
	for _, tc := range []struct {
		name, link, says string
	}{
		{"cut short", link[:i+len("#s=")+len(payload)/2], "damaged"},
		{"another version", link[:i] + "#s=9" + payload[1:], "another version"},
		{"not base64", link[:i] + "#s=1%%%%", "damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := open(t, tc.link, noServer)
			note := f.page.lastNotice()
			if !strings.HasPrefix(note, "This share link could not be opened: ") || !strings.Contains(note, tc.says) ||
				!strings.HasSuffix(note, "Showing the default scene instead.") {
				t.Errorf("notice %q, want the link refused as %q and the default scene shown", note, tc.says)
			}
			if f.c.Name() != scenes.Default || len(f.c.Log()) != 0 {
				t.Errorf("showing %q with %d actions, want the default scene afresh", f.c.Name(), len(f.c.Log()))
			}
		})
	}
}

func TestCommandsChangeTheModel(t *testing.T) {
	f := open(t, origin+"/", noServer)
	f.run(2)
	m := f.c.Model()

	f.do(ui.SetSpeed{Speed: 4})
	f.do(ui.Pause{Paused: true})
	if m.Speed != 4 || !m.Paused {
		t.Errorf("speed %v paused %v, want 4 and paused", m.Speed, m.Paused)
	}
	at := f.c.World().Tick()
	f.do(ui.Step{})
	if got := f.c.World().Tick(); got != at+1 {
		t.Errorf("a step from tick %d went to %d", at, got)
	}

	f.do(ui.LoadScene{Name: "real-board"})
	if m.Scene != "real-board" || !strings.Contains(f.page.address(), "#s=") || f.c.World().Tick() != 0 {
		t.Errorf("after loading real-board: scene %q, address %q, tick %d", m.Scene, f.page.address(), f.c.World().Tick())
	}
	if m.Board.InScene != "board" {
		t.Errorf("the board panel says the scene's board is %q, want board", m.Board.InScene)
	}

	f.do(ui.LoadScene{Name: "no-such-scene"})
	if !strings.Contains(f.page.lastNotice(), "no-such-scene") || m.Scene != "real-board" {
		t.Errorf("loading an unknown scene: notice %q, scene %q (want real-board kept)", f.page.lastNotice(), m.Scene)
	}

	f.do(ui.ApplyYAML{YAML: "name: x\ndevices: [oops"})
	if !strings.Contains(m.EditorError, "scene.yaml:") || m.Scene != "real-board" {
		t.Errorf("a broken scene: editor error %q, scene %q", m.EditorError, m.Scene)
	}

	f.do(ui.Pause{Paused: false})
	f.do(ui.Act{Action: sim.Action{Kind: sim.ActPower, Device: "fan", On: false}})
	f.run(1)
	if d, ok := f.c.World().Device("fan"); !ok || d.Powered {
		t.Errorf("fan after switching it off: %+v", d)
	}
	if n := len(f.c.Log()); n != 1 {
		t.Errorf("the log holds %d actions, want the one", n)
	}

	f.do(ui.Select{Device: "plc"})
	if f.screen.device != "plc" || f.page.hook("selected") != "plc" {
		t.Errorf("select: screen %q, window.thingyard.selected %v", f.screen.device, f.page.hook("selected"))
	}
	f.do(ui.Select{Device: "ghost"})
	if f.screen.device != "plc" {
		t.Errorf("selecting a device not in the world moved the selection to %q", f.screen.device)
	}

	f.do(ui.OpenEvents{Open: true})
	f.run(1)
	if !f.page.docked || !m.Events.Open {
		t.Errorf("open events: docked %v, model open %v", f.page.docked, m.Events.Open)
	}
	f.do(ui.EmbedCode{})
	if !strings.HasPrefix(m.EmbedCode, `<iframe src="`+origin+`/?embed=1#s=`) || f.page.copied != m.EmbedCode {
		t.Errorf("embed code %q (copied %q)", m.EmbedCode, f.page.copied)
	}
	f.do(ui.Picture{})
	if f.page.pics != 1 {
		t.Errorf("Picture asked the page for %d pictures", f.page.pics)
	}
}

func TestHashReports(t *testing.T) {
	f := open(t, origin+"/", noServer)
	f.do(ui.SetSpeed{Speed: ui.Speeds[len(ui.Speeds)-1]})
	// The world marks its hash every so many ticks; a few thousand
	// updates at the fastest speed pass several marks.
	for i := 0; i < 5000 && len(f.c.World().Hashes()) < 3; i++ {
		f.c.Update()
	}
	if n := len(f.c.World().Hashes()); n < 3 {
		t.Fatalf("the world marked its hash %d times in 5,000 updates", n)
	}
	// While the world runs, its hash is not taken: a test could only read
	// it beside a tick it is not of.
	if got := f.page.hook("hash"); got != "" {
		t.Errorf("window.thingyard.hash is %v while the world runs, want none", got)
	}
	f.do(ui.Pause{Paused: true})
	w := f.c.World()
	if got, want := f.page.hook("hash"), sim.HashString(w.Hash()); got != want {
		t.Errorf("window.thingyard.hash %v, the world's %s", got, want)
	}
	if got := f.page.hook("tick"); got != w.Tick() {
		t.Errorf("window.thingyard.tick %v, the world's %d", got, w.Tick())
	}
	marks := f.page.hook("marks").(map[string]any)
	for _, h := range w.Hashes() {
		if got := marks[strconv.FormatInt(h.Tick, 10)]; got != sim.HashString(h.Hash) {
			t.Errorf("mark at tick %d is %v, the world's %s", h.Tick, got, sim.HashString(h.Hash))
		}
	}
}
