package ui

import "github.com/thingyard/thingyard/sim"

// TrackRecent adds to recent the messages of v in flight to or from
// device that recent does not hold yet, newest first and at most
// MaxRecent, as info tells what they are when first seen. A poll and its
// reply are one message going back: a hop is told apart by its sender.
func TrackRecent(recent []sim.MessageInfo, v *sim.View, device string, info func(id uint64) (sim.MessageInfo, bool)) []sim.MessageInfo {
	if device == "" {
		return recent
	}
	idx := int32(-1)
	for i := range v.Devices {
		if v.Devices[i].ID == device {
			idx = int32(i)
			break
		}
	}
	if idx < 0 {
		return recent
	}
	for i := range v.Messages {
		m := &v.Messages[i]
		if (m.From != idx && m.To != idx) || m.From < 0 || int(m.From) >= len(v.Devices) ||
			holds(recent, m.ID, v.Devices[m.From].ID) {
			continue
		}
		mi, ok := info(m.ID)
		if !ok {
			continue
		}
		if len(recent) < MaxRecent {
			recent = append(recent, sim.MessageInfo{})
		}
		copy(recent[1:], recent)
		recent[0] = mi
	}
	return recent
}

// holds reports whether recent holds the hop of message id sent by from.
func holds(recent []sim.MessageInfo, id uint64, from string) bool {
	for i := range recent {
		if recent[i].ID == id && recent[i].From == from {
			return true
		}
	}
	return false
}
