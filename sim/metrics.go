package sim

import "math/bits"

// hist is a latency histogram in microseconds with sixteen buckets per
// doubling: fixed size, no allocation, and percentiles within about 2%.
type hist struct {
	n      int64
	counts [16 * 36]uint32
}

func bucketOf(us int64) int {
	if us < 16 {
		if us < 0 {
			us = 0
		}
		return int(us)
	}
	e := 63 - bits.LeadingZeros64(uint64(us)) // us in [2^e, 2^(e+1))
	sub := int((us >> (e - 4)) & 15)
	b := 16*(e-3) + sub
	if b >= len(hist{}.counts) {
		b = len(hist{}.counts) - 1
	}
	return b
}

// bucketLow is the smallest value of bucket b.
func bucketLow(b int) int64 {
	if b < 16 {
		return int64(b)
	}
	e := b/16 + 3
	sub := int64(b % 16)
	return (16 + sub) << (e - 4)
}

func (h *hist) add(us int64) {
	h.counts[bucketOf(us)]++
	h.n++
}

// quantile is the value below which q of the samples fall (q in 0..1000,
// per mille), as the middle of its bucket; 0 when empty.
func (h *hist) quantile(q int64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := (h.n*q + 999) / 1000
	if rank < 1 {
		rank = 1
	}
	var c int64
	for b, n := range h.counts {
		c += int64(n)
		if c >= rank {
			return (bucketLow(b) + bucketLow(b+1)) / 2
		}
	}
	return bucketLow(len(h.counts) - 1)
}

func (h *hist) reset() { *h = hist{} }

type sideMetrics struct {
	sent, delivered, lost int64
	bytes, payload        int64
	translations          int64
	decisionsLocal        int64
	decisionsCloud        int64
	actuations            int64
	pollCycle             int64
	latency, window       hist
	reaction              hist
}

// SideMetrics are one side's live numbers: the figures a scene compares.
type SideMetrics struct {
	Side           string  `json:"side"`
	Devices        int     `json:"devices"`
	Kinds          int     `json:"kinds"`
	Standards      int     `json:"standards"` // media of the side's links
	Links          int     `json:"links"`
	Sent           int64   `json:"sent"`
	Delivered      int64   `json:"delivered"`
	Lost           int64   `json:"lost"`
	Buffered       int64   `json:"buffered"`
	InFlight       int64   `json:"in_flight"`
	Bytes          int64   `json:"bytes"`
	BytesPerRead   float64 `json:"bytes_per_reading"`
	Overhead       float64 `json:"overhead"` // bytes on the wire per payload byte
	LatencyP50Ms   float64 `json:"latency_p50_ms"`
	LatencyP99Ms   float64 `json:"latency_p99_ms"`
	ReactionP50Ms  float64 `json:"reaction_p50_ms"`
	PollCycleMs    float64 `json:"poll_cycle_ms"`
	Translations   int64   `json:"translations"`
	DecisionsLocal int64   `json:"decisions_local"`
	DecisionsCloud int64   `json:"decisions_cloud"`
	Actuations     int64   `json:"actuations"`
	Internet       bool    `json:"needs_internet"` // some path of this side crosses an internet link
	ReachKm        float64 `json:"reach"`          // the widest distance between two devices, world units
}

// Metrics are the live numbers of every side, in the world's side order.
func (w *World) Metrics() []SideMetrics {
	out := make([]SideMetrics, len(w.sides))
	kinds := make([]uint32, len(w.sides))
	stds := make([]uint32, len(w.sides))
	type box struct{ minX, minY, maxX, maxY int32 }
	boxes := make([]box, len(w.sides))
	for s := range boxes {
		boxes[s] = box{1 << 30, 1 << 30, -1 << 30, -1 << 30}
	}
	for i := range w.devices {
		d := &w.devices[i]
		if d.removed {
			continue
		}
		o := &out[d.side]
		o.Devices++
		o.Buffered += int64(len(d.buffer))
		kinds[d.side] |= 1 << d.kind
		b := &boxes[d.side]
		b.minX, b.maxX = min(b.minX, d.x), max(b.maxX, d.x)
		b.minY, b.maxY = min(b.minY, d.y), max(b.maxY, d.y)
	}
	for li := range w.links {
		l := &w.links[li]
		if l.removed || len(l.members) == 0 {
			continue
		}
		s := w.devices[l.members[0]].side
		// A bus is one link however many drops it has; a star counts a
		// link per member.
		if l.medium.Bus() && l.medium.M2M() {
			out[s].Links++
		} else {
			out[s].Links += len(l.members) - 1
		}
		stds[s] |= 1 << l.medium
		if l.medium == MediumInternet {
			out[s].Internet = true
		}
	}
	for i := range w.msgs {
		if m := &w.msgs[i]; m.live && m.link >= 0 && m.kind == mReading {
			out[m.side].InFlight++
		}
	}
	for s, name := range w.sides {
		sm := &w.metrics[s]
		o := &out[s]
		o.Side = name
		o.Kinds = bits.OnesCount32(kinds[s])
		o.Standards = bits.OnesCount32(stds[s])
		o.Sent, o.Delivered, o.Lost = sm.sent, sm.delivered, sm.lost
		o.Bytes = sm.bytes
		if sm.delivered > 0 {
			o.BytesPerRead = float64(sm.bytes) / float64(sm.delivered)
			o.Overhead = float64(sm.bytes) / float64(sm.delivered*payloadBytes)
		}
		o.LatencyP50Ms = float64(sm.latency.quantile(500)) / 1000
		o.LatencyP99Ms = float64(sm.latency.quantile(990)) / 1000
		o.ReactionP50Ms = float64(sm.reaction.quantile(500)) / 1000
		o.PollCycleMs = float64(sm.pollCycle) / 1000
		o.Translations = sm.translations
		o.DecisionsLocal, o.DecisionsCloud = sm.decisionsLocal, sm.decisionsCloud
		o.Actuations = sm.actuations
		if b := boxes[s]; b.maxX >= b.minX {
			dx, dy := float64(b.maxX-b.minX), float64(b.maxY-b.minY)
			o.ReachKm = max(dx, dy)
		}
	}
	return out
}

// Sample is one side's numbers over one simulated second, for charts.
type Sample struct {
	Tick         int64   `json:"tick"`
	Side         int     `json:"side"`
	Delivered    int64   `json:"delivered"` // so far (cumulative; a chart takes differences)
	Lost         int64   `json:"lost"`
	Bytes        int64   `json:"bytes"`
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
}

// maxSeries is how many seconds of samples a world keeps per side.
const maxSeries = 600

func (w *World) sample() {
	for s := range w.metrics {
		sm := &w.metrics[s]
		smp := Sample{Tick: w.tick, Side: s,
			Delivered: sm.delivered, Lost: sm.lost, Bytes: sm.bytes,
			LatencyP50Ms: float64(sm.window.quantile(500)) / 1000,
			LatencyP99Ms: float64(sm.window.quantile(990)) / 1000,
		}
		sm.window.reset()
		if len(w.series) >= maxSeries*len(w.sides) {
			copy(w.series, w.series[len(w.sides):])
			w.series = w.series[:len(w.series)-len(w.sides)]
		}
		w.series = append(w.series, smp)
	}
}

// Series is the per-second history of every side (cumulative counters at
// each second, and that second's latency percentiles), oldest first.
func (w *World) Series() []Sample { return append([]Sample(nil), w.series...) }
