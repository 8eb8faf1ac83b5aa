package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed sprites.bin is what this generator draws, so it cannot go
// stale when an icon's drawing changes.
func TestCommittedSpritesAreFresh(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../sprites.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("wasm/render/sprites.bin (%d bytes) is not what spritegen makes (%d bytes): run make sprites", len(got), len(want))
	}
}
