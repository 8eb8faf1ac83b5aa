package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// Who may frame what: the page without a room anyone (for embedding in a
// course page), a live room's page only the server's own origin and the
// origins given with -frame-origin, and nothing else but the server's own
// pages; X-Frame-Options never says otherwise than the policy.
func TestFrameHeaders(t *testing.T) {
	tests := []struct {
		name string
		args []string
		path string
		// ancestors is the policy's frame-ancestors; xfo the
		// X-Frame-Options header, "" for none.
		ancestors, xfo string
	}{
		{"page", nil, "/", "*", ""},
		{"embedded page", nil, "/?embed=1&scene=protocols", "*", ""},
		{"room, none listed", nil, "/?room=abc", "'self'", "SAMEORIGIN"},
		{"room, embedded, none listed", nil, "/?embed=1&room=abc", "'self'", "SAMEORIGIN"},
		{"room, listed", []string{"-frame-origin", "https://courses.example.org", "-frame-origin", "http://127.0.0.1:9000,https://*.school.example"},
			"/?room=abc", "'self' https://courses.example.org http://127.0.0.1:9000 https://*.school.example", ""},
		{"page, listed", []string{"-frame-origin", "https://courses.example.org/"}, "/", "*", ""},
		{"asset, listed", []string{"-frame-origin", "https://courses.example.org"}, "/assets/app.js", "'self'", "SAMEORIGIN"},
		{"API, listed", []string{"-frame-origin", "https://courses.example.org"}, "/api/openapi.json", "'self'", "SAMEORIGIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startServer(t, tt.args...)
			// startServer serves -dev from the folder it made.
			if err := os.MkdirAll("assets", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("assets/app.js", []byte("// app"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := http.Get("http://" + addr + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d", tt.path, res.StatusCode)
			}
			csp := res.Header.Get("Content-Security-Policy")
			var got []string
			for _, d := range strings.Split(csp, ";") {
				if d = strings.TrimSpace(d); strings.HasPrefix(d, "frame-ancestors") {
					got = append(got, strings.TrimPrefix(d, "frame-ancestors "))
				}
			}
			if len(got) != 1 || got[0] != tt.ancestors {
				t.Errorf("%s: frame-ancestors %q, want [%s] (policy %q)", tt.path, got, tt.ancestors, csp)
			}
			if xfo := res.Header.Values("X-Frame-Options"); strings.Join(xfo, ",") != tt.xfo {
				t.Errorf("%s: X-Frame-Options %q, want %q", tt.path, xfo, tt.xfo)
			}
		})
	}
}
