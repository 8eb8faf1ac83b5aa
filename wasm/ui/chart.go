package ui

import (
	"fmt"
	"math"
	"strings"

	"github.com/thingyard/thingyard/sim"
)

// Metric is what a chart plots, second by second.
type Metric int

const (
	// Delivered is readings delivered per second: an outage shows as a
	// side falling to zero.
	Delivered Metric = iota
	// Latency is the median latency in each second: scaling shows as a
	// side climbing.
	Latency
)

var sideColours = []string{"var(--m2m)", "var(--iot)", "var(--other)"}

// perSecond is a side's values of m, one per second of the series.
// Delivered counts are cumulative in samples, so they are differenced.
func perSecond(series []sim.Sample, side int, m Metric) []float64 {
	var vs []float64
	var prev int64 = -1
	for _, smp := range series {
		if smp.Side != side {
			continue
		}
		switch m {
		case Delivered:
			if prev >= 0 {
				vs = append(vs, float64(smp.Delivered-prev))
			}
			prev = smp.Delivered
		case Latency:
			l := smp.LatencyP50Ms
			if l <= 0 {
				// Nothing arrived that second: no latency, not a
				// latency of zero. The chart leaves a gap.
				l = math.NaN()
			}
			vs = append(vs, l)
		}
	}
	return vs
}

// Chart renders metric m of every side as SVG lines of w×h, scaled to the
// highest value shown, which is labelled in the corner.
func Chart(series []sim.Sample, sides, w, h int, m Metric) string {
	label, unit := "Readings delivered per second, per side", "/s"
	if m == Latency {
		label, unit = "Median latency per second, per side", " ms"
	}
	per := make([][]float64, sides)
	top, enough := 0.0, false
	for s := range per {
		per[s] = perSecond(series, s, m)
		for _, v := range per[s] {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
		enough = enough || len(per[s]) >= 2
	}
	if !enough {
		return `<svg viewBox="0 0 300 70" role="img" aria-label="Not enough history yet"><text x="6" y="38" style="fill: var(--muted)" font-size="11">the chart fills in as seconds pass</text></svg>`
	}
	if top <= 0 {
		top = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" preserveAspectRatio="none" role="img" aria-label="%s">`, w, h, label)
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" style="stroke: var(--line)"/>`, h-1, w, h-1)
	for s, vs := range per {
		if len(vs) < 2 {
			continue
		}
		// One polyline per run of known values: gaps stay gaps.
		open := false
		for i, v := range vs {
			if math.IsNaN(v) {
				if open {
					b.WriteString(`"/>`)
					open = false
				}
				continue
			}
			if !open {
				fmt.Fprintf(&b, `<polyline fill="none" stroke-width="1.5" style="stroke: %s" points="`, sideColours[min(s, len(sideColours)-1)])
				open = true
			}
			x := float64(i) * float64(w) / float64(len(vs)-1)
			y := float64(h-3) - v/top*float64(h-16)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		if open {
			b.WriteString(`"/>`)
		}
	}
	fmt.Fprintf(&b, `<text x="4" y="11" style="fill: var(--muted)" font-size="10">%s%s</text></svg>`, trimFloat(top), unit)
	return b.String()
}

// trimFloat prints a chart's top value without needless decimals.
func trimFloat(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}
