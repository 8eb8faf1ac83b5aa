package scenes_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// Every built-in scene validates against the JSON Schema (draft 2020-12)
// that editors use, and the schema refuses what Parse refuses.
func TestSchemaAcceptsBuiltins(t *testing.T) {
	data, err := os.ReadFile("scene.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("scene.schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("scene.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("scene.schema.json")
	if err != nil {
		t.Fatalf("compile the schema: %v", err)
	}
	check := func(name string, src []byte) error {
		var doc any
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(doc)
		var v any
		json.Unmarshal(j, &v)
		return schema.Validate(v)
	}
	for _, n := range scenes.Names() {
		src, _ := scenes.Source(n)
		if err := check(n, src); err != nil {
			t.Errorf("%s does not match the schema: %v", n, err)
		}
	}
	for name, src := range map[string]string{
		"unknown field": "devices: [{id: a, kind: sensor, colour: red}]\n",
		"unknown kind":  "devices: [{id: a, kind: toaster}]\n",
		"bad medium":    "devices: []\nlinks: [{id: l, medium: pigeon, members: [a, b]}]\n",
	} {
		if err := check(name, []byte(src)); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
		if _, err := scenes.Parse(name, []byte(src)); err == nil {
			t.Errorf("%s: Parse accepts it", name)
		}
	}
	// The schema and the simulator bound a sampling period alike.
	for period, ok := range map[int]bool{sim.MaxPeriodMs: true, sim.MaxPeriodMs + 1: false} {
		src := fmt.Sprintf("devices: [{id: a, kind: sensor, period_ms: %d}]\n", period)
		_, perr := scenes.Parse("period", []byte(src))
		if serr := check("period", []byte(src)); (serr == nil) != ok || (perr == nil) != ok {
			t.Errorf("period_ms %d: the schema says %v and Parse says %v; want both to accept it: %v", period, serr, perr, ok)
		}
	}
}
