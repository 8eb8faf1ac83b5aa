package ui

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// series is six seconds of two sides: M2M delivers 10 a second
// throughout; IoT delivers 5, then nothing for two seconds (the internet is
// cut: no latency at all), then what waited arrives late.
func series() []sim.Sample {
	var out []sim.Sample
	iot := []int64{0, 5, 10, 10, 10, 14}
	lat := []float64{30, 31, 90, 0, 0, 250}
	for s := 0; s < 6; s++ {
		out = append(out,
			sim.Sample{Tick: int64(s+1) * 1000, Side: 0, Delivered: int64(s) * 10, LatencyP50Ms: 20},
			sim.Sample{Tick: int64(s+1) * 1000, Side: 1, Delivered: iot[s], LatencyP50Ms: lat[s]})
	}
	return out
}

var nan = math.NaN()

func TestPerSecond(t *testing.T) {
	tests := []struct {
		name string
		side int
		m    Metric
		want []float64
	}{
		{"M2M deliveries", 0, Delivered, []float64{10, 10, 10, 10, 10}},
		{"IoT deliveries stop and resume", 1, Delivered, []float64{5, 5, 0, 0, 4}},
		{"IoT latency with a gap", 1, Latency, []float64{30, 31, 90, nan, nan, 250}},
		{"a side with no samples", 2, Delivered, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := perSecond(series(), tt.side, tt.m)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] && !(math.IsNaN(got[i]) && math.IsNaN(tt.want[i])) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestChart(t *testing.T) {
	tests := []struct {
		name      string
		series    []sim.Sample
		m         Metric
		lines     int
		top, aria string
	}{
		{"deliveries", series(), Delivered, 2, ">10/s<", "Readings delivered per second"},
		// M2M's line, and IoT's in two pieces around the outage.
		{"latency", series(), Latency, 3, ">250 ms<", "Median latency"},
		{"one second only", series()[:2], Delivered, 0, "", "Not enough history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := Chart(tt.series, 2, 300, 70, tt.m)
			if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
				t.Fatalf("not XML: %v\n%s", err, svg)
			}
			if got := strings.Count(svg, "<polyline"); got != tt.lines {
				t.Errorf("%d lines, want %d", got, tt.lines)
			}
			if !strings.Contains(svg, tt.top) || !strings.Contains(svg, tt.aria) {
				t.Errorf("chart lacks %q or %q:\n%s", tt.top, tt.aria, svg)
			}
		})
	}
}

func TestTrimFloat(t *testing.T) {
	for in, want := range map[float64]string{400: "400", 12.6: "13", 2.5: "2.5", 3: "3", 0.25: "0.2"} {
		if got := trimFloat(in); got != want {
			t.Errorf("trimFloat(%v) = %q, want %q", in, got, want)
		}
	}
}
