package ui

import (
	"strconv"
	"strings"

	"github.com/vugu/vugu"

	"github.com/thingyard/thingyard/sim"
)

// ToggleEvents opens or closes the event list.
func (c *Root) ToggleEvents(vugu.DOMEvent) {
	open := !c.Model.Events.Open
	c.Model.Events.Open = open
	c.Send(OpenEvents{Open: open})
}

func (c *Root) eventsLabel() string {
	if c.Model.Events.Open {
		return "Close the event list"
	}
	return "Event list"
}

// sendFilter hands the game loop the list's filter as the panel holds it.
func (c *Root) sendFilter() {
	c.Send(FilterEvents{Filter: c.evFilter})
}

// SetEventSide, SetEventProtocol, SetEventOutcome and SetEventSearch
// change the event list's filter.
func (c *Root) SetEventSide(e vugu.DOMEvent) {
	c.evFilter.Side = e.PropString("target", "value")
	c.sendFilter()
}
func (c *Root) SetEventProtocol(e vugu.DOMEvent) {
	c.evFilter.Protocol = e.PropString("target", "value")
	c.sendFilter()
}
func (c *Root) SetEventOutcome(e vugu.DOMEvent) {
	c.evFilter.Outcome = e.PropString("target", "value")
	c.sendFilter()
}
func (c *Root) SetEventSearch(e vugu.DOMEvent) {
	c.evFilter.Search = strings.TrimSpace(e.PropString("target", "value"))
	c.sendFilter()
}

// eventSides, eventProtocols and eventOutcomes are the filters' choices,
// the first choosing all.
func (c *Root) eventSides() []choice {
	return choices(c.evFilter.Side, []string{"", "m2m", "iot"}, func(s string) string {
		if s == "" {
			return "both sides"
		}
		return strings.ToUpper(s)
	})
}

func (c *Root) eventProtocols() []choice {
	names := []string{""}
	for _, p := range sim.Protocols() {
		names = append(names, p.String())
	}
	return choices(c.evFilter.Protocol, names, func(s string) string {
		if s == "" {
			return "every protocol"
		}
		return protocolTitle(s)
	})
}

func (c *Root) eventOutcomes() []choice {
	return choices(c.evFilter.Outcome, append([]string{""}, Outcomes...), func(s string) string {
		if s == "" {
			return "any outcome"
		}
		return s
	})
}

func choices(cur string, values []string, label func(string) string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		out[i] = choice{Value: v, Label: label(v), Selected: v == cur}
	}
	return out
}

// protocolTitle is a protocol's name as people write it.
func protocolTitle(p string) string {
	switch p {
	case "modbus-rtu":
		return "Modbus RTU"
	case "coap":
		return "CoAP"
	case "zigbee":
		return "Zigbee"
	case "lorawan":
		return "LoRaWAN"
	}
	return strings.ToUpper(p)
}

// eventsStatus says which rows show, of how many, and what fell off.
func (c *Root) eventsStatus() string {
	v := &c.Model.Events
	if v.Matching == 0 {
		if v.Kept == 0 {
			return "No frame sent yet."
		}
		return "No frame matches: " + strconv.Itoa(v.Kept) + " kept."
	}
	first := v.Newer + 1
	s := "Rows " + thousands(first) + "–" + thousands(v.Newer+len(v.Rows)) + " of " + thousands(v.Matching) + " matching, newest first"
	if v.Before == 0 {
		s += " (live)"
	}
	s += " · " + thousands(v.Kept) + " kept"
	if v.FellOff > 0 {
		s += " · " + thousands(int(v.FellOff)) + " older fell off"
	}
	return s
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// EventsNewer, EventsOlder and EventsLatest move the list's window.
func (c *Root) EventsNewer(vugu.DOMEvent) {
	c.Send(EventsAt{Before: c.Model.Events.NewerBefore})
}
func (c *Root) EventsOlder(vugu.DOMEvent) {
	if c.Model.Events.Older != 0 {
		c.Send(EventsAt{Before: c.Model.Events.Older})
	}
}
func (c *Root) EventsLatest(vugu.DOMEvent) { c.Send(EventsAt{}) }

// PickEvent shows a row's frame in the inspector and marks it in the
// world.
func (c *Root) PickEvent(_ vugu.DOMEvent, n uint64) { c.Send(PickEvent{N: n}) }

// ShowAllDevices lifts the list's device filter: the device is no longer
// selected.
func (c *Root) ShowAllDevices(vugu.DOMEvent) { c.Send(AllDevices{}) }

// DownloadCapture writes the rows of the window, or every row kept, as a
// pcapng file; it runs inside the click, as a download wants.
func (c *Root) DownloadCapture(_ vugu.DOMEvent, all bool) {
	if c.Download != nil {
		c.Download(all)
	}
}

func (c *Root) eventRowClass(r EventRow) string {
	s := "ev-" + r.Side
	if r.Outcome == OutcomeLost {
		s += " ev-lost"
	}
	if r.N == c.Model.Events.Picked {
		s += " ev-picked"
	}
	return s
}

func (c *Root) eventPicked(r EventRow) string { return c.pressed(r.N == c.Model.Events.Picked) }

func (c *Root) eventOutcome(r EventRow) string {
	if r.Why != "" {
		return "lost: " + r.Why
	}
	return r.Outcome
}

func (c *Root) eventPickLabel(r EventRow) string {
	return "Inspect the " + protocolTitle(r.Protocol) + " " + r.Kind + " from " + r.From + " to " + r.To + " at " + r.Time
}

func eventProto(r EventRow) string { return protocolTitle(r.Protocol) }

func eventSize(r EventRow) string { return strconv.Itoa(r.Size) }
