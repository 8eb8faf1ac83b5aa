package main

import (
	"testing"

	"github.com/thingyard/thingyard/internal/gencmd"
)

// The committed glyphs.bin is what this generator makes of the fonts, so
// it cannot go stale when the generator or the set of characters changes.
func TestCommittedGlyphsAreFresh(t *testing.T) {
	gencmd.CheckFresh(t, "../../glyphs.bin", "wasm/render/glyphs.bin", "make glyphs", Generate)
}
