package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed glyphs.bin is what this generator makes of the fonts, so
// it cannot go stale when the generator or the set of characters changes.
func TestCommittedGlyphsAreFresh(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../glyphs.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("wasm/render/glyphs.bin (%d bytes) is not what glyphgen makes (%d bytes): run make glyphs", len(got), len(want))
	}
}
