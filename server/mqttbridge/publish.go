package mqttbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/thingyard/thingyard/server/api"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/sim"
)

// run publishes the readings every period and when a client subscribes,
// until ctx ends.
func (b *Broker) run(ctx context.Context) {
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	defer b.srv.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
		b.publish()
	}
}

// reading is the payload of a reading topic.
type reading struct {
	Value any    `json:"value"`
	Unit  string `json:"unit,omitempty"`
	Time  string `json:"time"` // RFC 3339, by the room's clock (real time) when its browsers showed Tick
	Tick  int64  `json:"tick"` // the world's tick it was measured at (1 tick = 1 simulated ms = 10 ms of the room's clock)
	// Stale marks the last value the broker had from a device whose path
	// to it is cut: republished once, retained, until the path is back.
	Stale bool `json:"stale,omitempty"`
}

// published is what the broker last published on a topic: the key that
// tells a change, and the payload, to mark stale when its device's path
// to the broker is cut.
type published struct {
	key string
	r   reading
}

// publish sends what changed in the open devices of every room a connected
// client subscribes to, and clears the retained topics of the rooms nobody
// subscribes to any more and of the rooms gone: a room nobody follows costs
// no simulation and no memory in the broker.
func (b *Broker) publish() {
	b.round.Lock()
	defer b.round.Unlock()
	watched, all := b.watched()
	live := map[string]bool{}
	b.reps.Each(func(r *replica.Replica) {
		live[r.ID] = true
		if all || watched[r.ID] {
			b.publishRoom(r)
		}
	})
	b.mu.Lock()
	var gone []string
	for room, topics := range b.last {
		if live[room] && (all || watched[room]) {
			continue
		}
		for topic := range topics {
			gone = append(gone, topic)
		}
		delete(b.last, room)
		delete(b.capped, room)
		delete(b.views, room)
	}
	b.mu.Unlock()
	for _, topic := range gone {
		b.srv.Publish(topic, nil, true, 0) // an empty retained message clears the topic
	}
}

// watched is the set of rooms that a connected client subscribes to, or
// all when one subscribes to every room (only an open broker lets it). It
// drops the clients whose room is gone.
func (b *Broker) watched() (rooms map[string]bool, all bool) {
	rooms = map[string]bool{}
	for _, cl := range b.srv.Clients.GetAll() {
		if cl.Net.Inline || cl.Closed() {
			continue
		}
		if !b.open && b.reps.Get(b.room(cl)) == nil {
			b.log.Info("mqtt client dropped: its room was removed", "client", cl.ID, "remote", cl.Net.Remote)
			cl.Stop(packets.ErrNotAuthorized)
			continue
		}
		for filter := range cl.State.Subscriptions.GetAll() {
			room, every, ok := filterRoom(filter)
			switch {
			case !ok:
			case every:
				all = true
			default:
				rooms[room] = true
			}
		}
	}
	return rooms, all
}

// filterRoom says which room's reading topics (thingyard/{room}/{device}/
// {metric}) a subscription filter matches: one room, every room, or none.
func filterRoom(filter string) (room string, every, ok bool) {
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		switch {
		case l == "#":
			return room, every || i <= 1, true
		case i >= 4:
			return "", false, false
		case l == "+":
			every = every || i == 1
		case i == 0 && l != sim.TopicPrefix:
			return "", false, false
		case i == 1:
			room = l
		}
	}
	if len(levels) != 4 {
		return "", false, false
	}
	return room, every, true
}

// message is one retained topic of a room's open devices as the world
// has it now.
type message struct {
	topic string
	p     reading
	key   string
	cut   bool // the device's path to the broker is cut: keep the last value, stale
}

// publishRoom publishes what changed in a room's open devices, retained,
// at most maxRoomTopics topics, and clears the topics it no longer has (a
// device removed, or past the bound). It publishes what the world's broker
// can know: a device whose path to a broker is cut sends nothing new; its
// online topic says false and its last values are published once more,
// marked stale, until the path is back.
func (b *Broker) publishRoom(r *replica.Replica) {
	v := b.views[r.ID]
	if v == nil {
		v = &sim.View{}
		b.views[r.ID] = v
	}
	out, more := roomMessages(r, v)
	send, gone, tell := b.changes(r.ID, out, more)
	if tell {
		b.log.Warn("mqtt publishes only part of a room", "room", r.ID, "published", maxRoomTopics,
			"why", fmt.Sprintf("a room keeps at most %d retained topics; REST has every device", maxRoomTopics))
	}
	for _, topic := range gone {
		b.srv.Publish(topic, nil, true, 0)
	}
	for _, m := range send {
		body, _ := json.Marshal(m.p)
		if err := b.srv.Publish(m.topic, body, true, 0); err == nil {
			b.published.Add(1)
		}
	}
}

// roomMessages is what a room's open devices would publish now, at most
// maxRoomTopics messages, and whether they have more topics than that. It
// stops at the bound: a room of 20,000 devices costs what its first
// topics do, not a description of each device every second. v is the
// room's view, kept from one round to the next.
func roomMessages(r *replica.Replica, v *sim.View) (out []message, more bool) {
	r.Read(func(w *sim.World, _ uint64) {
		now := w.Tick()
		api.EachDevice(r.ID, w, v, func(d api.Device) bool {
			if !d.Open {
				return true
			}
			cut := !d.ReachesBroker
			add := func(metric string, p reading, key string, cut bool) {
				if len(out) >= maxRoomTopics {
					more = true
					return
				}
				out = append(out, message{d.Topic + "/" + metric, p, key, cut})
			}
			for _, rd := range d.Readings {
				add(rd.Metric, reading{Value: rd.Value, Unit: rd.Unit, Time: r.Time(rd.SampledMs), Tick: rd.SampledMs}, fmt.Sprint(rd.Value, rd.SampledMs), cut)
			}
			if d.On != nil {
				add("on", reading{Value: *d.On, Time: r.Time(now), Tick: now}, fmt.Sprint(*d.On), cut)
			}
			online := d.Online && d.ReachesBroker
			add("online", reading{Value: online, Time: r.Time(now), Tick: now}, fmt.Sprint(online), false)
			return !more
		})
	})
	return out, more
}

// changes compares a room's messages with what the broker last published
// for it and remembers them: the messages to send, the topics to clear,
// and whether to tell, once, that the room has more topics than it keeps.
func (b *Broker) changes(room string, out []message, more bool) (send []message, gone []string, tell bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	last := b.last[room]
	if last == nil {
		last = map[string]published{}
		b.last[room] = last
	}
	keep := make(map[string]bool, len(out))
	for _, m := range out {
		keep[m.topic] = true
		prev, had := last[m.topic]
		if m.cut {
			// Nothing new reaches the broker: what it had, marked stale
			// once; nothing at all if it never had a value.
			if !had || prev.r.Stale {
				continue
			}
			m.p, m.key = prev.r, prev.key+" stale"
			m.p.Stale = true
		}
		if !had || prev.key != m.key {
			last[m.topic] = published{m.key, m.p}
			send = append(send, m)
		}
	}
	for topic := range last {
		if !keep[topic] {
			gone = append(gone, topic)
			delete(last, topic)
		}
	}
	tell = more && !b.capped[room]
	if tell {
		b.capped[room] = true
	}
	return send, gone, tell
}
