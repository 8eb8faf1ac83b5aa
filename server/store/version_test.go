package store

import "testing"

func TestVersionAtLeast(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"2.15.3", true}, {"v2.11.0", true}, {"2.11.0-RC.1", true}, {"3.0.0", true},
		{"2.10.29", false}, {"2.9.10", false}, {"1.99.0", false}, {"", false}, {"two.eleven", false},
	} {
		if got := versionAtLeast(tt.v, 2, 11); got != tt.want {
			t.Errorf("versionAtLeast(%q, 2, 11) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
