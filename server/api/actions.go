package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/thingyard/thingyard/server/problem"
	"github.com/thingyard/thingyard/server/relay"
	"github.com/thingyard/thingyard/server/store"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// ActionResult is what POST /api/rooms/{id}/actions returns.
type ActionResult struct {
	Seq    uint64     `json:"seq"`
	At     int64      `json:"at"`
	Action sim.Action `json:"action"`
}

func (a *API) action(w http.ResponseWriter, r *http.Request) {
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
		if err := rep.Read(func(wd *sim.World, _ uint64) { field, why = Closed(wd, &v, act) }); err != nil {
			problem.Write(w, http.StatusInternalServerError, err.Error())
			return
		}
		if why != "" {
			problem.WriteField(w, http.StatusForbidden, why, field)
			return
		}
	}
	res, err := Submit(a.rel, info.ID, "api", body)
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

// Submit logs an action from an outside program in the room for every
// browser, through the room's gate as a browser's action goes: checked
// alike, and scheduled wire.Lead ticks ahead unless it names its tick.
func Submit(rel *relay.Relay, room, from string, body []byte) (ActionResult, error) {
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
		return ActionResult{}, err
	}
	var act sim.Action
	if err := json.Unmarshal(e.Body, &act); err != nil {
		return ActionResult{}, fmt.Errorf("the room logged an action it cannot read back: %w", err)
	}
	return ActionResult{Seq: e.Seq, At: act.At, Action: act}, nil
}
