//go:build js && wasm

package main

import (
	"strconv"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/wasm/ui"
)

// pictures takes the world away for slides and homework: a PNG of the
// canvas at its device pixel ratio, and a WebM clip of it recorded with
// the browser's MediaRecorder.
type pictures struct {
	want bool   // take a picture at the end of the next frame
	url  string // the object URL of the last download, revoked at the next

	rec    js.Value // the MediaRecorder while recording
	chunks js.Value // the clip's parts so far (an Array of Blobs)
	bytes  int64    // their size
	start  float64  // performance.now() at the start, ms
	funcs  []js.Func
}

// clipFPS is the frame rate a clip is recorded at (30).
const clipFPS = 30

// clipSlice is how often, in ms, the recorder hands over what it has
// recorded, so the size shown grows while recording (1,000).
const clipSlice = 1000

// fileName is the name of a download of the world: thingyard-SCENE.ext.
func (a *app) fileName(ext string) string {
	name := a.c.Name()
	if name == "" {
		name = "scene"
	}
	return "thingyard-" + name + "." + ext
}

// takePicture saves the frame just drawn as a PNG, pixel for pixel.
func (a *app) takePicture(screen *ebiten.Image) {
	a.pics.want = false
	b := screen.Bounds()
	w, h := b.Dx(), b.Dy()
	px := make([]byte, 4*w*h)
	screen.ReadPixels(px)
	doc := js.Global().Get("document")
	u8 := js.Global().Get("Uint8Array").New(len(px))
	js.CopyBytesToJS(u8, px)
	data := js.Global().Get("ImageData").New(js.Global().Get("Uint8ClampedArray").New(u8.Get("buffer")), w, h)
	c := doc.Call("createElement", "canvas")
	c.Set("width", w)
	c.Set("height", h)
	c.Call("getContext", "2d").Call("putImageData", data, 0, 0)
	name := a.fileName("png")
	var done js.Func
	done = js.FuncOf(func(_ js.Value, args []js.Value) any {
		defer done.Release()
		if !args[0].Truthy() {
			a.pics.note(a, "The picture could not be made.")
			return nil
		}
		a.download(args[0], name)
		a.pics.note(a, "Saved "+name+" ("+strconv.Itoa(w)+"×"+strconv.Itoa(h)+" pixels).")
		return nil
	})
	c.Call("toBlob", done, "image/png")
}

// note says what became of a picture or clip, from a browser callback.
func (p *pictures) note(a *app, s string) {
	if a.env != nil {
		a.env.Lock()
		defer a.env.UnlockRender()
	}
	a.c.Model().PictureNote = s
}

// download hands a blob to the browser as a file.
func (a *app) download(blob js.Value, name string) {
	u := js.Global().Get("URL")
	if a.pics.url != "" {
		u.Call("revokeObjectURL", a.pics.url)
	}
	a.pics.url = u.Call("createObjectURL", blob).String()
	doc := js.Global().Get("document")
	link := doc.Call("createElement", "a")
	link.Set("href", a.pics.url)
	link.Set("download", name)
	doc.Get("body").Call("appendChild", link)
	link.Call("click")
	link.Call("remove")
}

// clipType is the first WebM type the browser records, or "".
func clipType() string {
	mr := js.Global().Get("MediaRecorder")
	if !mr.Truthy() {
		return ""
	}
	for _, t := range []string{"video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"} {
		if mr.Call("isTypeSupported", t).Bool() {
			return t
		}
	}
	return ""
}

// toggleRecord starts recording the canvas, or stops and downloads the
// clip.
func (a *app) toggleRecord() {
	p := &a.pics
	if p.rec.Truthy() {
		p.rec.Call("stop") // its stop event downloads the clip
		return
	}
	canvas := js.Global().Get("document").Call("querySelector", "body > canvas")
	typ := clipType()
	if !canvas.Truthy() || !canvas.Get("captureStream").Truthy() || typ == "" {
		a.c.Model().PictureNote = "This browser cannot record the world as a WebM clip; Save picture still works."
		return
	}
	opts := js.Global().Get("Object").New()
	opts.Set("mimeType", typ)
	rec := js.Global().Get("MediaRecorder").New(canvas.Call("captureStream", clipFPS), opts)
	p.rec, p.chunks, p.bytes = rec, js.Global().Get("Array").New(), 0
	p.start = js.Global().Get("performance").Call("now").Float()
	name := a.fileName("webm")
	onData := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if d := args[0].Get("data"); d.Truthy() && d.Get("size").Int() > 0 {
			p.chunks.Call("push", d)
			p.bytes += int64(d.Get("size").Int())
		}
		return nil
	})
	onStop := js.FuncOf(func(js.Value, []js.Value) any {
		opts := js.Global().Get("Object").New()
		opts.Set("type", "video/webm")
		clip := js.Global().Get("Blob").New(p.chunks, opts)
		size := int64(clip.Get("size").Int())
		a.download(clip, name)
		tracks := rec.Get("stream").Call("getTracks")
		for i := range tracks.Length() {
			tracks.Index(i).Call("stop")
		}
		for _, f := range p.funcs {
			defer f.Release()
		}
		p.funcs, p.rec, p.chunks = nil, js.Value{}, js.Value{}
		p.note(a, "Saved "+name+" ("+ui.SizeText(size)+").")
		return nil
	})
	p.funcs = []js.Func{onData, onStop}
	rec.Call("addEventListener", "dataavailable", onData)
	rec.Call("addEventListener", "stop", onStop)
	rec.Call("start", clipSlice)
	a.c.Model().PictureNote = ""
}

// refreshPictures shows how long and how big the clip being recorded is:
// the controller calls it under the panels' lock.
func (a *app) refreshPictures(m *ui.Model) {
	p := &a.pics
	m.Recording = p.rec.Truthy()
	if m.Recording {
		m.RecordBytes = p.bytes
		m.RecordMs = int64(perfNow() - p.start)
	}
}
