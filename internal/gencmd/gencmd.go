// Package gencmd is what Thingyard's build-time generators share (the
// glyphs, the sprites, the default scene): a command that writes the file
// it makes, and the test that the committed file is what it makes now.
package gencmd

import (
	"bytes"
	"flag"
	"log"
	"os"
	"testing"
)

// Main writes what generate makes to the file named by -o (out when not
// given), and exits on an error.
func Main(out string, generate func() ([]byte, error)) {
	o := flag.String("o", out, "file to write")
	flag.Parse()
	b, err := generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*o, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// CheckFresh fails t when file, as committed, is not what generate makes:
// name is the file as a person knows it, remake the command that makes it
// again.
func CheckFresh(t testing.TB, file, name, remake string, generate func() ([]byte, error)) {
	t.Helper()
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s (%d bytes) is not what its generator makes now (%d bytes): run %s", name, len(got), len(want), remake)
	}
}
