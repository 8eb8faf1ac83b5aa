//go:build js && wasm

package render

import (
	_ "embed"
	"image"
	"image/color"
	"sync"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wasm/render/internal/sprite"
)

// The atlas holds every shape the world is drawn with: an icon per device
// kind in each side's colour, and white discs, rings, a cross, a cloud and
// a dash that frames tint through vertex colours. Their shapes are drawn
// natively at build time (internal/spritegen, into sprites.bin) and
// coloured with the theme's palette when the atlas is first drawn from,
// in one write: the page draws no vector path. Below them is the glyph
// area, where text's glyphs are rasterised as they are first drawn
// (glyphs.go). A frame is then a few DrawTriangles calls over this one
// image, however many devices and labels there are.
const (
	cell     = sprite.Cell    // atlas cell size in pixels
	iconR    = sprite.IconR   // radius of an icon's disc inside its cell
	discR    = sprite.DiscR   // radius of the disc and ring sprites
	ringW    = sprite.RingW   // stroke width of the ring sprite
	cloudW   = sprite.CloudW  // the cloud spans two cells
	cloudS   = sprite.CloudS  // a cloud's puff unit
	dashLen  = sprite.DashLen // the dash pattern's length: 10 on, 6 off
	atlasW   = sprite.W       //
	atlasH   = 12 * cell      // four rows of cells, then the glyph area (glyphs.go)
	spriteY  = sprite.SpriteY // the row of white sprites
	kindCols = sprite.Kinds   // device kinds KindSensor..KindBoard
	sideRows = sprite.Sides   // M2M, IoT, any other side
	solidX   = sprite.SolidX  // centre of an opaque white block, for plain shapes
	solidY   = sprite.SolidY  //
	dashX    = sprite.DashX   // the dash pattern, once
	dashY    = sprite.DashY   //
	dashH    = 8              // its height
	// dashRun is the dash image's length: the pattern dashRuns times over,
	// so a dashed line samples it without wrapping (see batch.dashed): a
	// wrapping sampler is a shader of its own that the first frame would
	// wait for.
	dashRuns = 32
	dashRun  = dashRuns * dashLen
)

// Sprite cells in the bottom row.
const (
	spDisc      = sprite.Disc      // filled white disc
	spRing      = sprite.Ring      // white ring
	spThin      = sprite.Thin      // thin white ring, for radio range
	spCross     = sprite.Cross     // a white ×
	spCloud     = sprite.Cloud     // cloud silhouette (two cells wide)
	spCloudLine = sprite.CloudLine // cloud outline (two cells wide)
)

// sprites.bin is made by internal/spritegen (make sprites); a test there
// fails when it is not what the generator draws.
//
//go:generate go run ./internal/spritegen -o sprites.bin
//go:embed sprites.bin
var spritesBin []byte

// spriteMasks are the sprites' shapes, read from sprites.bin once.
var spriteMasks = sync.OnceValue(func() []byte {
	m, err := sprite.Decode(spritesBin)
	if err != nil {
		panic("render: sprites.bin: " + err.Error() + " (run go generate ./wasm/render)")
	}
	return m
})

// atlas is the image and where things are in it.
type atlas struct {
	img     *ebiten.Image
	dash    *ebiten.Image // the dash pattern dashRuns times over
	painted *Palette      // the palette its sprites are in, nil before the first paint
}

// newAtlas makes the atlas an image of its own (unmanaged): on ebiten's
// shared texture, whose first page is smaller than the atlas, its first
// write would make a page of 2048×2048 pixels and copy the old one into
// it, where its own texture is 1024×1536.
func newAtlas() *atlas {
	img := ebiten.NewImageWithOptions(image.Rect(0, 0, atlasW, atlasH), &ebiten.NewImageOptions{Unmanaged: true})
	return &atlas{img: img, dash: ebiten.NewImage(dashRun, dashH)}
}

// paint colours the sprites in the palette in use, when they are not yet:
// at the first frame, and after a change of theme.
func (a *atlas) paint() {
	if a.painted == col {
		return
	}
	a.painted = col
	pix := make([]byte, 4*sprite.W*sprite.H)
	sprite.Paint(pix, spriteMasks(), [sprite.Sides]color.RGBA{col.M2M, col.IoT, col.Other}, col.IconBody)
	a.img.SubImage(image.Rect(0, 0, sprite.W, sprite.H)).(*ebiten.Image).WritePixels(pix)
	run := make([]byte, 4*dashRun*dashH)
	for y := range dashH {
		from := pix[4*((dashY+y)*sprite.W+dashX):][:4*dashLen]
		for k := range dashRuns {
			copy(run[4*(y*dashRun+k*dashLen):], from)
		}
	}
	a.dash.WritePixels(run)
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
