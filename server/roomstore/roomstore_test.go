package roomstore

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/server/store"
)

// A combination of store flags that cannot work says which flags clash.
func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		c    Config
		want string
	}{
		{Config{kind: "disk"}, `-store "disk": use jetstream or memory`},
		{Config{kind: "memory", nats: "nats://x"}, "-nats and -nats-listen need -store jetstream"},
		{Config{kind: "jetstream", nats: "nats://x", listen: ":4222"}, "-nats-listen shares the embedded JetStream"},
	} {
		if err := tt.c.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.c, err, tt.want)
		}
	}
	if err := (&Config{kind: "jetstream", nats: "nats://x"}).Check(); err != nil {
		t.Errorf("-nats alone: %v", err)
	}
}

// The rooms' secret is made once and read back the same, so tokens
// survive a restart and servers sharing a store agree on them.
func TestSecretIsKept(t *testing.T) {
	s := store.NewMemory(store.Limits{})
	defer s.Close()
	first, err := Secret(context.Background(), s)
	if err != nil || len(first) != 32 {
		t.Fatalf("first secret: %x, %v", first, err)
	}
	again, err := Secret(context.Background(), s)
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("the secret read again is %x (%v), want %x", again, err, first)
	}
}

// The instance name is -instance, or the same short hash for the same
// host and data.
func TestName(t *testing.T) {
	c := Config{}
	if a, b := c.name("host/data"), c.name("host/data"); a != b || len(a) != 8 || a == c.name("host/other") {
		t.Errorf("names %q %q: want one 8-digit name per host and data", a, b)
	}
	c.instance = "left"
	if got := c.name("host/data"); got != "left" {
		t.Errorf("-instance left: %q", got)
	}
}
