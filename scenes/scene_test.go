package scenes_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/scenes"
)

func TestParseReportsEveryErrorWithPosition(t *testing.T) {
	src := `title: Broken
devices:
  - {id: plc, kind: controller}
  - {id: s1, kind: toaster}
  - id: s2
    kind: sensor
    colour: red
links:
  - {id: bus, medium: rs485, members: [plc, s1, ghost]}
  - {id: air, medium: pigeon, members: [plc, s2]}
rules:
  - {where: s2, sensor: s1, above: 1, actuator: plc}
`
	_, err := scenes.Parse("broken.yaml", []byte(src))
	var es scenes.Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse: %v, want scenes.Errors", err)
	}
	// colour is unknown, so the values are not checked yet; fix it and
	// the world's errors appear, each at its line and column.
	if len(es) != 1 || es[0].Line != 7 || es[0].Col != 5 || !strings.Contains(es[0].Msg, "valid:") {
		t.Fatalf("errors %v, want one at 7:5 naming the valid fields", err)
	}
	_, err = scenes.Parse("broken.yaml", []byte(strings.Replace(src, "    colour: red\n", "", 1)))
	if !errors.As(err, &es) {
		t.Fatalf("Parse: %v", err)
	}
	want := []string{
		"broken.yaml:4:20: devices[1].kind: unknown kind \"toaster\" (valid: sensor",
		"broken.yaml:8:49: links[0].members[2]: no device \"ghost\"",
		"broken.yaml:9:23: links[1].medium: unknown medium \"pigeon\" (valid: rs232",
		"broken.yaml:11:13: rules[0].where: \"s2\" is a sensor",
		"broken.yaml:11:49: rules[0].actuator: \"plc\" is a controller",
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}

func TestParseBadYAML(t *testing.T) {
	for name, src := range map[string]string{
		"tabs":   "devices:\n\t- {id: a}\n",
		"type":   "devices:\n  - {id: a, kind: sensor, x: far}\n",
		"empty":  "",
		"scalar": "42\n",
	} {
		_, err := scenes.Parse(name+".yaml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), name+".yaml:") {
			t.Errorf("%s: err = %v, want an error naming the file and line", name, err)
		}
	}
	if _, err := scenes.Parse("big.yaml", make([]byte, scenes.MaxFileSize+1)); !errors.Is(err, scenes.ErrTooLarge) {
		t.Errorf("oversize file: %v", err)
	}
}

func TestBuiltinsParseAndRoundTrip(t *testing.T) {
	for _, n := range scenes.Names() {
		sc, err := scenes.Builtin(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if sc.Name != n || sc.Title == "" || len(sc.Lesson) < 80 || len(sc.Try) == 0 {
			t.Errorf("%s: name %q, title %q, lesson %d chars, %d things to try", n, sc.Name, sc.Title, len(sc.Lesson), len(sc.Try))
		}
		out, err := scenes.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := scenes.Parse(n+".yaml", out)
		if err != nil {
			t.Fatalf("%s: marshalled scene does not parse: %v\n%s", n, err, out)
		}
		if len(again.Devices) != len(sc.Devices) || again.Lesson != sc.Lesson {
			t.Errorf("%s: round trip changed the scene", n)
		}
	}
	if _, err := scenes.Builtin("nope"); err == nil || !strings.Contains(err.Error(), "overview") {
		t.Errorf("unknown built-in: %v, want the list of built-ins", err)
	}
}

// The protocols lesson sends people to the event list and to Wireshark
// with its capture.
func TestProtocolsLessonUsesTheEventList(t *testing.T) {
	sc, err := scenes.Builtin("protocols")
	if err != nil {
		t.Fatal(err)
	}
	want := "Open the event list, filter MQTT, download the capture and open it in Wireshark."
	for _, s := range sc.Try {
		if s == want {
			return
		}
	}
	t.Fatalf("the protocols scene's things to try are %q: none says %q", sc.Try, want)
}
