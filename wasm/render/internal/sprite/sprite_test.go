package sprite

import (
	"bytes"
	"image/color"
	"os"
	"strings"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	mask := make([]byte, W*H)
	for i := range mask {
		mask[i] = byte(i * 7)
	}
	file, err := Encode(mask)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, mask) {
		t.Error("a mask read back differs from the one written")
	}
	if _, err := Encode(mask[1:]); err == nil {
		t.Error("Encode took a mask of the wrong size")
	}
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "no TYS2"},
		{"other file", []byte("\x89PNG\r\n"), "no TYS2"},
		{"the older, deflated file", []byte("TYS1\x00\x00"), "no TYS2"},
		{"cut short", file[:len(file)/2], "want 1024×512"},
		{"longer", append(file, 0), "holds 524289 bytes"},
	} {
		if _, err := Decode(c.file); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// A kind's icon is its symbol in its side's colour over the body: where
// the symbol covers, the side's colour; where only the body does, the
// body's; at the symbol's soft edge, the two mixed; elsewhere nothing.
func TestPaint(t *testing.T) {
	mask := make([]byte, W*H)
	const k = 3 // the gateway's column
	set := func(x, y int, sym, body byte) {
		mask[y*W+k*Cell+x] = sym
		mask[(BodyY+y)*W+BodyX+x] = body
	}
	set(10, 10, 255, 255) // symbol over the body
	set(11, 10, 0, 255)   // body alone
	set(12, 10, 128, 255) // the symbol's edge
	set(13, 10, 0, 0)     // outside
	mask[SpriteY*W+5] = 200
	sides := [Sides]color.RGBA{{200, 100, 0, 255}, {0, 100, 200, 255}, {150, 120, 210, 255}}
	body := color.RGBA{20, 30, 40, 255}
	pix := make([]byte, 4*W*H)
	Paint(pix, mask, sides, body)
	at := func(x, y int) color.RGBA {
		o := (y*W + x) * 4
		return color.RGBA{pix[o], pix[o+1], pix[o+2], pix[o+3]}
	}
	for s, c := range sides {
		y := s*Cell + 10
		for _, want := range []struct {
			x    int
			want color.RGBA
		}{
			{10, c},
			{11, body},
			{12, color.RGBA{mix(c.R, body.R), mix(c.G, body.G), mix(c.B, body.B), 255}},
			{13, color.RGBA{}},
		} {
			if got := at(k*Cell+want.x, y); got != want.want {
				t.Errorf("side %d, pixel %d: %v, want %v", s, want.x, got, want.want)
			}
		}
	}
	if got, want := at(5, SpriteY), (color.RGBA{200, 200, 200, 200}); got != want {
		t.Errorf("a white sprite's pixel: %v, want %v (white, premultiplied)", got, want)
	}
}

// mix is half of a over half of b, as Paint rounds it.
func mix(a, b uint8) uint8 {
	m := float32(128) / 255
	return uint8(float32(a)*m + float32(b)*(1-m) + 0.5)
}

// BenchmarkPaint is what the page does with the sprites at its first
// frame: read the committed mask file and colour it.
func BenchmarkPaint(b *testing.B) {
	file, err := os.ReadFile("../../sprites.bin")
	if err != nil {
		b.Fatal(err)
	}
	pix := make([]byte, 4*W*H)
	sides := [Sides]color.RGBA{{242, 169, 59, 255}, {79, 195, 247, 255}, {179, 157, 219, 255}}
	for b.Loop() {
		mask, err := Decode(file)
		if err != nil {
			b.Fatal(err)
		}
		Paint(pix, mask, sides, color.RGBA{27, 36, 51, 255})
	}
}
