package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Helpers of make bench and make soak: a server process's figures from
// /proc, and the sections of docs/benchmarks.md, which both write.

// rss reads a process's resident set size from /proc.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// machine names the kernel and the hardware the figures were taken on.
func machine() string {
	out, _ := exec.Command("uname", "-srm").Output()
	return strings.TrimSpace(string(out))
}

// loadAverage is the machine's one-minute load average, other work
// included, or "?" when /proc does not say.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTicks = 100

// cpuSeconds reads the CPU time a process has used, user and system.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after it. utime and stime are fields 14 and 15 of the whole line.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return float64(user+sys) / clockTicks, nil
}

// docSection is the section of a Markdown document that starts with the
// line heading ("## Soak"), up to the next heading of its level or the
// end, or "" when there is none.
func docSection(doc, heading string) string {
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := doc[i+1:]
	if j := strings.Index(rest[len(heading):], "\n## "); j >= 0 {
		return rest[:len(heading)+j+1]
	}
	return rest
}

// withSection returns doc with its section under heading replaced by
// section, or with section added at its end when it has none.
func withSection(doc, heading, section string) string {
	if old := docSection(doc, heading); old != "" {
		return strings.Replace(doc, old, section, 1)
	}
	if section == "" {
		return doc
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + section
}

// soakHeading begins the section of docs/benchmarks.md that make soak
// writes; make bench keeps it.
const soakHeading = "## Soak"

// make bench rewrites docs/benchmarks.md and keeps the Soak section that
// make soak wrote; make soak replaces its own section and nothing else.
func TestSoakSectionOfTheBenchmarks(t *testing.T) {
	const soak = "## Soak\n\nfigures\n"
	bench := "# Benchmarks\n\n## Relay\n\nold\n"
	written := withSection(bench, soakHeading, soak)
	if want := bench + "\n" + soak; written != want {
		t.Errorf("soak on a report without its section:\n%q\nwant\n%q", written, want)
	}
	newBench := "# Benchmarks\n\n## Relay\n\nnew\n"
	if got, want := withSection(newBench, soakHeading, docSection(written, soakHeading)), newBench+"\n"+soak; got != want {
		t.Errorf("a new bench report:\n%q\nwant\n%q", got, want)
	}
	middle := "# Benchmarks\n\n## Soak\n\nold figures\n\n## Serial\n\nkept\n"
	if got, want := withSection(middle, soakHeading, soak+"\n"), "# Benchmarks\n\n"+soak+"\n## Serial\n\nkept\n"; got != want {
		t.Errorf("soak replacing its section:\n%q\nwant\n%q", got, want)
	}
	if got := withSection(bench, soakHeading, ""); got != bench {
		t.Errorf("a bench report with no soak section to keep:\n%q", got)
	}
}
