package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/server/limit"
	"github.com/thingyard/thingyard/server/problem"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/replica"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// Open API timing.
const (
	// apiLead is how far ahead of the room's clock an action from an
	// outside program is scheduled, so it reaches every browser before its
	// tick: 20 ticks (0.2 s), as a browser schedules its own.
	apiLead = 20
	// keepAlive is how often an idle event stream gets a comment line, so
	// proxies do not close it (15 s).
	keepAlive = 15 * time.Second
)

// openSide is the name of the side whose devices the open API exposes:
// the IoT side of every built-in scene. The other side is M2M: closed.
const openSide = "iot"

// whyClosed is what the API says of a device on the closed side.
const whyClosed = "an M2M device answers only its own master on its own bus (Modbus RTU, CAN): it has no topic, and this API lists it without its readings or state and refuses actions on it; reading it from outside takes a gateway someone must build"

// closedTo says why an outside program may not take action a in world w,
// and the action's field at fault, or "" when it may. The open API (REST and MQTT) is what other programs
// use, as a real IoT platform's is: it reaches the devices and links of
// the open side only. A person at the room's page acts on both sides; the
// page's actions do not come this way. A device or link the world does
// not have yet (an add still to come) is left to the room's gate.
func closedTo(w *sim.World, v *sim.View, a sim.Action) (field, why string) {
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

// api serves the open API of the live rooms: REST and server-sent events.
type api struct {
	rel   *relay.Relay
	reps  *replica.Set
	log   *slog.Logger
	calls *limit.Keyed // API calls per IP address
}

// API rate limits per IP address: every call of the open API but the
// OpenAPI document counts, reads too, since a read steps a room's world.
const (
	apiRate  = 30 // calls a second
	apiBurst = 60 // calls at once
)

// limited wraps an API handler with the per-address rate limit.
func (a *api) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.calls.Allow(limit.Source(r)) {
			w.Header().Set("Retry-After", "1")
			problem.Write(w, http.StatusTooManyRequests, fmt.Sprintf("rate limit: at most %g API calls a second from one address", a.calls.Rate()))
			return
		}
		h(w, r)
	}
}

func apiRoutes(mux *http.ServeMux, a *api) {
	mux.HandleFunc("GET /api/openapi.json", serveOpenAPI)
	mux.HandleFunc("POST /api/rooms", a.rel.HandleCreate(scenes.Default))
	if a.calls == nil {
		a.calls = limit.New(apiRate, apiBurst, nil)
	}
	mux.HandleFunc("GET /api/rooms/{id}", a.limited(a.room))
	mux.HandleFunc("GET /api/rooms/{id}/devices", a.limited(a.devices))
	mux.HandleFunc("GET /api/rooms/{id}/devices/{device}", a.limited(a.device))
	mux.HandleFunc("POST /api/rooms/{id}/actions", a.limited(a.action))
	mux.HandleFunc("GET /api/rooms/{id}/events", a.limited(a.events))
	unknown := func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, http.StatusNotFound, fmt.Sprintf("no %s %s in the API: see /api/openapi.json", r.Method, r.URL.Path))
	}
	mux.HandleFunc("GET /api/", unknown)
	mux.HandleFunc("POST /api/", unknown)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// live finds a room and its replica, or writes a 404.
func (a *api) live(w http.ResponseWriter, r *http.Request) (relay.Room, *replica.Replica, bool) {
	id := r.PathValue("id")
	info, ok := a.rel.Info(id)
	rep := a.reps.Get(id)
	if !ok || rep == nil {
		// A full disk still finds every room; anything else unhealthy
		// may hide one.
		if err := a.rel.Healthy(); err != nil && !errors.Is(err, store.ErrNoSpace) {
			w.Header().Set("Retry-After", "5")
			problem.Write(w, http.StatusServiceUnavailable, err.Error())
			return info, nil, false
		}
		problem.Write(w, http.StatusNotFound, fmt.Sprintf("no live room %q: make one with POST /rooms (rooms in which nothing happens are removed after a while)", id))
		return info, nil, false
	}
	return info, rep, true
}

// roomJSON is GET /api/rooms/{id}.
//
// The API has two clocks. World time counts in ticks of one simulated
// millisecond: tick, and a reading's sampled_ms, are world time. The room's
// clock is real time: a room's world runs ten times slower than real time
// (wire.MsPerTick, 10 ms of the room's clock a tick) so that a Modbus poll
// can be followed by eye, so 100 ticks pass in a real second and a sensor
// sampling every simulated second has a new value every 10 real seconds.
// Time (and MQTT's time) is the room's clock when its browsers showed
// that tick.
type roomJSON struct {
	ID      string   `json:"id"`
	Scene   string   `json:"scene"`
	Seq     uint64   `json:"seq"`
	Members []string `json:"members"`
	Tick    int64    `json:"tick"` // world time now, in ticks of 1 simulated ms
	// Time is the room's clock (real time, RFC 3339) at Tick.
	Time string `json:"time"`
	// RealMsPerTick is how many ms of the room's clock a tick takes: 10,
	// a world ten times slower than real time.
	RealMsPerTick int64  `json:"real_ms_per_tick"`
	Hash          string `json:"hash"`
	// Token is the room's password for outside programs (MQTT: user name
	// the room id): whoever reads this already holds the room's link.
	Token string `json:"token"`
}

