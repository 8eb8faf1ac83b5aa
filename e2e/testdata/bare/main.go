//go:build js && wasm

// Command bare is the baseline of make bench: the smallest Ebitengine page
// that animates something, counting frames the way Thingyard does.
package main

import (
	"image/color"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
)

type game struct{ n int }

func (g *game) Update() error { g.n++; return nil }

func (g *game) Draw(s *ebiten.Image) {
	s.Fill(color.RGBA{15, 20, 28, 255})
	x := float32(g.n % 600)
	vector.FillRect(s, x, 100, 80, 80, color.RGBA{79, 195, 247, 255}, false)
	st := js.Global().Get("thingyard")
	st.Set("frames", st.Get("frames").Int()+1)
	st.Set("ready", true)
}

func (g *game) Layout(w, h int) (int, int) { return w, h }

func main() {
	st := js.Global().Get("Object").New()
	st.Set("frames", 0)
	js.Global().Set("thingyard", st)
	ebiten.RunGame(&game{})
}
