package mqttbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/thingyard/thingyard/sim"
)

// setTopic splits thingyard/{room}/{device}/set.
func setTopic(topic string) (room, device string, err error) {
	if len(topic) > maxTopic {
		return "", "", fmt.Errorf("topic longer than %d bytes", maxTopic)
	}
	room, device, leaf, ok := sim.SplitTopic(topic)
	if !ok || leaf != sim.TopicSet {
		return "", "", errors.New("clients publish only to thingyard/{room}/{device}/set; readings come from the room")
	}
	return room, device, nil
}

// parseSet reads the payload of a set topic:
//
//	on | off | {"on":true}          command an actuator or a board
//	{"power":false}                 switch any device off (or on)
//	{"key":"period_ms","value":500} set a key ({"key":"label","text":"…"})
func parseSet(device, kind string, payload []byte) (sim.Action, error) {
	switch strings.ToLower(strings.TrimSpace(string(payload))) {
	case "on", "off":
		payload = []byte(`{"on":` + fmt.Sprint(strings.EqualFold(strings.TrimSpace(string(payload)), "on")) + `}`)
	}
	var p struct {
		On    *bool    `json:"on"`
		Power *bool    `json:"power"`
		Key   string   `json:"key"`
		Value *float64 `json:"value"`
		Text  string   `json:"text"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return sim.Action{}, fmt.Errorf(`the payload must be on, off, {"on":true}, {"power":false} or {"key":"period_ms","value":500}: %v`, err)
	}
	forms := 0
	for _, set := range []bool{p.On != nil, p.Power != nil, p.Key != ""} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return sim.Action{}, errors.New(`the payload must hold exactly one of on, power or key`)
	}
	switch {
	case p.On != nil:
		if kind != sim.KindActuator.String() && kind != sim.KindBoard.String() {
			return sim.Action{}, fmt.Errorf(`%s is a %s; {"on":…} commands actuators and boards (switch it with {"power":…})`, device, kind)
		}
		return sim.Action{Kind: sim.ActCommand, Device: device, On: *p.On}, nil
	case p.Power != nil:
		return sim.Action{Kind: sim.ActPower, Device: device, On: *p.Power}, nil
	}
	a := sim.Action{Kind: sim.ActSet, Device: device, Key: p.Key, Text: p.Text}
	if p.Value != nil {
		a.Value = *p.Value
	}
	return a, a.Check()
}
