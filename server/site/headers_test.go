package site

import (
	"strings"
	"testing"
)

// A -frame-origin that is not an origin stops the server with a message
// that names it and what is wrong.
func TestFrameOriginErrors(t *testing.T) {
	for _, tt := range []struct{ value, want string }{
		{"courses.example.org", "the scheme must be http or https"},
		{"ftp://courses.example.org", "the scheme must be http or https"},
		{"https://", "it names no host"},
		{"https://courses.example.org/lesson/1", "it has a path, query or fragment"},
		{"https://courses.example.org?x=1", "it has a path, query or fragment"},
		{"https://a.example.org; script-src *", "it holds a space, quote or semicolon"},
		{"https://a.*.example.org", "only the leftmost label of the host may be *"},
		{"https://me@example.org", "it holds a user name"},
	} {
		var f FrameOrigins
		err := f.Set(tt.value)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "-frame-origin") {
			t.Errorf("-frame-origin %q: %v, want an error saying %q", tt.value, err, tt.want)
		}
	}
	var f FrameOrigins
	if err := f.Set(" https://a.example.org , http://127.0.0.1:8000/ "); err != nil || f.String() != "https://a.example.org,http://127.0.0.1:8000" {
		t.Errorf("a comma list: %v, %q", err, f.String())
	}
}
