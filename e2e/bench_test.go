//go:build bench

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// TestBenchReport is make bench: it measures Thingyard beside a baseline
// run in the same session and writes docs/benchmarks.md. Figures are
// reported, never asserted.
func TestBenchReport(t *testing.T) {
	var r report
	began, loadBefore := time.Now(), loadAverage()

	// THINGYARD_BENCH picks parts (comma-separated: sizes, browser (the
	// start and the frames), start (the start alone), simulation, history, relay, restart, idle, serial); a partial run prints its
	// report and leaves docs/benchmarks.md alone.
	only := os.Getenv("THINGYARD_BENCH")
	part := func(name string) bool { return only == "" || slices.Contains(strings.Split(only, ","), name) }
	dir := t.TempDir()
	var bare string
	if part("sizes") || part("browser") || part("start") {
		bare = buildBare(t, dir)
	}
	if part("sizes") {
		r.sizes(t, bare)
	}
	if part("browser") {
		r.browser(t, dir, bare)
	} else if part("start") {
		srv := bareServer(dir)
		r.start(t, srv.URL)
		srv.Close()
	}
	if part("simulation") {
		r.simulation(t)
	}
	if part("history") {
		r.history(t)
	}
	if part("relay") {
		r.relay(t)
	}
	if part("restart") {
		r.restart(t)
	}
	if part("idle") {
		r.idle(t)
	}
	if part("serial") {
		r.serial(t)
	}
	var head report
	head.line("# Thingyard benchmarks\n")
	head.line("Measured by `make bench` on %s: %s, %d CPUs, %s, %s. Its measurements took %v; the machine's one-minute load average, other work included, was %s at its start and %s at its end. Every figure has its baseline measured in the same run; ratios are what to compare across machines.\n",
		began.UTC().Format("2006-01-02"), machine(), runtime.NumCPU(), goVersion(), chromiumVersion(), time.Since(began).Round(time.Second), loadBefore, loadAverage())
	report := head.String() + r.goalTable() + r.String()
	t.Log("\n" + report)
	if only != "" {
		return
	}
	// make soak writes its own section; a new report keeps it.
	old, _ := os.ReadFile("../docs/benchmarks.md")
	doc := withSection(report, soakHeading, docSection(string(old), soakHeading))
	if err := os.WriteFile("../docs/benchmarks.md", []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBenchBrowser is make bench-browser: the browser part of make bench
// alone (time to the first frame, frames per second from 100 to 10,000
// devices beside the bare page measured in the same run). It prints the
// tables and writes nothing.
func TestBenchBrowser(t *testing.T) {
	var r report
	dir := t.TempDir()
	r.browser(t, dir, buildBare(t, dir))
	t.Log("\n" + r.String())
}

type report struct {
	strings.Builder
	goals []goal
}

func (r *report) line(format string, args ...any) { fmt.Fprintf(r, format+"\n", args...) }

// goal is a figure the report holds to a goal, for its Goals table.
type goal struct {
	figure, measured, want string
	met                    bool
}

// goal notes a figure and its goal for the Goals table.
func (r *report) goal(figure, measured, want string, ok bool) {
	r.goals = append(r.goals, goal{figure, measured, want, ok})
}

// goalTable is every figure held to a goal in this run, with the goal:
// the report's first table, each figure's section saying how it was
// measured.
func (r *report) goalTable() string {
	if len(r.goals) == 0 {
		return ""
	}
	var t report
	t.line("## Goals\n")
	t.line("| figure | measured | goal | |\n|---|---|---|---|")
	for _, g := range r.goals {
		t.line("| %s | %s | %s | %s |", g.figure, g.measured, g.want, met(g.met))
	}
	t.line("")
	return t.String()
}

func goVersion() string {
	out, _ := exec.Command("go", "version").Output()
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
}

func chromiumVersion() string {
	out, _ := exec.Command(chromium(), "--version").Output()
	return strings.TrimSpace(string(out))
}

// buildBare builds the baseline: a bare Ebitengine page, with the same
// toolchain and flags as Thingyard's program.
func buildBare(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "bare.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./testdata/bare")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the bare page: %v\n%s", err, b)
	}
	for _, c := range [][]string{{"brotli", "-f", "-k", "-q", "11", out}, {"gzip", "-9", "-k", "-f", out}} {
		if b, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", c[0], err, b)
		}
	}
	return out
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func (r *report) sizes(t *testing.T, bare string) {
	r.line("## Download\n")
	r.line("| file | Thingyard | bare Ebitengine page | ratio |\n|---|---|---|---|")
	for _, ext := range []string{"", ".gz", ".br"} {
		ours, base := size(t, "../assets/thingyard.wasm"+ext), size(t, bare+ext)
		name := map[string]string{"": "raw", ".gz": "gzip -9", ".br": "brotli -q 11"}[ext]
		r.line("| %s | %s | %s | %.2f× |", name, mb(ours), mb(base), float64(ours)/float64(base))
		if ext == ".br" {
			r.goal("WebAssembly download, brotli", mb(ours), "≤ 3.0 MB", ours <= 3_000_000)
		}
	}
	r.line("")
}

