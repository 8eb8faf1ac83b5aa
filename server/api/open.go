package api

import (
	"fmt"

	"github.com/thingyard/thingyard/sim"
)

// openSide is the name of the side whose devices the open API exposes:
// the IoT side of every built-in scene. The other side is M2M: closed.
const openSide = "iot"

// whyClosed is what the API says of a device on the closed side.
const whyClosed = "an M2M device answers only its own master on its own bus (Modbus RTU, CAN): it has no topic, and this API lists it without its readings or state and refuses actions on it; reading it from outside takes a gateway someone must build"

// Closed says why an outside program may not take action a in world w,
// and the action's field at fault, or "" when it may. The open API (REST and MQTT) is what other programs
// use, as a real IoT platform's is: it reaches the devices and links of
// the open side only. A person at the room's page acts on both sides; the
// page's actions do not come this way. A device or link the world does
// not have yet (an add still to come) is left to the room's gate.
func Closed(w *sim.World, v *sim.View, a sim.Action) (field, why string) {
	if a.Device != "" {
		if d, ok := w.Device(a.Device); ok && d.Side != openSide {
			return "device", fmt.Sprintf("%s is on the %s side, which has no open API: outside programs (REST, MQTT) reach only the %s side; a person acts on it in the room's page", a.Device, sideName(d.Side), sideName(openSide))
		}
	}
	if a.Link == "" || a.Link == sim.Internet {
		return "", ""
	}
	w.View(v)
	for _, l := range v.Links {
		if l.ID != a.Link || len(l.Members) == 0 {
			continue
		}
		for _, m := range l.Members {
			if v.Sides[v.Devices[m].Side] == openSide {
				return "", ""
			}
		}
		return "link", fmt.Sprintf("%s is a link of the %s side, which has no open API: outside programs (REST, MQTT) reach only the %s side; a person acts on it in the room's page", a.Link, sideName(v.Sides[v.Devices[l.Members[0]].Side]), sideName(openSide))
	}
	return "", ""
}

// sideName is how people write a side's name: M2M, IoT, or the scene's own.
func sideName(side string) string {
	switch side {
	case "m2m":
		return "M2M"
	case "iot":
		return "IoT"
	}
	return side
}
