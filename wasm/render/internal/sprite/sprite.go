// Package sprite is the sprite part of the world's atlas: where each icon
// and white sprite is, and the file that holds their shapes, drawn once
// natively by spritegen and embedded in the page. The page colours the
// shapes with its theme's palette (Paint) and uploads them in one write,
// so it draws no vector path at start.
//
// The shapes are coverage masks, one byte a pixel, laid out as the atlas's
// top rows are:
//
//   - row 0, columns 0 to 6: the part of a device kind's icon drawn in its
//     side's colour (ring and symbol), for KindSensor to KindBoard;
//   - row 1, column 0: the icon's body, the disc under it;
//   - row 0, column 7: an opaque block and the dash strip, white;
//   - row 3: the white sprites (disc, rings, cross, clouds).
//
// Paint turns them into the atlas's rows 0 to 2 (a kind's icon per side)
// and row 3.
package sprite

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"image/color"
	"io"
)

// The atlas's layout. Cells are larger than what they hold so that the
// smaller mipmap levels used when zoomed far out do not bleed one cell
// into the next.
const (
	Cell    = 128        // atlas cell size in pixels
	W       = 8 * Cell   // the atlas's width
	H       = 4 * Cell   // the sprite part's height: three rows of icons, one of sprites
	IconR   = 45         // radius of an icon's disc inside its cell
	DiscR   = 44         // radius of the disc and ring sprites
	RingW   = 5          // stroke width of the ring sprite
	ThinW   = 2          // stroke width of the thin ring sprite
	CloudW  = 2 * Cell   // the cloud spans two cells
	CloudS  = 48         // a cloud's puff unit
	DashLen = 16         // the dash pattern's length: 10 on, 6 off
	DashOn  = 10         //
	SpriteY = 3 * Cell   // the row of white sprites
	Kinds   = 7          // device kinds KindSensor..KindBoard
	Sides   = 3          // M2M, IoT, any other side
	SolidX  = 7*Cell + 8 // centre of an opaque white block, for plain shapes
	SolidY  = 8          //
	DashX   = 7 * Cell   // the dash strip, sampled with wrapping
	DashY   = 40         //
	BodyX   = 0          // the icon body's mask, in the mask file
	BodyY   = Cell       //
)

// Sprite cells in the sprite row.
const (
	Disc      = iota // filled white disc
	Ring             // white ring
	Thin             // thin white ring, for radio range
	Cross            // a white ×
	Cloud            // cloud silhouette (two cells wide)
	_                //
	CloudLine        // cloud outline (two cells wide)
)

// magic starts the mask file; raw DEFLATE of the W×H coverage bytes
// follows.
const magic = "TYS1"

// Encode makes the mask file of W×H coverage bytes.
func Encode(mask []byte) ([]byte, error) {
	if len(mask) != W*H {
		return nil, fmt.Errorf("sprite: %d mask bytes, want %d×%d", len(mask), W, H)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	z, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := z.Write(mask); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode reads a mask file back into W×H coverage bytes.
func Decode(file []byte) ([]byte, error) {
	if len(file) < len(magic) || string(file[:len(magic)]) != magic {
		return nil, errors.New("sprite: not a sprite mask file (no " + magic + " at its start)")
	}
	z := flate.NewReader(bytes.NewReader(file[len(magic):]))
	defer z.Close()
	mask := make([]byte, W*H)
	if _, err := io.ReadFull(z, mask); err != nil {
		return nil, fmt.Errorf("sprite: mask file: %w", err)
	}
	if n, _ := z.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("sprite: mask file holds more than %d×%d bytes", W, H)
	}
	return mask, nil
}

// Paint writes the atlas's sprite part into pix, W×H premultiplied RGBA
// pixels: each kind's icon in each side's colour over a body of colour
// body (rows 0 to 2), the white block and dash strip, and the white
// sprites. Drawing the symbol over the body with source-over blending, as
// a painter would, gives colour c·m + body·b·(1−m) and coverage m + b·(1−m)
// for a symbol of coverage m over a body of coverage b.
func Paint(pix, mask []byte, sides [Sides]color.RGBA, body color.RGBA) {
	clear(pix)
	for s, c := range sides {
		for k := range Kinds {
			for y := range Cell {
				for x := range Cell {
					mb, bb := mask[y*W+k*Cell+x], mask[(BodyY+y)*W+BodyX+x]
					if mb == 0 && bb == 0 {
						continue // nothing here; pix is clear
					}
					m, b := float32(mb)/255, float32(bb)/255
					under := b * (1 - m)
					o := ((s*Cell+y)*W + k*Cell + x) * 4
					pix[o+0] = blend(c.R, m, body.R, under)
					pix[o+1] = blend(c.G, m, body.G, under)
					pix[o+2] = blend(c.B, m, body.B, under)
					pix[o+3] = blend(255, m, 255, under)
				}
			}
		}
	}
	white := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				v := mask[y*W+x]
				o := (y*W + x) * 4
				pix[o], pix[o+1], pix[o+2], pix[o+3] = v, v, v, v
			}
		}
	}
	white(Kinds*Cell, 0, W, Cell)
	white(0, SpriteY, W, SpriteY+Cell)
}

// blend is a channel of colour a at coverage ma over colour b at coverage
// mb, premultiplied, rounded.
func blend(a uint8, ma float32, b uint8, mb float32) uint8 {
	return uint8(float32(a)*ma + float32(b)*mb + 0.5)
}
