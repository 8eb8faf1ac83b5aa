// Package limit is the server's rate limiter per source: one token bucket
// (golang.org/x/time/rate) per key, such as a client's IP address, so that
// a source that opens many connections or makes up many names still gets
// only its own share.
package limit

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sweepAt is how many keys a Keyed holds before it forgets the keys whose
// buckets are full again (sources quiet long enough to be back at their
// burst), so a stream of new addresses cannot grow it without bound.
const sweepAt = 4096

// Keyed limits each key to Rate events a second with bursts of Burst.
type Keyed struct {
	lim   rate.Limit
	burst int
	now   func() time.Time

	mu    sync.Mutex
	keys  map[string]*rate.Limiter
	sweep int // size at which the next sweep runs
}

// New makes a limiter of perSecond events a second per key, burst at once;
// now is the clock (nil: time.Now).
func New(perSecond float64, burst int, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	return &Keyed{lim: rate.Limit(perSecond), burst: burst, now: now, keys: map[string]*rate.Limiter{}, sweep: sweepAt}
}

// Allow reports whether key may have one more event now, and takes it.
func (k *Keyed) Allow(key string) bool {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.keys[key]
	if !ok {
		if len(k.keys) >= k.sweep {
			k.forget(now)
		}
		l = rate.NewLimiter(k.lim, k.burst)
		k.keys[key] = l
	}
	return l.AllowN(now, 1)
}

// Ready reports whether key has an event to take now, without taking it:
// a caller that must pass several limiters (a client's and its address's)
// asks each before it takes from any.
func (k *Keyed) Ready(key string) bool {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.keys[key]
	return !ok || l.TokensAt(now) >= 1
}

// Forget drops key's bucket, as for a client that went away.
func (k *Keyed) Forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, key)
}

// forget drops the keys whose buckets are full. Call with k.mu held.
func (k *Keyed) forget(now time.Time) {
	for key, l := range k.keys {
		if l.TokensAt(now) >= float64(k.burst) {
			delete(k.keys, key)
		}
	}
	k.sweep = max(sweepAt, 2*len(k.keys))
}

// Len is how many keys the limiter holds.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// Rate is the limit in events a second.
func (k *Keyed) Rate() float64 { return float64(k.lim) }

// Source is the key of a request's sender: its IP address, without the
// port, so that every connection from one machine shares one bucket.
func Source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
