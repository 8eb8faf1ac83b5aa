package mqttbridge

import (
	"encoding/json"
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// Whatever an MQTT client publishes to a set topic, parseSet does not
// panic, and an action it makes passes the action check and is small.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{"on", "OFF ", `{"on":true}`, `{"power":false}`, `{"key":"period_ms","value":500}`, `{"key":"label","text":"Hall"}`, `{"on":1}`} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, payload string, actuator bool) {
		kind := sim.KindSensor.String()
		if actuator {
			kind = sim.KindActuator.String()
		}
		a, err := parseSet("meter", kind, []byte(payload))
		if err != nil {
			return
		}
		if err := a.Check(); err != nil {
			t.Fatalf("%q made an action the check refuses: %+v: %v", payload, a, err)
		}
		if b, _ := json.Marshal(a); len(b) > 1024 {
			t.Fatalf("%q made an action of %d bytes", payload, len(b))
		}
	})
}
