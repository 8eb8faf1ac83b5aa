//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/vugu/vugu"

	"github.com/thingyard/thingyard/wasm/controller"
	"github.com/thingyard/thingyard/wasm/render"
	"github.com/thingyard/thingyard/wasm/webserial"
)

// app is the ebiten.Game: the controller's world drawn by the renderer,
// with what only a browser has (the canvas, pictures, the page's theme
// and window.thingyard) around it.
type app struct {
	c     *controller.Controller
	r     *render.Renderer
	page  *page
	pics  pictures // pictures and clips of the world (picture.go)
	theme chan string
	// phone matches while a narrow upright screen shows the panels as a
	// sheet below the world, whose height the world sets (fitWorldArea);
	// worldH is the height last given to the world's area, CSS pixels.
	phone  js.Value
	worldH float64

	frames int
	ready  bool          // the first frame was drawn
	drawn  chan struct{} // closed at the second frame
	// gcAfterStart lets the garbage collector run again, at the second
	// frame (startWithoutGC, main.go).
	gcAfterStart func()
	env          vugu.EventEnv
	state        js.Value // window.thingyard, read by tests (hooks.go)
	// stops remove the page's listeners and release their js.Func.
	stops []func()
}

func newApp() (*app, error) {
	a := &app{r: render.New(), theme: make(chan string, 1), drawn: make(chan struct{})}
	a.hooks()
	a.page = &page{a: a}
	c, err := controller.New(js.Global().Get("location").Get("href").String(), a.page, server{}, serial{}, screen{a.r})
	if err != nil {
		return nil, err
	}
	a.c = c
	c.Refreshed = a.refreshPictures
	c.SetBoardSupport(webserial.Supported(), webserial.Why())
	if mq := js.Global().Call("matchMedia", "(prefers-reduced-motion: reduce)"); mq.Truthy() {
		a.r.ReducedMotion = mq.Get("matches").Bool()
		// The setting can change while the page is open.
		a.stops = append(a.stops, listen(mq, "change", func(ev js.Value) {
			a.r.ReducedMotion = ev.Get("matches").Bool()
		}))
	}
	a.phone = js.Global().Call("matchMedia", "(max-width: 760px) and (orientation: portrait)")
	a.watchTheme()
	return a, nil
}

// close removes the page's listeners and leaves the room.
func (a *app) close() {
	for _, stop := range a.stops {
		stop()
	}
	a.stops = nil
	a.c.Close()
}

func (a *app) Update() error {
	select {
	case t := <-a.theme:
		a.setTheme(t)
	default:
	}
	a.c.Update()
	a.fitWorldArea()
	return nil
}

func (a *app) Draw(screen *ebiten.Image) {
	a.c.ReadView()
	a.r.Draw(screen, a.c.View())
	if a.pics.want {
		a.takePicture(screen)
	}
	a.frames++
	a.state.Set("frames", a.frames)
	if a.frames == 2 {
		// The first frame is on screen (the browser shows a frame once
		// its task ends): the panels mount now (main.go).
		close(a.drawn)
		a.gcAfterStart()
	}
	if !a.ready {
		// The first frame: the loader makes way for the world, and the
		// panels' model, held until now, is made at the next update.
		a.ready = true
		a.c.ReleaseModel()
		doc := js.Global().Get("document")
		a.stops = append(a.stops, describeCanvas(doc))
		doc.Call("dispatchEvent", js.Global().Get("Event").New("thingyard:ready"))
	}
}

func (a *app) Layout(w, h int) (int, int) { return a.r.Layout(w, h) }

// describeCanvas names Ebitengine's canvas for screen readers and puts it
// in the page's order of keyboard focus like any control: first, as it is
// left of the panel (Ebitengine appends it last, with tabindex 1, which
// would put it before everything). The page keeps Tab from it and shows
// its focus (index.html).
// The returned stop removes its listener.
func describeCanvas(doc js.Value) (stop func()) {
	c := doc.Call("querySelector", "body > canvas")
	if !c.Truthy() {
		return func() {}
	}
	c.Call("setAttribute", "tabindex", "0")
	if panel := doc.Call("getElementById", "panel"); panel.Truthy() {
		doc.Get("body").Call("insertBefore", c, panel)
	}
	c.Call("setAttribute", "role", "application")
	c.Call("setAttribute", "aria-roledescription", "device world")
	c.Call("setAttribute", "aria-label", "The device world. Arrow keys select the nearest device that way, Enter inspects it in the panel, "+
		"Escape clears the selection; Shift and the arrows pan, plus and minus zoom, F fits the world; question mark lists the keys. "+
		"The panel's list of devices and links is the world as text.")
	// Ebitengine listens for the mouse on the canvas only: a drag released
	// over the panel would leave its button held, and the next move would
	// pan with no button down. Capturing the pointer keeps a drag's moves
	// and its release on the canvas wherever the pointer goes.
	return listen(c, "pointerdown", func(e js.Value) {
		if e.Get("pointerType").String() == "mouse" {
			c.Call("setPointerCapture", e.Get("pointerId"))
		}
	})
}

// watchTheme draws the world in the page's theme and follows it: the page
// tells of a change with a thingyard:theme event (the toggle, theme=, the
// system's setting).
func (a *app) watchTheme() {
	read := func() string {
		if t := js.Global().Get("document").Get("documentElement").Get("dataset").Get("theme"); t.Truthy() && t.String() == "light" {
			return "light"
		}
		return "dark"
	}
	a.setTheme(read())
	a.stops = append(a.stops, listen(js.Global().Get("document"), "thingyard:theme", func(js.Value) {
		select { // never block the page: the game loop takes it at its next update
		case a.theme <- read():
		default:
			<-a.theme
			a.theme <- read()
		}
	}))
}

func (a *app) setTheme(name string) {
	if name == "light" {
		a.r.SetTheme(&render.Light)
	} else {
		a.r.SetTheme(&render.Dark)
	}
	a.c.SetTheme(name)
}
