//go:build js && wasm

package render

import (
	"fmt"
	"testing"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
)

// grown is the overview grown by n sensors over cellular, a renderer that
// has drawn it once, and its screen.
func grown(b *testing.B, n int) (*sim.World, *Renderer, *ebiten.Image, *sim.View) {
	b.Helper()
	w, err := sim.New(sim.Demo(), 1)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Apply(sim.Action{Kind: sim.ActAdd, Link: "mobile", DeviceKind: "sensor", Count: n}); err != nil {
		b.Fatal(err)
	}
	w.Step(3000)
	r := New()
	r.Layout(920, 800)
	screen := ebiten.NewImage(920, 800)
	var v sim.View
	w.View(&v)
	r.Update(&v)
	r.Draw(screen, &v)
	return w, r, screen, &v
}

// BenchmarkFrame is what the renderer's Go code costs per frame, with the
// camera still and while panning (which copies the cached layer and draws
// it again each time the pan leaves it), as the world moves. The GPU's
// share is for make bench-browser to measure.
func BenchmarkFrame(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		for _, pan := range []bool{false, true} {
			b.Run(fmt.Sprintf("devices=%d/panning=%v", n, pan), func(b *testing.B) {
				w, r, screen, v := grown(b, n)
				b.ReportAllocs()
				for b.Loop() {
					w.Step(2)
					w.View(v)
					if pan {
						r.Cam.Pan(1, 0)
					}
					r.Draw(screen, v)
				}
			})
		}
	}
}

// BenchmarkFrameParts splits a frame of 10,000 devices into its parts.
func BenchmarkFrameParts(b *testing.B) {
	_, r, screen, v := grown(b, 10000)
	b.Run("cached layer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.drawStatic(r.still.img, v, 0)
		}
	})
	b.Run("legend", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.drawBand(screen)
		}
	})
	b.Run("messages and busy rings", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.fg.reset()
			r.crowd.begin(r.Cam.W, r.Cam.H, r.dpr)
			for i := range v.Messages {
				r.drawMessage(v, &v.Messages[i])
			}
			for i := range v.Devices {
				r.drawDeviceState(v, int32(i))
			}
		}
	})
	b.Run("cache key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.staticKey(v)
		}
	})
}
