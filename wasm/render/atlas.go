//go:build js && wasm

package render

import (
	"image"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/thingyard/thingyard/sim"
)

// The atlas holds every shape the world is drawn with, drawn once at start
// with ebiten/vector: an icon per device kind in each side's colour, and
// white discs, rings, a cross, a cloud and a dash that frames tint through
// vertex colours. Below them is the glyph area, where text's glyphs are
// rasterised as they are first drawn (glyphs.go). A frame is then a few
// DrawTriangles calls over this one image, however many devices and
// labels there are.
//
// Cells are larger than what they hold so that the smaller mipmap levels
// used when zoomed far out do not bleed one cell into the next.
const (
	cell     = 128        // atlas cell size in pixels
	iconR    = 45         // radius of an icon's disc inside its cell
	discR    = 44         // radius of the disc and ring sprites
	ringW    = 5          // stroke width of the ring sprite
	thinW    = 2          // stroke width of the thin ring sprite
	cloudW   = 2 * cell   // the cloud spans two cells
	cloudS   = 48         // a cloud's puff unit
	dashLen  = 16         // the dash pattern's length: 10 on, 6 off
	dashOn   = 10         //
	atlasW   = 8 * cell   //
	atlasH   = 12 * cell  // four rows of cells, then the glyph area (glyphs.go)
	spriteY  = 3 * cell   // the row of white sprites
	kindCols = 7          // device kinds KindSensor..KindBoard
	sideRows = 3          // M2M, IoT, any other side
	solidX   = 7*cell + 8 // centre of an opaque white block, for plain shapes
	solidY   = 8          //
	dashX    = 7 * cell   // the dash strip, sampled with wrapping
	dashY    = 40         //
)

// Sprite cells in the bottom row.
const (
	spDisc  = iota // filled white disc
	spRing         // white ring
	spThin         // thin white ring, for radio range
	spCross        // a white ×
	spCloud        // cloud silhouette (two cells wide)
	_
	spCloudLine // cloud outline (two cells wide)
)

// atlas is the image and where things are in it.
type atlas struct {
	img  *ebiten.Image
	dash *ebiten.Image // the dash strip as its own sub-image, for wrapping
}

func newAtlas() *atlas {
	img := ebiten.NewImage(atlasW, atlasH)
	for k := 0; k < kindCols; k++ {
		for s, c := range []color.RGBA{col.M2M, col.IoT, col.Other} {
			drawIcon(img, float32(k*cell+cell/2), float32(s*cell+cell/2), sim.Kind(k+1), c)
		}
	}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	cx := func(i int) float32 { return float32(i*cell + cell/2) }
	cy := float32(spriteY + cell/2)
	vector.FillCircle(img, cx(spDisc), cy, discR, white, true)
	vector.StrokeCircle(img, cx(spRing), cy, discR-ringW/2, ringW, white, true)
	vector.StrokeCircle(img, cx(spThin), cy, discR-thinW/2, thinW, white, true)
	const c = 34
	vector.StrokeLine(img, cx(spCross)-c, cy-c, cx(spCross)+c, cy+c, 14, white, true)
	vector.StrokeLine(img, cx(spCross)-c, cy+c, cx(spCross)+c, cy-c, 14, white, true)
	cloud(img, float32(spCloud*cell+cell), cy, cloudS, 0, white)
	cloud(img, float32(spCloudLine*cell+cell), cy, cloudS, 0, white)
	cloud(img, float32(spCloudLine*cell+cell), cy, cloudS, 5, color.RGBA{}) // hollow it out
	vector.FillRect(img, solidX-8, solidY-8, 16, 16, white, false)
	vector.FillRect(img, dashX, dashY, dashOn, 8, white, false)
	return &atlas{img: img, dash: img.SubImage(image.Rect(dashX, dashY, dashX+dashLen, dashY+8)).(*ebiten.Image)}
}

// cloud draws the internet's cloud: three puffs on a flat base, inset by
// in pixels. A transparent colour clears instead of painting, which turns a
// second, inset cloud into the hole of an outline.
func cloud(img *ebiten.Image, x, y, s, in float32, c color.RGBA) {
	var p vector.Path
	for _, q := range [][3]float32{{-0.7, 0.15, 0.6}, {0, -0.2, 0.8}, {0.75, 0.15, 0.6}} {
		p.Arc(x+q[0]*s, y+q[1]*s, q[2]*s-in, 0, 2*math.Pi, vector.Clockwise)
		p.Close()
	}
	p.MoveTo(x-0.7*s, y+0.15*s+in)
	p.LineTo(x+0.75*s, y+0.15*s+in)
	p.LineTo(x+0.75*s, y+0.75*s-in)
	p.LineTo(x-0.7*s, y+0.75*s-in)
	p.Close()
	op := &vector.DrawPathOptions{AntiAlias: true}
	if c.A == 0 {
		op.Blend = ebiten.BlendDestinationOut
	} else {
		op.ColorScale.ScaleWithColor(c)
	}
	vector.FillPath(img, &p, nil, op)
}

