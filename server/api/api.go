// Package api is Thingyard's open API over HTTP: REST for a live room, its
// devices and actions, the room's log as server-sent events, and the
// OpenAPI document that describes them. It reaches the open (IoT) side of
// a room only (see Closed), as the MQTT bridge does, which publishes the
// same device view (Devices) and submits actions the same way (Submit).
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
	// keepAlive is how often an idle event stream gets a comment line, so
	// proxies do not close it (15 s).
	keepAlive = 15 * time.Second
)

// API serves the open API of the live rooms: REST and server-sent events.
type API struct {
	rel   *relay.Relay
	reps  *replica.Set
	calls *limit.Keyed // API calls per IP address
}

// API rate limits per IP address: every call of the open API but the
// OpenAPI document counts, reads too, since a read steps a room's world.
const (
	DefaultRate  = 30 // calls a second
	DefaultBurst = 60 // calls at once
)

// limited wraps an API handler with the per-address rate limit.
func (a *API) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.calls.Allow(limit.Source(r)) {
			w.Header().Set("Retry-After", "1")
			problem.Write(w, http.StatusTooManyRequests, fmt.Sprintf("rate limit: at most %g API calls a second from one address", a.calls.Rate()))
			return
		}
		h(w, r)
	}
}

// New serves the open API of rel's rooms, reading their worlds from reps;
// calls limits the calls of each address (nil: DefaultRate, DefaultBurst).
func New(rel *relay.Relay, reps *replica.Set, calls *limit.Keyed) *API {
	if calls == nil {
		calls = limit.New(DefaultRate, DefaultBurst, nil)
	}
	return &API{rel: rel, reps: reps, calls: calls}
}

// Routes mounts the open API on mux, under /api/.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/openapi.json", serveOpenAPI)
	mux.HandleFunc("POST /api/rooms", a.rel.HandleCreate(scenes.Default))
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
func (a *API) live(w http.ResponseWriter, r *http.Request) (relay.Room, *replica.Replica, bool) {
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

// Room is GET /api/rooms/{id}.
//
// The API has two clocks. World time counts in ticks of one simulated
// millisecond: tick, and a reading's sampled_ms, are world time. The room's
// clock is real time: a room's world runs ten times slower than real time
// (wire.MsPerTick, 10 ms of the room's clock a tick) so that a Modbus poll
// can be followed by eye, so 100 ticks pass in a real second and a sensor
// sampling every simulated second has a new value every 10 real seconds.
// Time (and MQTT's time) is the room's clock when its browsers showed
// that tick.
type Room struct {
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

func (a *API) room(w http.ResponseWriter, r *http.Request) {
	info, rep, ok := a.live(w, r)
	if !ok {
		return
	}
	out := Room{ID: info.ID, Scene: info.Scene, Seq: info.Seq, Members: info.Members, Token: a.rel.Token(info.ID), RealMsPerTick: wire.MsPerTick}
	if err := rep.Read(func(wd *sim.World, _ uint64) { out.Tick, out.Hash = wd.Tick(), sim.HashString(wd.Hash()) }); err != nil {
		problem.Write(w, http.StatusInternalServerError, err.Error())
		return
	}
	out.Time = rep.Time(out.Tick)
	writeJSON(w, http.StatusOK, out)
}
