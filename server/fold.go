package main

import (
	"encoding/json"
	"fmt"

	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// sceneFolder folds a room's actions into its built-in scene, so a browser
// joining a long-lived room loads one scene instead of replaying a long log.
type sceneFolder struct{}

func (sceneFolder) Fold(scene string, bodies []json.RawMessage) (string, error) {
	sc, err := scenes.Builtin(scene)
	if err != nil {
		return "", err
	}
	acts := make([]sim.Action, 0, len(bodies))
	for i, b := range bodies {
		var a sim.Action
		if err := json.Unmarshal(b, &a); err != nil {
			return "", fmt.Errorf("action %d: %w", i+1, err)
		}
		acts = append(acts, a)
	}
	y, err := scenes.Marshal(scenes.Fold(sc, acts))
	return string(y), err
}
