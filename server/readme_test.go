package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's headless commands run as written: they name the binary
// make build makes (./bin/thingyard, never a bare thingyard on no PATH),
// the link line makes a link to the page its -base names, and every flag
// of sim and link is documented.
func TestREADMECommandsRun(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	scenesReadme, err := os.ReadFile("../scenes/README.md")
	if err != nil {
		t.Fatal(err)
	}
	bare := regexp.MustCompile("(^|[\\s`(])thingyard (sim|link|serve|version)\\b")
	for name, text := range map[string]string{"README.md": string(readme), "scenes/README.md": string(scenesReadme)} {
		for i, l := range strings.Split(text, "\n") {
			if bare.MatchString(l) {
				t.Errorf("%s:%d runs a bare thingyard (make build makes ./bin/thingyard): %s", name, i+1, l)
			}
		}
	}

	t.Chdir(t.TempDir()) // what the lines write (a -pcap file) lands there
	ran := 0
	for _, l := range strings.Split(string(readme), "\n") {
		cmd, ok := strings.CutPrefix(l, "./bin/thingyard ")
		if !ok || strings.Contains(l, "…") || !(strings.HasPrefix(cmd, "sim ") || strings.HasPrefix(cmd, "link ")) {
			continue
		}
		if i := strings.Index(cmd, "  #"); i >= 0 {
			cmd = cmd[:i]
		}
		args := strings.Fields(cmd)
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Errorf("%s: %v\n%s", l, err, errb.String())
			continue
		}
		ran++
		for i, a := range args {
			if a == "-base" && i+1 < len(args) && !strings.HasPrefix(out.String(), args[i+1]+"#") {
				t.Errorf("%s printed %q, not a link to %s", l, out.String(), args[i+1])
			}
		}
	}
	if ran < 3 {
		t.Errorf("ran %d of the README's sim and link lines, want its 3", ran)
	}

	flagName := regexp.MustCompile(`(?m)^\s+-([a-z][a-z-]*)`)
	for _, cmd := range []string{"sim", "link"} {
		var errb bytes.Buffer
		run(context.Background(), []string{cmd, "-h"}, &bytes.Buffer{}, &errb)
		flags := flagName.FindAllStringSubmatch(errb.String(), -1)
		if len(flags) < 3 {
			t.Fatalf("thingyard %s -h lists no flags:\n%s", cmd, errb.String())
		}
		for _, f := range flags {
			if !strings.Contains(string(readme), "-"+f[1]+" ") && !strings.Contains(string(readme), "-"+f[1]+"`") {
				t.Errorf("the README does not document thingyard %s -%s", cmd, f[1])
			}
		}
	}
}
