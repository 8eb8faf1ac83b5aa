package ui

import (
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// The inspector's mosquitto lines carry the room's credentials: without
// them the broker refuses the client.
func TestMQTTLinesCarryCredentials(t *testing.T) {
	c := &Root{Model: &Model{Room: "room1234", MQTTHost: "10.0.0.5", MQTTPort: "1883", MQTTToken: "secrettoken",
		Device: &sim.DeviceInfo{ID: "fan", Kind: "actuator"}}}
	tests := []struct{ got, want string }{
		{c.subLine(), "mosquitto_sub -h 10.0.0.5 -p 1883 -u room1234 -P secrettoken -t 'thingyard/room1234/fan/#' -v"},
		{c.pubLine(), "mosquitto_pub -h 10.0.0.5 -p 1883 -u room1234 -P secrettoken -t 'thingyard/room1234/fan/set' -m on"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}
