package sim

import "slices"

// sampleAndSend is a pushing sensor's period: measure, then send the value
// toward its target.
func (w *World) sampleAndSend(i int32) {
	d := &w.devices[i]
	d.value = w.signal(d)
	d.valueAt = w.now
	w.sendReading(i)
}

func (w *World) sendReading(i int32) {
	d := &w.devices[i]
	t := w.targetOf(i)
	if t < 0 {
		return
	}
	mi := w.newMsg(mReading, d.side, i, t)
	m := &w.msgs[mi]
	m.sampled, m.value, m.sensor, m.qos, m.app = w.now, d.value, i, d.qos, d.proto
	w.sentBy(i)
	w.metrics[d.side].sent++
	w.metrics[d.side].payload += payloadBytes
	w.forward(mi, i)
}

// signal is a sensor's value now: a slow integer sine between base-swing and
// base+swing plus a little noise from the world's generator.
func (w *World) signal(d *device) int64 {
	phase := ((w.now + d.phase) % d.cycle) * 65536 / d.cycle
	noise := int64(w.rng.intn(201)) - 100 // ±0.1
	return d.base + d.swing*isin(phase)/1000 + noise
}

// isin is sin(2π·p/65536)·1000 by Bhaskara I's approximation, in integers,
// so every platform computes the same signal.
func isin(p int64) int64 {
	p &= 0xFFFF
	neg := p >= 0x8000
	if neg {
		p -= 0x8000
	}
	// x in millidegrees, 0..180000; sin(x) ≈ 4x(180-x) / (40500 - x(180-x)).
	x := p * 180_000 / 32768
	q := x * (180_000 - x)
	v := 4000 * q / (40_500_000_000 - q)
	if neg {
		return -v
	}
	return v
}

// targetOf is where a device's readings go: its declared target, or the
// nearest broker or controller it can reach.
func (w *World) targetOf(i int32) int32 {
	d := &w.devices[i]
	if d.target >= 0 && !w.devices[d.target].removed {
		return d.target
	}
	if w.stale(&d.sinkVers) {
		d.sink = w.nearestSink(i)
	}
	return d.sink
}

// reading applies a real board's readings: the first value becomes the
// device's value and travels like any sensor's sample; every value is kept
// under its name, so the open API has each. A board keeps MaxReadings
// names at most: a new name past them takes the place of the one heard
// from longest ago.
func (w *World) reading(i int32, rs []Reading) {
	d := &w.devices[i]
	d.value = milli(rs[0].Value)
	d.valueAt = w.now
	for _, r := range rs {
		j := slices.IndexFunc(d.named, func(n namedValue) bool { return n.name == r.Name })
		if j < 0 && len(d.named) < MaxReadings {
			d.named = append(d.named, namedValue{name: r.Name})
			j = len(d.named) - 1
		}
		if j < 0 {
			j = 0
			for k := range d.named {
				if d.named[k].at < d.named[j].at {
					j = k
				}
			}
			d.named[j].name = r.Name
		}
		d.named[j].value, d.named[j].at = milli(r.Value), w.now
	}
	if (d.quantity == "" || d.quantity == "temp") && d.quantity != rs[0].Name {
		d.quantity = rs[0].Name
		d.topic = ""
		w.shapeChanged()
	}
	if d.powered && w.pushes(i) && len(d.links) > 0 {
		w.sendReading(i)
	}
}
