package sim

import "fmt"

// commandFromPerson sends an on/off command to an actuator the way its side
// would: a controller writes it on its bus; on the IoT side it travels from
// an app (or the broker) through the cloud.
func (w *World) commandFromPerson(i int32, on bool) error {
	d := &w.devices[i]
	if d.kind != KindActuator && d.kind != KindBoard {
		return fmt.Errorf("%w: %q is a %s; only actuators and boards take commands", ErrRefused, d.id, d.kind)
	}
	for _, li := range d.links {
		l := &w.links[li]
		if l.medium.M2M() {
			for _, m := range l.members {
				if w.devices[m].kind == KindController {
					w.queueCommand(m, i, on, w.now)
					return nil
				}
			}
		}
	}
	// IoT: from an app of the side if one reaches the actuator, else the broker.
	var from int32 = -1
	for j := range w.devices {
		o := &w.devices[j]
		if o.removed || o.side != d.side {
			continue
		}
		if o.kind == KindApp && w.reachable(int32(j), i) {
			from = int32(j)
			break
		}
		if o.kind == KindBroker && from < 0 && w.reachable(int32(j), i) {
			from = int32(j)
		}
	}
	if from < 0 {
		return fmt.Errorf("%w: nothing can reach %q to command it (is its path cut?)", ErrRefused, d.id)
	}
	w.sendCommand(from, i, on, w.now)
	return nil
}

// decide runs the rules that live on device at for a reading from sensor.
func (w *World) decide(at, sensor int32, value, sampled int64) {
	for ri := range w.rules {
		r := &w.rules[ri]
		if r.where != at || r.sensor != sensor {
			continue
		}
		want := value > r.above || (r.state && value > r.above-r.hyst)
		if want == r.state {
			continue
		}
		r.state = want
		d := &w.devices[at]
		d.stats.Decisions++
		sm := &w.metrics[d.side]
		if d.kind == KindController || d.kind == KindGateway {
			sm.decisionsLocal++
		} else {
			sm.decisionsCloud++
		}
		if d.kind == KindController {
			w.queueCommand(at, r.actuator, want, sampled)
		} else {
			w.sendCommand(at, r.actuator, want, sampled)
		}
	}
}

func (w *World) sendCommand(from, act int32, on bool, trigger int64) {
	mi := w.newMsg(mCommand, w.devices[from].side, from, act)
	m := &w.msgs[mi]
	m.on, m.trigger, m.sampled, m.app = on, trigger, w.now, ProtoMQTT
	w.sentBy(from)
	w.forward(mi, from)
}

// queueCommand hands a command to a controller: on CAN it goes out at once
// (arbitration decides when), on a Modbus bus it waits for the master's next
// turn.
func (w *World) queueCommand(ctrl, act int32, on bool, trigger int64) {
	c := &w.devices[ctrl]
	for _, li := range c.links {
		if w.links[li].medium == MediumCAN && w.onLink(act, li) {
			mi := w.newMsg(mCommand, c.side, ctrl, act)
			m := &w.msgs[mi]
			m.on, m.trigger, m.sampled = on, trigger, w.now
			w.sentBy(ctrl)
			w.transmit(mi, li, ctrl, act)
			return
		}
	}
	c.commands = append(c.commands, command{dev: act, on: on, trigger: trigger})
}

func (w *World) onLink(i, li int32) bool {
	for _, m := range w.links[li].members {
		if m == i {
			return true
		}
	}
	return false
}

// actuate applies a command at an actuator and records how long the whole
// loop took, from the measurement to the action.
func (w *World) actuate(mi int32) {
	m := &w.msgs[mi]
	d := &w.devices[m.dst]
	d.on = m.on
	if m.trigger > 0 {
		w.metrics[d.side].reaction.add(w.now - m.trigger)
	}
	w.metrics[d.side].actuations++
}
