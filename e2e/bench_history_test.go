//go:build bench

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// history measures the time controls at 10,000 devices: what the history
// adds to a simulated millisecond natively (BenchmarkStepHistory beside
// BenchmarkStep over 200,000 ticks, more than five copies' spacing), the
// memory it holds over ten minutes (BenchmarkHistoryMemory), and in
// Chromium how long going back to a moment of the last ten minutes takes
// (window.thingyard.seek at random ticks of a world a share link ran to
// eleven simulated minutes).
func (r *report) history(t *testing.T) {
	out, err := exec.Command("go", "test", "-run", "^$", "-bench", `BenchmarkStep(History)?/devices=10000$`,
		"-benchtime", "200000x", "-count", "3", "../sim").CombinedOutput()
	if err != nil {
		t.Fatalf("history benchmarks: %v\n%s", err, out)
	}
	mem, err := exec.Command("go", "test", "-run", "^$", "-bench", `BenchmarkHistoryMemory`, "-benchtime", "1x", "../sim").CombinedOutput()
	if err != nil {
		t.Fatalf("history memory benchmark: %v\n%s", err, mem)
	}
	out = append(out, mem...)
	med := func(re string) float64 {
		var vs []float64
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(string(out), -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			vs = append(vs, v)
		}
		if len(vs) == 0 {
			return 0
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	plain := med(`BenchmarkStep/devices=10000\S*\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) ns/device-tick`)
	with := med(`BenchmarkStepHistory/devices=10000\S*\s+\d+\s+[\d.]+ ns/op.*?\s([\d.]+) ns/device-tick`)
	held := med(`BenchmarkHistoryMemory\S*\s.*?([\d.]+) MB-held`)
	copies := med(`BenchmarkHistoryMemory\S*\s.*?([\d.]+) copies\b`)
	every := med(`BenchmarkHistoryMemory\S*\s.*?([\d.]+) ticks-between-copies`)

	seeks, oldest, live, err := browserSeeks(t, 10000, 11*60*1000, 12)
	r.line("## Time controls\n")
	r.line("The history behind the scrubber, at 10,000 devices (the overview world grown over cellular natively, the scalability scene in the page): copies of the world within 100 MB for ten simulated minutes, and a replay from the newest copy before the moment asked for.\n")
	r.line("| figure | measured | goal |\n|---|---|---|")
	ratio := with / plain
	r.line("| ns/device-tick with the history / without (native, median of 3 over 200,000 ticks) | %.3g / %.3g = %.2f× | ≤ 1.10× (%s) |", with, plain, ratio, met(ratio <= 1.10))
	r.line("| memory the history holds over 11 simulated minutes (native heap freed when dropped) | %.1f MB in %.0f copies, %.0f ticks apart | ≤ 100 MB (%s) |", held, copies, every, met(held > 0 && held <= 100))
	if err != nil {
		r.line("| going back in Chromium | failed: %v | ≤ 1 s |\n", err)
		return
	}
	slices.Sort(seeks)
	worst := seeks[len(seeks)-1]
	r.line("| going back to a moment of ticks %d to %d in Chromium (%d random seeks: median, slowest) | %.0f ms, %.0f ms | ≤ 1 s (%s) |\n",
		oldest, live, len(seeks), seeks[len(seeks)/2], worst, met(worst <= 1000))
}

// browserSeeks opens the scalability scene grown to n devices at tick by a
// share link and goes back to random moments of what the page keeps,
// returning how long each took in the page (ms).
func browserSeeks(t *testing.T, n int, tick int64, count int) (ms []float64, oldest, live int64, err error) {
	sc, _ := scenes.Builtin("scalability")
	link, _ := scenes.Link(baseURL, scenes.Scenario{Name: "scalability", Scene: sc, Seed: 1, Tick: tick, Paused: true,
		Actions: []sim.Action{{Kind: sim.ActAdd, Link: "cell", DeviceKind: "sensor", Count: n - len(sc.Devices)}}})
	ctx, errs, closeFn := openBrowser(t)
	defer closeFn()
	began := time.Now()
	if err := chromedp.Run(ctx, chromedp.Navigate(link), chromedp.Poll(`window.thingyard && window.thingyard.ready && window.thingyard.history`, nil,
		chromedp.WithPollingInterval(time.Second), chromedp.WithPollingTimeout(20*time.Minute))); err != nil {
		return nil, 0, 0, fmt.Errorf("open the world (%v; console: %v)", err, *errs)
	}
	t.Logf("the page ran to tick %d in %v", tick, time.Since(began).Round(time.Second))
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.thingyard.history.oldest`, &oldest), chromedp.Evaluate(`window.thingyard.live`, &live)); err != nil {
		return nil, 0, 0, err
	}
	r := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range count {
		to := max(oldest, live-10*60*1000) + r.Int64N(min(live-oldest, 10*60*1000))
		var took float64
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.thingyard.seek(`+strconv.FormatInt(to, 10)+`)`, nil),
			waitFor(ctx, `window.thingyard.seekDone >= `+strconv.Itoa(i+1)),
			chromedp.Evaluate(`window.thingyard.seekMs`, &took)); err != nil {
			return nil, 0, 0, fmt.Errorf("seek %d: %v (console: %v)", to, err, *errs)
		}
		ms = append(ms, took)
	}
	return ms, oldest, live, nil
}
