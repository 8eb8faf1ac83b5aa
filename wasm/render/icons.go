//go:build js && wasm

package render

import (
	"image/color"
	"math"
	"strconv"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/thingyard/thingyard/sim"
)

// drawIcon draws a device kind's icon once, in the colour of its side, on a
// dark disc: sensors show waves, actuators a valve, controllers a PLC
// module, gateways a diamond, brokers a cloud hub, apps a phone and real
// boards a chip with pins.
func drawIcon(k sim.Kind, c color.RGBA) *ebiten.Image {
	img := ebiten.NewImage(iconPx, iconPx)
	const m = iconPx / 2
	body := color.RGBA{0x1b, 0x24, 0x33, 0xff}
	vector.FillCircle(img, m, m, m-3, body, true)
	vector.StrokeCircle(img, m, m, m-4, 5, c, true)
	stroke := func(x0, y0, x1, y1 float32) { vector.StrokeLine(img, x0, y0, x1, y1, 5, c, true) }
	switch k {
	case sim.KindSensor:
		vector.FillCircle(img, m-14, m+10, 6, c, true)
		for i, rr := range []float32{16, 28} {
			var p vector.Path
			p.Arc(m-14, m+10, rr, -math.Pi/2, 0, vector.Clockwise)
			vector.StrokePath(img, &p, &vector.StrokeOptions{Width: 5 - float32(i)}, &vector.DrawPathOptions{AntiAlias: true, ColorScale: scaleOf(c)})
		}
	case sim.KindActuator:
		var p vector.Path
		p.MoveTo(m-22, m-14)
		p.LineTo(m+22, m+14)
		p.LineTo(m+22, m-14)
		p.LineTo(m-22, m+14)
		p.Close()
		vector.FillPath(img, &p, nil, &vector.DrawPathOptions{AntiAlias: true, ColorScale: scaleOf(c)})
		stroke(m, m, m, m-24)
		stroke(m-10, m-24, m+10, m-24)
	case sim.KindController:
		vector.StrokeRect(img, m-22, m-20, 44, 40, 5, c, true)
		for i := float32(0); i < 3; i++ {
			vector.FillRect(img, m-14+i*11, m-10, 6, 6, c, true)
		}
		stroke(m-14, m+8, m+14, m+8)
	case sim.KindGateway:
		var p vector.Path
		p.MoveTo(m, m-24)
		p.LineTo(m+24, m)
		p.LineTo(m, m+24)
		p.LineTo(m-24, m)
		p.Close()
		vector.StrokePath(img, &p, &vector.StrokeOptions{Width: 5, LineJoin: vector.LineJoinRound}, &vector.DrawPathOptions{AntiAlias: true, ColorScale: scaleOf(c)})
		stroke(m-12, m, m+12, m)
	case sim.KindBroker:
		for _, q := range [][3]float32{{-12, 4, 11}, {2, -6, 14}, {15, 5, 10}} {
			vector.FillCircle(img, m+q[0], m+q[1], q[2], c, true)
		}
		vector.FillRect(img, m-12, m+4, 27, 11, c, true)
	case sim.KindApp:
		vector.StrokeRect(img, m-13, m-23, 26, 46, 5, c, true)
		vector.FillCircle(img, m, m+15, 3.5, c, true)
	case sim.KindBoard:
		vector.FillRect(img, m-16, m-16, 32, 32, c, true)
		for i := float32(0); i < 4; i++ {
			o := m - 12 + i*8
			stroke(o, m-16, o, m-25)
			stroke(o, m+16, o, m+25)
		}
	}
	return img
}

func scaleOf(c color.RGBA) ebiten.ColorScale {
	var s ebiten.ColorScale
	s.ScaleWithColor(c)
	return s
}

var slowCache struct {
	f float64
	s string
}

// slowCaption says how much the world is slowed for visibility, built only
// when the factor changes.
func slowCaption(f float64) string {
	if slowCache.f != f {
		slowCache.f = f
		slowCache.s = "time slowed " + strconv.FormatFloat(f, 'f', 0, 64) + "× so messages can be followed"
	}
	return slowCache.s
}
