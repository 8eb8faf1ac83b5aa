package main

import (
	"testing"

	"github.com/thingyard/thingyard/internal/gencmd"
)

// The committed sprites.bin is what this generator draws, so it cannot go
// stale when an icon's drawing changes.
func TestCommittedSpritesAreFresh(t *testing.T) {
	gencmd.CheckFresh(t, "../../sprites.bin", "wasm/render/sprites.bin", "make sprites", Generate)
}
