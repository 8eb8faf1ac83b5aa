package ui

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/thingyard/thingyard/sim"
)

// AnnounceEvery is the least time between two announcements to a screen
// reader (default 2 s): what happens meanwhile is said together in the
// next one, so a burst (the internet cut and a dozen devices losing their
// cloud) is one sentence, not a queue that talks for a minute.
const AnnounceEvery = 2 * time.Second

// announceMost is how many pending sentences one announcement says; the
// rest are counted ("and 3 more changes").
const announceMost = 4

// Announcer gathers what should be announced and says it politely: at most
// one announcement every AnnounceEvery, each the sentences gathered since
// the last.
type Announcer struct {
	lim     *rate.Limiter
	pending []string
}

// NewAnnouncer makes an Announcer with one announcement every every.
func NewAnnouncer(every time.Duration) *Announcer {
	return &Announcer{lim: rate.NewLimiter(rate.Every(every), 1)}
}

// Say adds a sentence to the next announcement; a sentence already
// pending is not said twice.
func (a *Announcer) Say(s string) {
	for _, p := range a.pending {
		if p == s {
			return
		}
	}
	a.pending = append(a.pending, s)
}

// Next is the announcement to make at now, or "" when there is nothing
// to say or the last was too recent.
func (a *Announcer) Next(now time.Time) string {
	if len(a.pending) == 0 || !a.lim.AllowN(now, 1) {
		return ""
	}
	say := a.pending
	more := 0
	if len(say) > announceMost {
		more, say = len(say)-(announceMost-1), say[:announceMost-1]
	}
	s := strings.Join(say, " ")
	if more > 0 {
		s += " And " + strconv.Itoa(more) + " more changes: see the list of devices."
	}
	a.pending = a.pending[:0]
	return s
}

// Watch is what the announcements are about, as it was at the last look;
// Changes says what changed since.
type Watch struct {
	Scene       string // the scene's title; "" before the first
	HasInternet bool
	InternetUp  bool
	Refusal     string // the world's last refusal
	RefusalAt   int64  // and its tick
	Members     int    // browsers in the live room, 0 outside one
	ids         []string
	online      []bool
}

// Changes compares the world as it is now (the scene's title, its view,
// its last refusal and the room's members) with the last look, remembers
// it, and says what a person should hear.
func (w *Watch) Changes(title string, v *sim.View, refusal string, refusalAt int64, members int) []string {
	var out []string
	if title != w.Scene {
		out = append(out, "Scene loaded: "+title+".")
		w.Scene, w.ids, w.online = title, w.ids[:0], w.online[:0]
		w.Refusal, w.RefusalAt = refusal, refusalAt
		w.HasInternet, w.InternetUp = hasInternet(v)
	}
	has, up := hasInternet(v)
	if has && w.HasInternet && up != w.InternetUp {
		if up {
			out = append(out, "The internet is back.")
		} else {
			out = append(out, "The internet is cut.")
		}
	}
	w.HasInternet, w.InternetUp = has, up
	out = append(out, w.onlineChanges(v)...)
	if refusal != "" && (refusal != w.Refusal || refusalAt != w.RefusalAt) {
		out = append(out, "Refused: "+refusal+".")
	}
	w.Refusal, w.RefusalAt = refusal, refusalAt
	if members > 0 && w.Members > 0 && members != w.Members {
		if members > w.Members {
			out = append(out, "Someone joined the room: "+browsers(members)+".")
		} else {
			out = append(out, "Someone left the room: "+browsers(members)+".")
		}
	}
	w.Members = members
	return out
}

func browsers(n int) string {
	if n == 1 {
		return "1 browser"
	}
	return strconv.Itoa(n) + " browsers"
}

func hasInternet(v *sim.View) (has, up bool) {
	for i := range v.Links {
		if v.Links[i].Medium == sim.MediumInternet {
			has, up = true, up || v.Links[i].Up
		}
	}
	return has, up
}

// onlineChanges names the devices that went offline or came back since the
// last look. Devices added or removed since start a new baseline: adding a
// thousand sensors is not a thousand announcements.
func (w *Watch) onlineChanges(v *sim.View) []string {
	same := len(w.ids) == len(v.Devices)
	for i := 0; same && i < len(v.Devices); i++ {
		same = w.ids[i] == v.Devices[i].ID
	}
	if !same {
		w.ids, w.online = w.ids[:0], w.online[:0]
		for i := range v.Devices {
			w.ids, w.online = append(w.ids, v.Devices[i].ID), append(w.online, v.Devices[i].Online)
		}
		return nil
	}
	var off, back []string
	for i := range v.Devices {
		d := &v.Devices[i]
		if d.Online != w.online[i] {
			if d.Online {
				back = append(back, d.Label)
			} else {
				off = append(off, d.Label)
			}
			w.online[i] = d.Online
		}
	}
	var out []string
	if len(off) > 0 {
		out = append(out, names(off)+" offline.")
	}
	if len(back) > 0 {
		out = append(out, names(back)+" back online.")
	}
	return out
}

// names lists a few devices by name and counts the rest.
func names(ns []string) string {
	const most = 3
	switch {
	case len(ns) == 1:
		return ns[0] + " is"
	case len(ns) <= most:
		return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1] + " are"
	}
	return strings.Join(ns[:most], ", ") + " and " + strconv.Itoa(len(ns)-most) + " more devices are"
}