// cellRect is the source rectangle of a sprite: w cells wide in the sprite
// row.
func spriteRect(i, w int) image.Rectangle {
	return image.Rect(i*cell, spriteY, (i+w)*cell, spriteY+cell)
}

// iconRect is the source rectangle of a kind's icon in a side's colour.
func iconRect(k sim.Kind, side int) image.Rectangle {
	col := int(k) - 1
	if col < 0 || col >= kindCols {
		col = 0
	}
	row := min(max(side, 0), sideRows-1)
	return image.Rect(col*cell, row*cell, (col+1)*cell, (row+1)*cell)
}

// drawIcon draws a device kind's icon centred at x, y, in the colour of its
// side, on a dark disc: sensors show waves, actuators a valve, controllers
// a PLC module, gateways a diamond, brokers a cloud hub, apps a phone and
// real boards a chip with pins.
func drawIcon(img *ebiten.Image, x, y float32, k sim.Kind, c color.RGBA) {
	body := col.IconBody
	vector.FillCircle(img, x, y, iconR, body, true)
	vector.StrokeCircle(img, x, y, iconR-2.5, 5, c, true)
	cs := scaleOf(c)
	stroke := func(x0, y0, x1, y1 float32) { vector.StrokeLine(img, x+x0, y+y0, x+x1, y+y1, 5, c, true) }
	switch k {
	case sim.KindSensor:
		vector.FillCircle(img, x-12, y+10, 6, c, true)
		for i, rr := range []float32{14, 25} {
			var p vector.Path
			p.Arc(x-12, y+10, rr, -math.Pi/2, 0, vector.Clockwise)
			vector.StrokePath(img, &p, &vector.StrokeOptions{Width: 5 - float32(i), LineCap: vector.LineCapRound}, &vector.DrawPathOptions{AntiAlias: true, ColorScale: cs})
		}
	case sim.KindActuator:
		var p vector.Path
		p.MoveTo(x-20, y-8)
		p.LineTo(x+20, y+18)
		p.LineTo(x+20, y-8)
		p.LineTo(x-20, y+18)
		p.Close()
		vector.FillPath(img, &p, nil, &vector.DrawPathOptions{AntiAlias: true, ColorScale: cs})
		stroke(0, 5, 0, -18)
		stroke(-10, -18, 10, -18)
	case sim.KindController:
		vector.StrokeRect(img, x-22, y-20, 44, 40, 5, c, true)
		for i := float32(0); i < 3; i++ {
			vector.FillRect(img, x-14+i*11, y-10, 6, 6, c, true)
		}
		stroke(-14, 8, 14, 8)
	case sim.KindGateway:
		var p vector.Path
		p.MoveTo(x, y-24)
		p.LineTo(x+24, y)
		p.LineTo(x, y+24)
		p.LineTo(x-24, y)
		p.Close()
		vector.StrokePath(img, &p, &vector.StrokeOptions{Width: 5, LineJoin: vector.LineJoinRound}, &vector.DrawPathOptions{AntiAlias: true, ColorScale: cs})
		stroke(-12, 0, 12, 0)
		stroke(5, -6, 12, 0)
		stroke(5, 6, 12, 0)
	case sim.KindBroker:
		for _, q := range [][3]float32{{-12, 4, 11}, {2, -6, 14}, {15, 5, 10}} {
			vector.FillCircle(img, x+q[0], y+q[1], q[2], c, true)
		}
		vector.FillRect(img, x-12, y+4, 27, 11, c, true)
	case sim.KindApp:
		vector.StrokeRect(img, x-13, y-23, 26, 46, 5, c, true)
		vector.FillCircle(img, x, y+15, 3.5, c, true)
	case sim.KindBoard:
		vector.FillRect(img, x-16, y-16, 32, 32, c, true)
		for i := float32(0); i < 4; i++ {
			o := -12 + i*8
			stroke(o, -16, o, -25)
			stroke(o, 16, o, 25)
		}
	}
}

func scaleOf(c color.RGBA) ebiten.ColorScale {
	var s ebiten.ColorScale
	s.ScaleWithColor(c)
	return s
}
