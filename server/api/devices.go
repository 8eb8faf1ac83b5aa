package api

import (
	"fmt"
	"net/http"

	"github.com/thingyard/thingyard/server/problem"
	"github.com/thingyard/thingyard/sim"
)

// Device is one device of GET /api/rooms/{id}/devices.
type Device struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Kind    string `json:"kind"`
	Side    string `json:"side"`
	Open    bool   `json:"open"` // reachable through the open API (REST, MQTT)
	Powered bool   `json:"powered"`
	Online  bool   `json:"online"`
	// ReachesBroker: what the device publishes reaches a broker now (see
	// sim.World.ReachesBroker). MQTT's online topic and fresh readings
	// follow it; an M2M device never does.
	ReachesBroker bool      `json:"reaches_broker"`
	On            *bool     `json:"on,omitempty"` // an actuator's or a board's state
	Readings      []Reading `json:"readings"`
	Protocol      string    `json:"protocol,omitempty"`
	Links         []string  `json:"links"`
	Topic         string    `json:"topic,omitempty"`      // MQTT topic prefix, open devices only
	Closed        string    `json:"why_closed,omitempty"` // why a closed device has no topic
}

// Reading is a device's latest measured value.
type Reading struct {
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit,omitempty"`
	SampledMs int64   `json:"sampled_ms"` // world time of the measurement: the tick it was measured at (1 tick = 1 simulated ms)
}

// Devices describes every device of a world, in creation order, as the
// REST API lists them and the MQTT bridge publishes them.
func Devices(room string, w *sim.World, v *sim.View) []Device {
	var out []Device
	EachDevice(room, w, v, func(d Device) bool {
		if out == nil {
			out = make([]Device, 0, len(v.Devices))
		}
		out = append(out, d)
		return true
	})
	if out == nil {
		out = []Device{}
	}
	return out
}

// EachDevice gives fn each device of a world as Devices describes it, in
// the same order, until fn returns false: a caller that wants only the
// first ones (the MQTT bridge publishes at most a room's bound of topics)
// does not pay for a large world's every device.
func EachDevice(room string, w *sim.World, v *sim.View, fn func(Device) bool) {
	w.View(v)
	for i := range v.Devices {
		if d, ok := describe(room, w, &v.Devices[i]); ok && !fn(d) {
			return
		}
	}
}

// describe is one device of a world as Devices lists it, or false if the
// world no longer has it.
func describe(room string, w *sim.World, dv *sim.DeviceView) (Device, bool) {
	info, ok := w.Device(dv.ID)
	if !ok {
		return Device{}, false
	}
	d := Device{ID: info.ID, Label: info.Label, Kind: info.Kind, Side: info.Side, Open: info.Side == openSide,
		Powered: info.Powered, Online: dv.Online, Readings: []Reading{}, Protocol: info.Protocol, Links: info.Links,
		ReachesBroker: w.ReachesBroker(info.ID)}
	if d.Links == nil {
		d.Links = []string{}
	}
	if !d.Open {
		// A closed device is listed, as the room shows it, but what
		// it measures and its state are its master's alone.
		d.Closed = whyClosed
		return d, true
	}
	d.Topic = sim.DeviceTopic(room, d.ID)
	if dv.Kind == sim.KindActuator || dv.Kind == sim.KindBoard {
		on := info.On
		d.On = &on
	}
	switch m := metricOf(info); {
	case len(info.Readings) > 0:
		// A real board: a metric per name it printed.
		for _, r := range info.Readings {
			rd := Reading{Metric: r.Metric(), Value: r.Value, SampledMs: r.SampledMs}
			if r.Name == info.Quantity {
				rd.Unit = info.Unit
			}
			d.Readings = append(d.Readings, rd)
		}
	case m != "" && info.SampledMs > 0:
		d.Readings = append(d.Readings, Reading{Metric: m, Value: info.Value, Unit: info.Unit, SampledMs: info.SampledMs})
	}
	return d, true
}

// metricOf is the name of what a device measures, or "" for one that
// measures nothing.
func metricOf(d sim.DeviceInfo) string {
	if d.Kind != sim.KindSensor.String() && d.Kind != sim.KindBoard.String() {
		return ""
	}
	if d.Quantity == "" {
		return "value"
	}
	return d.Quantity
}

func (a *API) devices(w http.ResponseWriter, r *http.Request) {
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	var out struct {
		Room    string   `json:"room"`
		Tick    int64    `json:"tick"` // world time now (see Room)
		Devices []Device `json:"devices"`
	}
	out.Room = info.ID
	var v sim.View
	if err := rep.Read(func(wd *sim.World, _ uint64) { out.Tick, out.Devices = wd.Tick(), Devices(info.ID, wd, &v) }); err != nil {
		problem.Write(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) device(w http.ResponseWriter, r *http.Request) {
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	id := r.PathValue("device")
	var found *Device
	var v sim.View
	rep.Read(func(wd *sim.World, _ uint64) {
		for _, d := range Devices(info.ID, wd, &v) {
			if d.ID == id {
				found = &d
				return
			}
		}
	})
	if found == nil {
		problem.Write(w, http.StatusNotFound, fmt.Sprintf("room %s has no device %q: GET /api/rooms/%s/devices lists them", info.ID, id, info.ID))
		return
	}
	writeJSON(w, http.StatusOK, found)
}
