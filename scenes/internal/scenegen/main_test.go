package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed default_gen.go is what this generator makes, so the
// default scene's Go value cannot go stale when its YAML changes.
func TestCommittedSceneIsFresh(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../default_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("scenes/default_gen.go (%d bytes) is not what scenegen makes (%d bytes): run make scenes", len(got), len(want))
	}
}