// firstFrameAt, run before a page's own scripts, notes when its first
// frame was drawn (window.thingyard.frames, which both pages count), on
// the page's timeline (0 is the navigation), to a frame.
const firstFrameAt = `window.firstFrameAt = 0;
(function poll() {
	if (window.thingyard && window.thingyard.frames >= 1) { window.firstFrameAt = performance.now(); return; }
	requestAnimationFrame(poll);
})();`

// pageRun is what one page load measured.
type pageRun struct {
	first time.Duration            // navigation to the first frame
	marks map[string]time.Duration // the loader's marks (thingyard:…), from the navigation
	fps   float64                  // frames a second, still
	pan   float64                  // frames a second while the world is dragged (when asked)
	count string                   // Thingyard's own count of the world's devices (#things-count)
}

// phase is the time from mark a to mark b ("" is the navigation, "frame"
// the first frame), or -1 when either is missing.
func (p pageRun) phase(a, b string) time.Duration {
	at := func(m string) (time.Duration, bool) {
		switch m {
		case "":
			return 0, true
		case "frame":
			return p.first, true
		}
		d, ok := p.marks[m]
		return d, ok
	}
	ta, oka := at(a)
	tb, okb := at(b)
	if !oka || !okb {
		return -1
	}
	return tb - ta
}

// What pageStats measures after the start.
type measure int

const (
	startOnly measure = iota // the start alone
	still                    // the frame rate too
	panning                  // the frame rate, still and while dragged
)

