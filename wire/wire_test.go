package wire_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/wire"
)

func TestDecode(t *testing.T) {
	good := `{"kind":"action","body":{"kind":"cut","link":"internet"}}`
	e, err := wire.Decode([]byte(good))
	if err != nil || e.Kind != "action" || string(e.Body) != `{"kind":"cut","link":"internet"}` {
		t.Fatalf("Decode(good) = %+v, %v", e, err)
	}
	for name, tt := range map[string]struct {
		in   string
		want error
	}{
		"huge":         {`{"kind":"action","body":{"x":"` + strings.Repeat("a", wire.MaxFrame) + `"}}`, wire.ErrTooLarge},
		"not json":     {`hello`, wire.ErrBadJSON},
		"server kind":  {`{"kind":"welcome","body":{}}`, wire.ErrKind},
		"unknown kind": {`{"kind":"nuke","body":{}}`, wire.ErrKind},
		"extra field":  {`{"kind":"action","body":{},"admin":true}`, wire.ErrBadJSON},
		"two values":   {`{"kind":"action","body":{}} {}`, wire.ErrBadJSON},
		"array body":   {`{"kind":"action","body":[1]}`, wire.ErrBadJSON},
		"no body":      {`{"kind":"hash"}`, wire.ErrBadJSON},
	} {
		if _, err := wire.Decode([]byte(tt.in)); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"kind":"action","body":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := wire.Decode(b)
		if err == nil && (!wire.FromClient(e.Kind) || len(e.Body) == 0) {
			t.Fatalf("accepted %q as %+v", b, e)
		}
	})
}

func TestReportTick(t *testing.T) {
	tests := []struct{ tick, want int64 }{
		{0, 0}, {499, 0}, {1499, 0}, {1500, 1000}, {2499, 1000}, {2500, 2000}, {10_700, 10_000},
	}
	for _, tt := range tests {
		if got := wire.ReportTick(tt.tick); got != tt.want {
			t.Errorf("ReportTick(%d) = %d, want %d", tt.tick, got, tt.want)
		}
	}
}
