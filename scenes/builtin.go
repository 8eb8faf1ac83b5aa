package scenes

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Default is the scene Thingyard opens with.
const Default = "overview"

// Names lists the built-in scenes in the order a person meets them.
func Names() []string {
	return []string{"overview", "standards", "scalability", "intelligence", "connection", "protocols",
		"internet-outage", "scope", "open-api", "business", "real-board"}
}

// Builtin returns a built-in scene by name, made afresh so callers may
// change it.
func Builtin(name string) (*Scene, error) {
	if name == Default {
		// Parsed at build time (default_gen.go, made by scenegen): the
		// page opens with it without parsing YAML.
		return defaultScene(), nil
	}
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("scenes: no built-in scene %q (built-ins: %s)", name, strings.Join(Names(), ", "))
	}
	return Parse(name+".yaml", data)
}

// Source returns a built-in scene's YAML, for the scene editor.
func Source(name string) ([]byte, error) {
	return builtinFS.ReadFile("builtin/" + name + ".yaml")
}

// Summary is a built-in scene's name, title and one-line lesson, for the
// scene picker.
type Summary struct {
	Name, Title, Line string
}

// Summaries describes every built-in scene.
func Summaries() []Summary {
	out := make([]Summary, 0, len(Names()))
	for _, n := range Names() {
		sc, err := Builtin(n)
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(sc.Lesson, ". ")
		out = append(out, Summary{Name: n, Title: sc.Title, Line: line + "."})
	}
	return out
}
