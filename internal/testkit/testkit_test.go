package testkit

import (
	"strings"
	"testing"
	"time"
)

// fatalT records a Fatalf instead of ending the test.
type fatalT struct {
	testing.TB
	failed string
}

func (f *fatalT) Helper() {}
func (f *fatalT) Fatalf(format string, args ...any) {
	f.failed = format
	if len(args) > 1 {
		f.failed = args[1].(string)
	}
	panic(f)
}

func TestEventually(t *testing.T) {
	n := 0
	Eventually(t, time.Minute, "the third look", func() bool { n++; return n == 3 })
	if n != 3 {
		t.Errorf("looked %d times, want 3", n)
	}
	ft := &fatalT{TB: t}
	func() {
		defer func() {
			if r := recover(); r != ft {
				t.Fatalf("want a Fatalf, got %v", r)
			}
		}()
		EventuallySays(ft, 30*time.Millisecond, func() (bool, string) { return false, "still 7" })
	}()
	if !strings.Contains(ft.failed, "still 7") {
		t.Errorf("the failure says %q, not what the condition last said", ft.failed)
	}
}
