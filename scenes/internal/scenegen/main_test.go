package main

import (
	"testing"

	"github.com/thingyard/thingyard/internal/gencmd"
)

// The committed default_gen.go is what this generator makes, so the
// default scene's Go value cannot go stale when its YAML changes.
func TestCommittedSceneIsFresh(t *testing.T) {
	gencmd.CheckFresh(t, "../../default_gen.go", "scenes/default_gen.go", "make scenes", Generate)
}
