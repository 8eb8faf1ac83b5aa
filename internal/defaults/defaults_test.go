package defaults

import (
	"testing"
	"time"
)

func TestPositive(t *testing.T) {
	for _, tt := range []struct{ in, want time.Duration }{{0, time.Second}, {-1, time.Second}, {5, 5}} {
		v := tt.in
		Positive(&v, time.Second)
		if v != tt.want {
			t.Errorf("Positive(%v) = %v, want %v", tt.in, v, tt.want)
		}
	}
	f := 0.5
	if Positive(&f, 10); f != 0.5 {
		t.Errorf("Positive(0.5) = %v, want it kept", f)
	}
}

func TestZero(t *testing.T) {
	s, n := "", -3
	Zero(&s, "board")
	Zero(&n, 1)
	if s != "board" || n != -3 {
		t.Errorf("Zero: %q, %d; want \"board\" and -3 kept (out of range is for the caller to refuse)", s, n)
	}
}
