package sim

import "fmt"

// poll is one turn of a Modbus master: a pending write first, else a read of
// the next slave; after the last slave the cycle's time is recorded.
func (w *World) poll(ci int32) {
	c := &w.devices[ci]
	if c.waiting != 0 {
		return
	}
	li := w.masterLink(ci)
	if li < 0 {
		return
	}
	l := &w.links[li]
	if len(c.commands) > 0 {
		cmd := c.commands[0]
		copy(c.commands, c.commands[1:])
		c.commands = c.commands[:len(c.commands)-1]
		mi := w.newMsg(mWrite, c.side, ci, cmd.dev)
		m := &w.msgs[mi]
		m.on, m.trigger, m.sampled = cmd.on, cmd.trigger, w.now
		w.sentBy(ci)
		w.request(ci, mi, li)
		return
	}
	// Find the next slave from pollPos.
	for c.pollPos < len(l.members) {
		s := l.members[c.pollPos]
		c.pollPos++
		if s == ci || w.devices[s].kind == KindController {
			continue
		}
		mi := w.newMsg(mPoll, c.side, ci, s)
		m := &w.msgs[mi]
		m.sampled = w.now
		w.metrics[c.side].sent++
		w.metrics[c.side].payload += payloadBytes
		w.sentBy(ci)
		w.request(ci, mi, li)
		return
	}
	// A cycle is complete.
	c.pollPos = 0
	if c.cycleStart > 0 || w.now > 0 {
		c.lastCycle = w.now - c.cycleStart
		w.metrics[c.side].pollCycle = c.lastCycle
	}
	next := w.now + c.period
	if next <= w.now {
		next = w.now + 1
	}
	c.cycleStart = next
	w.schedule(next, evPoll, ci, c.gen)
}

// modbusTimeout is how long a master waits for a reply to begin after its
// request ended; 100 ms is a common setting for a 9600-baud bus.
const modbusTimeout = 100_000

func (w *World) request(ci, mi, li int32) {
	c := &w.devices[ci]
	m := &w.msgs[mi]
	c.pollSeq++
	c.waiting = m.id
	w.transmit(mi, li, ci, m.dst)
	w.scheduleMsg(m.arrive+modbusTimeout+txTime(&w.links[li], 7), evTimeout, ci, m.id)
}

// modbusTurnaround is how long a slave takes to start its reply.
const modbusTurnaround = 2_000

func (w *World) slaveReply(mi int32) {
	m := &w.msgs[mi]
	s := &w.devices[m.dst]
	if m.kind == mWrite {
		s.on = m.on
		if m.trigger > 0 {
			w.metrics[s.side].reaction.add(w.now - m.trigger)
		}
		w.metrics[s.side].actuations++
	} else if s.kind == KindSensor {
		s.value = w.signal(s)
		s.valueAt = w.now
	}
	// The request becomes the reply, travelling back to the master.
	req := *m
	m.kind = mReply
	m.dst, m.origin = req.from, req.dst
	m.value, m.sensor = s.value, req.dst
	m.on = req.on
	if req.kind == mWrite {
		m.on = true // marks an echo of a write
		m.trigger = -1
	}
	li, master := req.link, req.from
	m.enc = 0
	w.sentBy(req.dst)
	save := w.now
	w.now += modbusTurnaround
	w.transmit(mi, li, req.dst, master)
	w.now = save
}

func (w *World) masterGotReply(mi int32) {
	m := &w.msgs[mi]
	c := &w.devices[m.dst]
	ci := m.dst
	if c.waiting == 0 {
		w.freeMsg(mi)
		return
	}
	c.waiting = 0
	if m.trigger != -1 {
		sm := &w.metrics[c.side]
		sm.delivered++
		sm.latency.add(w.now - m.sampled)
		sm.window.add(w.now - m.sampled)
		w.decide(ci, m.sensor, m.value, w.now)
	}
	w.freeMsg(mi)
	w.poll(ci)
}

func (w *World) timeout(ci int32, id uint64) {
	c := &w.devices[ci]
	if c.waiting != id || c.removed {
		return
	}
	c.waiting = 0
	w.metrics[c.side].lost++
	c.stats.Lost++
	if c.powered {
		w.poll(ci)
	}
}

// masterLink is the serial bus a controller polls, or -1.
func (w *World) masterLink(i int32) int32 {
	for _, li := range w.devices[i].links {
		m := w.links[li].medium
		if m == MediumRS232 || m == MediumRS485 {
			return li
		}
	}
	return -1
}

// admitToSerial checks device i onto serial link li as a real line would
// take it: RS-232 joins two devices; an RS-485 bus takes maxBusUnits unit
// loads, and each slave needs a Modbus address of its own, the first free
// one when it has none.
func (w *World) admitToSerial(i, li int32) error {
	d := &w.devices[i]
	l := &w.links[li]
	switch l.medium {
	case MediumRS232:
		if len(l.members) >= 2 {
			return fmt.Errorf("%w: RS-232 %q is point-to-point and already joins 2 devices; an RS-485 bus takes up to %d", ErrRefused, l.id, maxBusUnits)
		}
	case MediumRS485:
		if len(l.members) >= maxBusUnits {
			return fmt.Errorf("%w: RS-485 bus %q already carries %d unit loads, the most a standard driver can (a repeater would start a new segment)", ErrRefused, l.id, maxBusUnits)
		}
		if d.kind != KindController && d.addr == 0 {
			d.addr = w.freeAddress(li)
			if d.addr == 0 {
				return fmt.Errorf("%w: RS-485 bus %q has used all %d Modbus addresses", ErrRefused, l.id, maxModbusAdr)
			}
		}
		if d.addr > maxModbusAdr {
			return fmt.Errorf("%w: Modbus address %d of %q is above %d", ErrRefused, d.addr, d.id, maxModbusAdr)
		}
		for _, m := range l.members {
			if m != i && w.devices[m].kind != KindController && w.devices[m].addr == d.addr {
				return fmt.Errorf("%w: Modbus address %d is already used by %q on bus %q", ErrRefused, d.addr, w.devices[m].id, l.id)
			}
		}
	}
	return nil
}

func (w *World) freeAddress(li int32) int {
	used := [maxModbusAdr + 1]bool{}
	for _, m := range w.links[li].members {
		if a := w.devices[m].addr; a > 0 && a <= maxModbusAdr {
			used[a] = true
		}
	}
	for a := 1; a <= maxModbusAdr; a++ {
		if !used[a] {
			return a
		}
	}
	return 0
}
