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
	"encoding/binary"
	"errors"
	"fmt"
	"image/color"
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

// magic starts the mask file; the W×H coverage bytes follow as they are.
// They are not compressed: the page's program is served compressed as a
// whole, which shrinks the mostly empty masks as well as DEFLATE did, and
// inflating them in the page took longer than colouring them (about 20 ms
// at the first frame in Chromium).
const magic = "TYS2"

// Encode makes the mask file of W×H coverage bytes.
func Encode(mask []byte) ([]byte, error) {
	if len(mask) != W*H {
		return nil, fmt.Errorf("sprite: %d mask bytes, want %d×%d", len(mask), W, H)
	}
	return append([]byte(magic), mask...), nil
}

// Decode gives the W×H coverage bytes of a mask file: a part of file, not a
// copy, so neither may be changed while the other is in use.
func Decode(file []byte) ([]byte, error) {
	if len(file) < len(magic) || string(file[:len(magic)]) != magic {
		return nil, errors.New("sprite: not a sprite mask file (no " + magic + " at its start; run make sprites)")
	}
	if n := len(file) - len(magic); n != W*H {
		return nil, fmt.Errorf("sprite: the mask file holds %d bytes after its magic, want %d×%d", n, W, H)
	}
	return file[len(magic):], nil
}

// Paint writes the atlas's sprite part into pix, W×H premultiplied RGBA
// pixels: each kind's icon in each side's colour over a body of colour
// body (rows 0 to 2), the white block and dash strip, and the white
// sprites. Drawing the symbol over the body with source-over blending, as
// a painter would, gives colour c·m + body·b·(1−m) and coverage m + b·(1−m)
// for a symbol of coverage m over a body of coverage b.
func Paint(pix, mask []byte, sides [Sides]color.RGBA, body color.RGBA) {
	clear(pix)
	// Most of an icon is inside the symbol or the body alone, where the
	// blend is a colour as it is: those pixels are written whole. This
	// runs at the page's first frame, before WebAssembly's optimising
	// compiler has seen it, so the blend is kept for the edges.
	bodyPix := binary.LittleEndian.Uint32([]byte{body.R, body.G, body.B, 255})
	for s, c := range sides {
		sidePix := binary.LittleEndian.Uint32([]byte{c.R, c.G, c.B, 255})
		for k := range Kinds {
			for y := range Cell {
				sym := mask[y*W+k*Cell:][:Cell]
				bod := mask[(BodyY+y)*W+BodyX:][:Cell]
				out := pix[((s*Cell+y)*W+k*Cell)*4:][:4*Cell]
				for x := range Cell {
					mb, bb := sym[x], bod[x]
					switch {
					case mb == 255:
						binary.LittleEndian.PutUint32(out[4*x:], sidePix)
					case mb == 0 && bb == 255:
						binary.LittleEndian.PutUint32(out[4*x:], bodyPix)
					case mb == 0 && bb == 0:
						// nothing here; pix is clear
					default:
						m, b := float32(mb)/255, float32(bb)/255
						under := b * (1 - m)
						o := out[4*x:][:4]
						o[0] = blend(c.R, m, body.R, under)
						o[1] = blend(c.G, m, body.G, under)
						o[2] = blend(c.B, m, body.B, under)
						o[3] = blend(255, m, 255, under)
					}
				}
			}
		}
	}
	white := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			row := mask[y*W+x0 : y*W+x1]
			out := pix[(y*W+x0)*4:][:4*len(row)]
			for x, v := range row {
				if v != 0 {
					binary.LittleEndian.PutUint32(out[4*x:], uint32(v)*0x01010101)
				}
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
