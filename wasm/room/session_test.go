package room_test

import (
	"testing"

	"github.com/thingyard/thingyard/wasm/room"
)

func TestBroker(t *testing.T) {
	for _, c := range []struct{ mqtt, host, port string }{
		{"", "", ""},
		{"mqtt.example.org:1883", "mqtt.example.org", "1883"},
		{":1883", "page.example.org", "1883"},
		{"0.0.0.0:1883", "page.example.org", "1883"},
		{"[::]:1883", "page.example.org", "1883"},
		{"[2001:db8::1]:8883", "2001:db8::1", "8883"},
	} {
		s := room.NewSession("r", nil, nil)
		s.MQTT = c.mqtt
		if host, port := s.Broker("page.example.org"); host != c.host || port != c.port {
			t.Errorf("Broker of %q is %q %q, want %q %q", c.mqtt, host, port, c.host, c.port)
		}
	}
}
