package scenes

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestNamesListsEveryScene: Names is written by hand (it is the order a
// person meets the scenes in), so a scene file added without a line there
// would be embedded and never offered; and a name there without a file
// would fail to load.
func TestNamesListsEveryScene(t *testing.T) {
	ents, err := builtinFS.ReadDir("builtin")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		files = append(files, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	names := slices.Clone(Names())
	slices.Sort(files)
	slices.Sort(names)
	if !slices.Equal(files, names) {
		t.Errorf("the built-in scene files are %v, but Names lists %v", files, names)
	}
}

// The default scene made at build time (default_gen.go) is what parsing
// its YAML gives, and each call makes a copy of its own: a caller that
// changes it changes nothing for the next.
func TestTheDefaultSceneIsItsYAML(t *testing.T) {
	src, err := Source(Default)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(Default+".yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	made, err := Builtin(Default)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(made, parsed) {
		t.Fatalf("the built-in %s is not its YAML: run make scenes\n made %+v\nparsed %+v", Default, made, parsed)
	}
	made.Devices[0].Label = "changed"
	made.Links = made.Links[:0]
	again, _ := Builtin(Default)
	if !reflect.DeepEqual(again, parsed) {
		t.Fatal("changing one copy of the default scene changed the next")
	}
}
