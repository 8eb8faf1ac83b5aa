package scenes

import (
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