// pageStats opens url in a fresh Chromium and measures the start (to the
// first frame, with the loader's marks) and, unless startOnly, the frame
// rate over 5 s, and, panning, over 5 s more while a mouse drags the world
// from its top-left corner, clear of the devices, back and forth.
func pageStats(t *testing.T, url string, what measure) (run pageRun, err error) {
	t.Helper()
	ctx, errs, closeFn := openBrowser(t)
	defer closeFn()
	var marks [][2]any
	var first float64
	if err := chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(firstFrameAt).Do(ctx)
			return err
		}),
		chromedp.Navigate(url),
		waitFor(ctx, `window.firstFrameAt > 0`),
		chromedp.Evaluate(`window.firstFrameAt`, &first),
		chromedp.Evaluate(`(document.getElementById("things-count") || {}).textContent || ""`, &run.count),
		chromedp.Evaluate(`performance.getEntriesByType("mark").filter(m => m.name.startsWith("thingyard:")).map(m => [m.name.slice(10), m.startTime])`, &marks),
	); err != nil {
		return run, fmt.Errorf("no frame drawn (%v; console: %.200s)", err, strings.Join(*errs, " | "))
	}
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	run.first, run.marks = ms(first), map[string]time.Duration{}
	for _, m := range marks {
		name, _ := m[0].(string)
		at, _ := m[1].(float64)
		run.marks[name] = ms(at)
	}
	// A failed read is an error, not a rate of 0 fps.
	count := func(during chromedp.Action) (float64, error) {
		var f0, f1 int
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.thingyard.frames`, &f0)); err != nil {
			return 0, fmt.Errorf("count frames: %w", err)
		}
		t0 := time.Now()
		if err := chromedp.Run(ctx, during, chromedp.Evaluate(`window.thingyard.frames`, &f1)); err != nil {
			return 0, fmt.Errorf("count frames: %w", err)
		}
		return float64(f1-f0) / time.Since(t0).Seconds(), nil
	}
	if what == startOnly {
		return run, nil
	}
	if err := chromedp.Run(ctx, chromedp.Sleep(2*time.Second)); err != nil {
		return run, err
	}
	if run.fps, err = count(chromedp.Sleep(5 * time.Second)); err != nil || what != panning {
		return run, err
	}
	run.pan, err = count(chromedp.ActionFunc(func(ctx context.Context) error {
		const x0, y0 = 12, 48
		if err := (input.DispatchMouseEvent(input.MousePressed, x0, y0).WithButton(input.Left).WithClickCount(1)).Do(ctx); err != nil {
			return err
		}
		for i, end := 0, time.Now().Add(5*time.Second); time.Now().Before(end); i++ {
			dx := float64(i%40) * 8 // 0 to 312 px and back to 0
			if i%80 >= 40 {
				dx = 312 - dx
			}
			if err := input.DispatchMouseEvent(input.MouseMoved, x0+dx, y0+dx/4).WithButton(input.Left).WithButtons(1).Do(ctx); err != nil {
				return err
			}
			if err := chromedp.Sleep(16 * time.Millisecond).Do(ctx); err != nil {
				return err
			}
		}
		return input.DispatchMouseEvent(input.MouseReleased, x0, y0).WithButton(input.Left).WithClickCount(1).Do(ctx)
	}))
	return run, err
}

// bareIndex is the bare page: its program compiled while it downloads, as
// Thingyard's is, with the same marks for the download and the instance.
// The bare canvas is as large as Thingyard's world, which leaves room for
// its 360 px panel (index.html), so both fill the same pixels.
const bareIndex = `<!doctype html><html><head><style>html, body { margin: 0; height: 100%; overflow: hidden; }
body { width: calc(100vw - 360px); } body > canvas { display: block; }</style></head><body><script src="wasm_exec.js"></script><script>
const go = new Go();
const res = fetch("bare.wasm").then(r => new Response(r.body.pipeThrough(new TransformStream({flush() { performance.mark("thingyard:downloaded"); }})),
	{headers: {"Content-Type": "application/wasm"}}));
WebAssembly.instantiateStreaming(res, go.importObject).then(r => { performance.mark("thingyard:instantiated"); go.run(r.instance); });</script></body></html>`

// bareServer serves the bare page from dir, where buildBare put its
// program.
func bareServer(dir string) *httptest.Server {
	os.WriteFile(filepath.Join(dir, "index.html"), []byte(bareIndex), 0o644)
	exec.Command("cp", "../assets/wasm_exec.js", dir).Run()
	return httptest.NewServer(http.FileServer(http.Dir(dir)))
}

func (r *report) browser(t *testing.T, dir, bare string) {
	srv := bareServer(dir)
	defer srv.Close()
	r.start(t, srv.URL)
	r.frames(t, srv.URL)
}

// startRuns is how many times each page is started for the start's
// figures: each is a fresh browser, and the median is kept, so one start
// slowed by the machine's other work does not make the figure. Starts of
// one page spread by a third within a run, so three were too few for a
// figure held to 1.5×.
const startRuns = 7

// start measures the time to the first frame of the bare page (served at
// bareURL) and of Thingyard's, taking turns, and reports the median run of
// each in phases.
func (r *report) start(t *testing.T, bareURL string) {
	var bares, ourRuns []pageRun
	for range startRuns {
		b, err := pageStats(t, bareURL+"/", startOnly)
		if err != nil {
			t.Fatalf("bare page: %v", err)
		}
		o, err := pageStats(t, baseURL, startOnly)
		if err != nil {
			t.Fatalf("Thingyard: %v", err)
		}
		bares, ourRuns = append(bares, b), append(ourRuns, o)
	}
	byFirst := func(a, b pageRun) int { return cmp.Compare(a.first, b.first) }
	slices.SortFunc(bares, byFirst)
	slices.SortFunc(ourRuns, byFirst)
	bareRun, ours := bares[len(bares)/2], ourRuns[len(ourRuns)/2]
	var firsts []string
	for i := range bares {
		firsts = append(firsts, fmt.Sprintf("%.2f×", ourRuns[i].first.Seconds()/bares[i].first.Seconds()))
	}
	dur := func(d time.Duration) string {
		if d < 0 {
			return "–"
		}
		return d.Round(time.Millisecond).String()
	}
	r.line("## Start\n")
	r.line("Navigation to the first frame in headless Chromium (SwiftShader WebGL, loopback), in phases read from the pages' performance marks. Both pages compile while they download (instantiateStreaming), so \"compile\" is what is left of it after the last byte; \"to the first frame\" is from the program's instance to its first frame drawn: Go's start, the program's own steps and the first update and draw. Goal: the first frame within 1.5× the bare page's.\n")
	r.line("| page | download | compile | to the first frame | first frame | ratio |\n|---|---|---|---|---|---|")
	for _, p := range []struct {
		name string
		run  pageRun
	}{{"bare Ebitengine", bareRun}, {"Thingyard (overview)", ours}} {
		r.line("| %s | %s | %s | %s | %s | %.2f× |", p.name, dur(p.run.phase("", "downloaded")), dur(p.run.phase("downloaded", "instantiated")),
			dur(p.run.phase("instantiated", "frame")), dur(p.run.first), p.run.first.Seconds()/bareRun.first.Seconds())
	}
	// The program's own steps are the marks after its instance, in order.
	var after []string
	for m, at := range ours.marks {
		if at > ours.marks["instantiated"] {
			after = append(after, m)
		}
	}
	slices.SortFunc(after, func(a, b string) int { return cmp.Compare(ours.marks[a], ours.marks[b]) })
	if len(after) == 0 {
		t.Fatalf("Thingyard's loader marked no step after its instance: %v", ours.marks)
	}
	steps := []string{"Go's start to its first step " + dur(ours.phase("instantiated", after[0]))}
	for i, s := range after {
		next := "frame"
		if i+1 < len(after) {
			next = after[i+1]
		}
		steps = append(steps, strings.TrimSuffix(s, "…")+" "+dur(ours.phase(s, next)))
	}
	ratio := ours.first.Seconds() / bareRun.first.Seconds()
	r.goal("first frame after navigation, median of the starts, against the bare page", fmt.Sprintf("%.2f×", ratio), "≤ 1.5×", ratio <= 1.5)
	r.line("\nThingyard's part after its instance, in its median start: %s (the last to the first frame drawn). Each page started %d times, taking turns; the median start of each is shown, and the ratios of their starts, fastest to fastest and on to slowest to slowest, were %s.\n",
		strings.Join(steps, ", "), startRuns, strings.Join(firsts, ", "))
}

// framesGoal is the frame rate a world of so many devices is held to, in
// percent of the bare page's.
var framesGoal = map[int]int{5000: 95, 10000: 85}

// frames measures the frame rate of the scalability scene grown to
// 100 to 20,000 devices beside the bare page (at bareURL).
func (r *report) frames(t *testing.T, bareURL string) {
	bareRun, err := pageStats(t, bareURL+"/", still)
	if err != nil {
		t.Fatalf("bare page: %v", err)
	}

	// The bare page is measured again between the Thingyard pages: on a
	// shared machine the rate drifts, so each page is compared with the
	// mean of the bare runs just before and just after it.
	type row struct {
		n        int
		run      pageRun
		err      error
		baseline float64
	}
	var rows []row
	bares := []float64{bareRun.fps}
	for _, n := range []int{100, 1000, 5000, 10000, 20000} {
		sc, _ := scenes.Builtin("scalability")
		var adds []sim.Action
		for left := n - len(sc.Devices); left > 0; left -= sim.MaxAddCount {
			adds = append(adds, sim.Action{Kind: sim.ActAdd, Link: "cell", DeviceKind: "sensor", Count: min(left, sim.MaxAddCount)})
		}
		link, err := scenes.Link(baseURL, scenes.Scenario{Name: "scalability", Scene: sc, Seed: 1, Actions: adds})
		if err != nil {
			t.Fatalf("a link to %d devices: %v", n, err)
		}
		run, err := pageStats(t, link, panning)
		if want := fmt.Sprintf(" %d devices", n); err == nil && !strings.Contains(run.count, want) {
			err = fmt.Errorf("the page says %q, want%s", run.count, want)
		}
		after, berr := pageStats(t, bareURL+"/", still)
		if berr != nil {
			t.Fatalf("bare page: %v", berr)
		}
		rows = append(rows, row{n, run, err, (bares[len(bares)-1] + after.fps) / 2})
		bares = append(bares, after.fps)
	}
	var runs []string
	for _, b := range bares {
		runs = append(runs, fmt.Sprintf("%.1f", b))
	}
	r.line("## Frames\n")
	r.line("Frames per second over 5 s with the scalability scene grown to N devices by a share link, still and then while a mouse drags the world back and forth. The bare page ran before, between and after them (%s fps in this run); each ratio is to the mean of the bare runs just before and after that page. Software WebGL on a shared machine: compare the ratios. Goals: 95%% of the bare page at 5,000 devices, 85%% at 10,000.\n", strings.Join(runs, ", "))
	r.line("| devices | fps | of the bare page | fps while panning | of the bare page | bare page around it |\n|---|---|---|---|---|---|")
	for _, w := range rows {
		if w.err != nil {
			r.line("| %d | failed: %s | – | – | – | %.1f |", w.n, strings.ReplaceAll(w.err.Error(), "|", "/"), w.baseline)
			continue
		}
		r.line("| %d | %.1f | %.0f%% | %.1f | %.0f%% | %.1f |", w.n, w.run.fps, 100*w.run.fps/w.baseline, w.run.pan, 100*w.run.pan/w.baseline, w.baseline)
		if want, ok := framesGoal[w.n]; ok {
			of := 100 * w.run.fps / w.baseline
			r.goal(fmt.Sprintf("frame rate at %d devices, of the bare page", w.n), fmt.Sprintf("%.0f%%", of), fmt.Sprintf("≥ %d%%", want), of >= float64(want))
		}
	}
	r.line("")
}

var nsPerDeviceTick = regexp.MustCompile(`BenchmarkStep/devices=(\d+)\S*\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) ns/device-tick`)

// stepBench runs BenchmarkStep three times over 20 simulated seconds and
// keeps each size's median, so one slow run (a GC, a JIT tier-up in the
// browser) does not make the figure.
func stepBench(t *testing.T, env ...string) map[string]string {
	t.Helper()
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "BenchmarkStep", "-benchtime", "20000x", "-count", "3", "../sim")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sim benchmark %v: %v\n%s", env, err, out)
	}
	runs := map[string][]float64{}
	for _, m := range nsPerDeviceTick.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		runs[m[1]] = append(runs[m[1]], v)
	}
	got := map[string]string{}
	for n, vs := range runs {
		slices.Sort(vs)
		got[n] = strconv.FormatFloat(vs[len(vs)/2], 'g', 4, 64)
	}
	return got
}

func (r *report) simulation(t *testing.T) {
	native := stepBench(t)
	wasm := stepBench(t, "GOOS=js", "GOARCH=wasm")
	r.line("## Simulation\n")
	r.line("One simulated millisecond of the overview world grown over cellular, per device (`BenchmarkStep` over 20 simulated seconds, median of 3 runs; 0 allocations per tick natively). WebAssembly runs the same benchmark in headless Chromium through wasmbrowsertest.\n")
	r.line("| devices | native ns/device-tick | wasm ns/device-tick | wasm/native |\n|---|---|---|---|")
	for _, n := range []string{"100", "1000", "10000"} {
		a, _ := strconv.ParseFloat(native[n], 64)
		b, _ := strconv.ParseFloat(wasm[n], 64)
		ratio := "–"
		if a > 0 && b > 0 {
			ratio = fmt.Sprintf("%.1f×", b/a)
		}
		r.line("| %s | %s | %s | %s |", n, native[n], wasm[n], ratio)
	}
	r.line("")
	r.eventList(t)
}

var eventListBench = regexp.MustCompile(`BenchmarkEventList\S*\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) frames/tick\s+([\d.]+) ns/device-tick\s+([\d.]+) recorded-ns/device-tick\s+([\d.]+) recorded/plain`)

// eventList is what recording the event list costs the simulation at
// 10,000 devices (BenchmarkEventList in wasm/ui: two copies of one world
// stepped in turn, one watched; median of 3 runs). The goal is at most
// 1.10×.
func (r *report) eventList(t *testing.T) {
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", "BenchmarkEventList", "-benchtime", "20000x", "-count", "3", "../wasm/ui").CombinedOutput()
	r.line("### Recording the event list\n")
	if err != nil {
		r.line("Not measured: %v.\n", err)
		t.Logf("event list benchmark: %v\n%s", err, out)
		return
	}
	var runs [][]string
	for _, m := range eventListBench.FindAllStringSubmatch(string(out), -1) {
		runs = append(runs, m[1:])
	}
	if len(runs) == 0 {
		t.Fatalf("event list benchmark printed no figures:\n%s", out)
	}
	slices.SortFunc(runs, func(a, b []string) int { return strings.Compare(a[3], b[3]) })
	m := runs[len(runs)/2]
	ratio, _ := strconv.ParseFloat(m[3], 64)
	verdict := "met"
	if ratio > 1.10 {
		verdict = "not met"
	}
	r.line("The simulation at 10,000 devices with the page's event list recording every frame (%s frames a tick), beside the same world unwatched, stepped in turn one tick each (`BenchmarkEventList`, median of 3 runs of 20,000 ticks, each the median of its ticks).\n", m[0])
	r.line("| unwatched ns/device-tick | recorded ns/device-tick | recorded/unwatched | goal ≤ 1.10× |\n|---|---|---|---|")
	r.line("| %s | %s | %.3f× | %s |\n", m[1], m[2], ratio, verdict)
}

var serialRoundTrip = regexp.MustCompile(`BenchmarkSerialRoundTrip/(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op`)

// serial times a command and the board's reply through the server's
// serial gateway over a pty pair, beside a raw echo over the same kind of
// pair (BenchmarkSerialRoundTrip in server/serialgw, median of three runs).
func (r *report) serial(t *testing.T) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "BenchmarkSerialRoundTrip", "-benchtime", "2000x", "-count", "3", "../server/serialgw")
	out, err := cmd.CombinedOutput()
	r.line("## Serial\n")
	if err != nil {
		r.line("Not measured: %v.\n", err)
		t.Logf("serial benchmark: %v\n%s", err, out)
		return
	}
	runs := map[string][]float64{}
	for _, m := range serialRoundTrip.FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		runs[m[1]] = append(runs[m[1]], v)
	}
	median := func(name string) time.Duration {
		vs := runs[name]
		if len(vs) == 0 {
			return 0
		}
		slices.Sort(vs)
		return time.Duration(vs[len(vs)/2])
	}
	raw, gw := median("raw-pty-echo"), median("server-gateway")
	r.line("A command's round trip through the server-side serial path: a WebSocket client in the room sends `command on`, the server writes `on` to a socat pty pair, a board emulator answers `led:1`, and the reading comes back to the client as an envelope. The baseline is a raw echo over the same kind of pty pair. Median of three runs of 2,000 round trips.\n")
	r.line("| path | round trip | ratio |\n|---|---|---|")
	r.line("| raw pty echo | %v | 1.00× |", raw.Round(time.Microsecond))
	if raw > 0 {
		r.line("| WebSocket → server → board → server → WebSocket | %v | %.1f× |\n", gw.Round(time.Microsecond), gw.Seconds()/raw.Seconds())
	}
}
