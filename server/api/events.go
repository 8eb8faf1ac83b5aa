package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/thingyard/thingyard/server/problem"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/wire"
)

// events is GET /api/rooms/{id}/events: the room's envelopes as
// server-sent events, each with its seq as the event id, so a client that
// reconnects with Last-Event-ID misses nothing. Without since or
// Last-Event-ID the stream starts with what comes next; a since older than
// the room's latest snapshot gets it first, as one "snapshot" event.
func (a *API) events(w http.ResponseWriter, r *http.Request) {
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
		writeSnapshot(w, snap)
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

// writeSnapshot writes the log up to a snapshot as one "snapshot" event:
// the room's world state (when it has one) and the actions after it.
func writeSnapshot(w io.Writer, snap *relay.Snapshot) {
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