func (a *api) room(w http.ResponseWriter, r *http.Request) {
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	out := roomJSON{ID: info.ID, Scene: info.Scene, Seq: info.Seq, Members: info.Members, Token: a.rel.Token(info.ID), RealMsPerTick: wire.MsPerTick}
	if err := rep.Read(func(wd *sim.World, _ uint64) { out.Tick, out.Hash = wd.Tick(), sim.HashString(wd.Hash()) }); err != nil {
		problem.Write(w, http.StatusInternalServerError, err.Error())
		return
	}
	out.Time = rep.Time(out.Tick)
	writeJSON(w, http.StatusOK, out)
}

// deviceJSON is one device of GET /api/rooms/{id}/devices.
type deviceJSON struct {
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
	ReachesBroker bool          `json:"reaches_broker"`
	On            *bool         `json:"on,omitempty"` // an actuator's or a board's state
	Readings      []readingJSON `json:"readings"`
	Protocol      string        `json:"protocol,omitempty"`
	Links         []string      `json:"links"`
	Topic         string        `json:"topic,omitempty"`      // MQTT topic prefix, open devices only
	Closed        string        `json:"why_closed,omitempty"` // why a closed device has no topic
}

// readingJSON is a device's latest measured value.
type readingJSON struct {
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit,omitempty"`
	SampledMs int64   `json:"sampled_ms"` // world time of the measurement: the tick it was measured at (1 tick = 1 simulated ms)
}

// devicesOf describes every device of a world, in creation order.
func devicesOf(room string, w *sim.World, v *sim.View) []deviceJSON {
	w.View(v)
	out := make([]deviceJSON, 0, len(v.Devices))
	for i := range v.Devices {
		dv := &v.Devices[i]
		info, ok := w.Device(dv.ID)
		if !ok {
			continue
		}
		d := deviceJSON{ID: info.ID, Label: info.Label, Kind: info.Kind, Side: info.Side, Open: info.Side == openSide,
			Powered: info.Powered, Online: dv.Online, Readings: []readingJSON{}, Protocol: info.Protocol, Links: info.Links,
			ReachesBroker: w.ReachesBroker(info.ID)}
		if d.Links == nil {
			d.Links = []string{}
		}
		if !d.Open {
			// A closed device is listed, as the room shows it, but what
			// it measures and its state are its master's alone.
			d.Closed = whyClosed
			out = append(out, d)
			continue
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
				rd := readingJSON{Metric: r.Metric(), Value: r.Value, SampledMs: r.SampledMs}
				if r.Name == info.Quantity {
					rd.Unit = info.Unit
				}
				d.Readings = append(d.Readings, rd)
			}
		case m != "" && info.SampledMs > 0:
			d.Readings = append(d.Readings, readingJSON{Metric: m, Value: info.Value, Unit: info.Unit, SampledMs: info.SampledMs})
		}
		out = append(out, d)
	}
	return out
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

