package board

import (
	"fmt"
	"testing"
	"time"

	"github.com/thingyard/thingyard/sim"
)

// A sketch printing temp and hum on alternate lines, a line every 5 ms,
// thinned to one action per 100 ms: no action comes sooner than the gap
// after the last, and each carries the latest value of every name printed
// since the last.
func TestThinnerKeepsEveryName(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	th := thinner{gap: 100 * time.Millisecond}
	var last time.Time
	var actions int
	since := map[string]float64{} // printed since the last action
	check := func(now time.Time, rs []sim.Reading) {
		t.Helper()
		if rs == nil {
			return
		}
		actions++
		if !last.IsZero() && now.Sub(last) < th.gap {
			t.Errorf("an action %v after the last, sooner than the gap %v", now.Sub(last), th.gap)
		}
		last = now
		got := map[string]float64{}
		for _, r := range rs {
			got[r.Name] = r.Value
		}
		if fmt.Sprint(got) != fmt.Sprint(since) {
			t.Errorf("at %v: sent %v, want %v", now.Sub(start), got, since)
		}
		since = map[string]float64{}
	}
	for i := range 200 {
		now := start.Add(time.Duration(i) * 5 * time.Millisecond)
		name := "temp"
		if i%2 == 1 {
			name = "hum"
		}
		th.add([]sim.Reading{{Name: name, Value: float64(i)}})
		since[name] = float64(i)
		check(now, th.take(now))
	}
	if due := th.due(); due.IsZero() || th.take(due.Add(-time.Nanosecond)) != nil {
		t.Fatalf("due %v: the last lines are not held until then", due)
	}
	check(th.due(), th.take(th.due()))
	if actions != 11 || len(since) != 0 || !th.due().IsZero() {
		t.Errorf("%d actions in a second at 10 a second, %v never sent, due %v", actions, since, th.due())
	}
}

// Names beyond what one action may carry wait for a later one; the names
// held keep the order they came in.
func TestThinnerHoldsAtMostMaxReadings(t *testing.T) {
	th := thinner{gap: time.Second}
	var rs []sim.Reading
	for i := range sim.MaxReadings + 8 {
		rs = append(rs, sim.Reading{Name: fmt.Sprintf("s%d", i), Value: float64(i)})
	}
	th.add(rs)
	th.add([]sim.Reading{{Name: "s0", Value: -1}})
	got := th.take(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	if len(got) != sim.MaxReadings || got[0] != (sim.Reading{Name: "s0", Value: -1}) || got[1].Name != "s1" {
		t.Errorf("held %v", got)
	}
	act := sim.Action{Kind: sim.ActReading, Device: "board", Readings: got}
	if err := act.Check(); err != nil {
		t.Error(err)
	}
}
