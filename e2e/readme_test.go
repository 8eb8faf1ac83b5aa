package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeScriptTime bounds one of the README's scripts (3 min): a cluster
// electing its leaders and three servers waiting for it take seconds, and
// a server waits a minute at most for JetStream.
const readmeScriptTime = 3 * time.Minute

// The README's "Beyond one machine" shell scripts run as written: two
// servers sharing one's embedded JetStream, and three servers on a
// three-node NATS cluster. Each runs in a network namespace of its own (so
// the README's fixed ports meet nothing else on the machine) and a PID
// namespace that ends every process it started; each must print a room
// made on one server and acted on through another, at seq 1.
func TestReadmeBeyondOneMachine(t *testing.T) {
	for _, tool := range []string{"unshare", "ip", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: run make deps (or: sudo apt-get install util-linux iproute2 curl)", tool)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := docSection(string(readme), "## Beyond one machine")
	scripts := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(scripts) != 2 {
		t.Fatalf("the README's Beyond one machine section has %d sh scripts, want 2 (two servers, three on a cluster)", len(scripts))
	}
	// The nats-server the README asks for, built from the module this
	// repository pins (v2.15.3) rather than downloaded.
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "nats-server"), "github.com/nats-io/nats-server/v2")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	for i, m := range scripts {
		t.Run([]string{"two servers", "three on a cluster"}[i], func(t *testing.T) {
			script := m[1]
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(binary, filepath.Join(dir, "bin", "thingyard")); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), readmeScriptTime)
			defer cancel()
			cmd := exec.CommandContext(ctx, "unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child",
				"sh", "-c", `ip link set lo up && PATH="$1:$PATH" && eval "$2"`, "sh", bin, script)
			cmd.Dir = dir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("the script: %v\n%s\nits output:\n%s\n%s", err, script, out, stderr.String())
			}
			room := regexp.MustCompile(`(?s)\{\s*"id": "([a-z0-9]+)",\s*"scene": "open-api",\s*"seq": 1,`).FindSubmatch(out)
			if room == nil {
				t.Fatalf("the script printed no room at seq 1:\n%s\n%s", out, stderr.String())
			}
			t.Logf("room %s at seq 1", room[1])
		})
	}
}
