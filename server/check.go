package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/wire"
)

// checkAction vets the body of an action or reading envelope the same way
// for a browser, a REST call and an MQTT publish: strict JSON of a
// sim.Action, well formed by Action.Check, and a reading carried as a
// reading. The error is a *sim.ActionError naming the field at fault.
func checkAction(kind string, body json.RawMessage) error {
	_, err := decodeAction(kind, body)
	return err
}

func decodeAction(kind string, body []byte) (sim.Action, error) {
	var a sim.Action
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, &sim.ActionError{Field: jsonField(err), Msg: "the body is not an action: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return a, &sim.ActionError{Field: "", Msg: "more than one JSON value"}
	}
	if (kind == wire.KindReading) != (a.Kind == sim.ActReading) {
		return a, &sim.ActionError{Field: "kind", Msg: fmt.Sprintf("a %s envelope cannot carry a %q action (readings travel as reading, everything else as action)", kind, a.Kind)}
	}
	return a, a.Check()
}

// jsonField is the field a JSON decoding error is about, or "".
func jsonField(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
	}
	return ""
}
