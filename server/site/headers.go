package site

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// FrameOrigins are the origins of other sites allowed to frame a live
// room's page (-frame-origin, repeatable or a comma list), such as a
// school's course pages. A page without a room may be framed by anyone:
// it is a world of its own, for embedding; a room's page holds the room's
// buttons, so a site that frames it could trick a member into pressing
// them (clickjacking), and only the sites listed here may.
type FrameOrigins []string

func (f *FrameOrigins) String() string { return strings.Join(*f, ",") }

// Set takes one origin or a comma list of them.
func (f *FrameOrigins) Set(v string) error {
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		origin, err := parseFrameOrigin(o)
		if err != nil {
			return err
		}
		*f = append(*f, origin)
	}
	return nil
}

// parseFrameOrigin checks that o is an origin a Content-Security-Policy's
// frame-ancestors can name: http or https, a host (its leftmost label may
// be *, for every subdomain), an optional port, and nothing else.
func parseFrameOrigin(o string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("-frame-origin %q: %s; want an origin such as https://courses.example.org (scheme, host and port only)", o, why)
	}
	if strings.ContainsAny(o, " ;'\"\t") {
		return "", bad("it holds a space, quote or semicolon")
	}
	u, err := url.Parse(o)
	if err != nil {
		return "", bad(err.Error())
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("the scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("it names no host")
	case u.User != nil:
		return "", bad("it holds a user name")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", strings.HasSuffix(o, "?"), strings.HasSuffix(o, "#"):
		return "", bad("it has a path, query or fragment")
	case strings.Contains(strings.TrimPrefix(u.Hostname(), "*."), "*"):
		return "", bad("only the leftmost label of the host may be *")
	}
	return u.Scheme + "://" + u.Host, nil
}

// frameHeaders sets who may frame the page at r: anyone for a page
// without a room, and for a live room's page (room= in the query) only
// the page's own origin and the origins listed. X-Frame-Options, which
// cannot name other origins, is sent only where it says the same as the
// policy (SAMEORIGIN for a room's page when no origin is listed), so
// browsers that know both never see them disagree.
func frameHeaders(h http.Header, r *http.Request, csp func(frameAncestors string) string, allowed FrameOrigins) {
	if !r.URL.Query().Has("room") {
		h.Set("Content-Security-Policy", csp("*"))
		h.Del("X-Frame-Options")
		return
	}
	h.Set("Content-Security-Policy", csp(strings.Join(append([]string{"'self'"}, allowed...), " ")))
	if len(allowed) == 0 {
		h.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		h.Del("X-Frame-Options")
	}
}

// SecureHeaders sets the security headers on every response, the page's,
// the API's, problems and assets alike: a Content-Security-Policy (the
// page's own, which the site extends with the hashes of the page's inline
// scripts and says who may frame it) whose frame-ancestors 'self' keeps
// everything else out of a foreign frame, X-Frame-Options for browsers
// before it, nosniff, and no Referer header, as room links carry the
// room's id.
func SecureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy("'self'"))
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "SAMEORIGIN")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}