func (a *api) devices(w http.ResponseWriter, r *http.Request) {
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	var out struct {
		Room    string       `json:"room"`
		Tick    int64        `json:"tick"` // world time now (see roomJSON)
		Devices []deviceJSON `json:"devices"`
	}
	out.Room = info.ID
	var v sim.View
	if err := rep.Read(func(wd *sim.World, _ uint64) { out.Tick, out.Devices = wd.Tick(), devicesOf(info.ID, wd, &v) }); err != nil {
		problem.Write(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) device(w http.ResponseWriter, r *http.Request) {
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	id := r.PathValue("device")
	var found *deviceJSON
	var v sim.View
	rep.Read(func(wd *sim.World, _ uint64) {
		for _, d := range devicesOf(info.ID, wd, &v) {
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

// actionResult is what POST /api/rooms/{id}/actions returns.
type actionResult struct {
	Seq    uint64     `json:"seq"`
	At     int64      `json:"at"`
	Action sim.Action `json:"action"`
}

func (a *api) action(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		problem.Write(w, http.StatusUnsupportedMediaType, fmt.Sprintf("an action is sent as Content-Type: application/json, not %q (so that no other web page can post one)", r.Header.Get("Content-Type")))
		return
	}
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxFrame+1))
	if err != nil {
		problem.Write(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if len(body) > wire.MaxFrame {
		problem.Write(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("an action is at most %d bytes", wire.MaxFrame))
		return
	}
	// The gate explains a body that is not an action; only an action that
	// names a device or a side's own link needs the world's sides.
	var act sim.Action
	if json.Unmarshal(body, &act) == nil && (act.Device != "" || (act.Link != "" && act.Link != sim.Internet)) {
		var field, why string
		var v sim.View
		if err := rep.Read(func(wd *sim.World, _ uint64) { field, why = closedTo(wd, &v, act) }); err != nil {
			problem.Write(w, http.StatusInternalServerError, err.Error())
			return
		}
		if why != "" {
			problem.WriteField(w, http.StatusForbidden, why, field)
			return
		}
	}
	res, err := submit(a.rel, rep, info.ID, "api", body)
	if err != nil {
		var ae *sim.ActionError
		switch {
		case errors.As(err, &ae):
			problem.WriteField(w, http.StatusUnprocessableEntity, err.Error(), ae.Field)
		case errors.Is(err, relay.ErrNoRoom):
			problem.Write(w, http.StatusNotFound, err.Error())
		case errors.Is(err, relay.ErrLogFull), errors.Is(err, wire.ErrBadJSON):
			problem.Write(w, http.StatusUnprocessableEntity, err.Error())
		case errors.Is(err, store.ErrNoSpace):
			problem.Write(w, http.StatusInsufficientStorage, err.Error())
		default:
			w.Header().Set("Retry-After", "5")
			problem.Write(w, http.StatusServiceUnavailable, err.Error())
		}
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

// submit logs an action from an outside program in the room for every
// browser, through the room's gate as a browser's action goes: checked
// alike, and scheduled wire.Lead ticks ahead unless it names its tick.
func submit(rel *relay.Relay, _ *replica.Replica, room, from string, body []byte) (actionResult, error) {
	var probe struct {
		Kind sim.ActionKind `json:"kind"`
	}
	json.Unmarshal(body, &probe) // the gate explains a body that is not an action
	kind := wire.KindAction
	if probe.Kind == sim.ActReading {
		kind = wire.KindReading
	}
	e, err := rel.Publish(room, from, kind, body)
	if err != nil {
		return actionResult{}, err
	}
	var act sim.Action
	if err := json.Unmarshal(e.Body, &act); err != nil {
		return actionResult{}, fmt.Errorf("the room logged an action it cannot read back: %w", err)
	}
	return actionResult{Seq: e.Seq, At: act.At, Action: act}, nil
}

// events is GET /api/rooms/{id}/events: the room's envelopes as
// server-sent events, each with its seq as the event id, so a client that
// reconnects with Last-Event-ID misses nothing. Without since or
// Last-Event-ID the stream starts with what comes next; a since older than
// the room's latest snapshot gets it first, as one "snapshot" event.
func (a *api) events(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	since := r.URL.Query().Get("since")
	if l := r.Header.Get("Last-Event-ID"); l != "" {
		since = l
	}
	from := relay.FromNow
	if since != "" {
		n, err := strconv.ParseUint(since, 10, 64)
		if err != nil {
			problem.WriteField(w, http.StatusBadRequest, fmt.Sprintf("since (or Last-Event-ID) %q is not a sequence number", since), "since")
			return
		}
		from = n
	}
	snap, backlog, sub, err := a.rel.Subscribe(id, from)
	if errors.Is(err, relay.ErrSubs) {
		w.Header().Set("Retry-After", "10")
		problem.Write(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if err != nil {
		problem.Write(w, http.StatusNotFound, fmt.Sprintf("no live room %q: make one with POST /rooms", id))
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(e wire.Envelope) error {
		data, _ := json.Marshal(e)
		_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, data)
		return err
	}
	io.WriteString(w, "retry: 2000\n\n")
	if snap != nil {
		// The log up to the snapshot, folded into the room's world state
		// (when it has one) and the actions after it.
		fmt.Fprintf(w, "id: %d\nevent: snapshot\ndata: {\"seq\":%d,", snap.Seq, snap.Seq)
		if snap.World != nil {
			fmt.Fprintf(w, "\"world_seq\":%d,\"world_tick\":%d,\"world\":", snap.WorldSeq, snap.WorldTick)
			w.Write(snap.WorldJSON())
			io.WriteString(w, ",")
		}
		io.WriteString(w, "\"actions\":")
		for _, p := range snap.Parts() {
			w.Write(p)
		}
		io.WriteString(w, "}\n\n")
	}
	for _, e := range backlog {
		if send(e) != nil {
			return
		}
	}
	rc.Flush()
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			io.WriteString(w, ": keep-alive\n\n")
		case e, ok := <-sub.C:
			if !ok {
				body, _ := json.Marshal(wire.Error{Msg: sub.Err().Error()})
				fmt.Fprintf(w, "event: error\ndata: %s\n\n", body)
				rc.Flush()
				return
			}
			if send(e) != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}
