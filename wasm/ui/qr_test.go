package ui

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"rsc.io/qr"
)

func TestQRSVG(t *testing.T) {
	link := "http://192.168.1.20:8080/#s=1LMoxCgJBDEDRu_x6OhvJVUQkJinChiw4qyDL3N3G_p00wjQtfWbl8WWgyO1ky3YEdWdQ2RuCRRUD2999INfLwOOTFo8"
	svg := QRSVG(link)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	code, _ := qr.Encode(link, qr.L)
	dark := 0
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				dark++
			}
		}
	}
	if got := strings.Count(svg, "h1v1h-1z"); got != dark || dark == 0 {
		t.Errorf("%d modules drawn, the code has %d dark", got, dark)
	}
	// The three finder patterns: the top-left 7×7 square's corners are dark.
	for _, p := range [][2]int{{0, 0}, {6, 0}, {0, 6}, {code.Size - 1, 0}, {0, code.Size - 1}} {
		if !code.Black(p[0], p[1]) || !strings.Contains(svg, "M"+itoa(p[0]+4)+" "+itoa(p[1]+4)+"h1") {
			t.Errorf("finder module %v missing", p)
		}
	}
	if QRSVG(strings.Repeat("x", 5000)) != "" {
		t.Error("a text too long for a QR code gave one")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
