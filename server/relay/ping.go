package relay

import (
	"sync"
	"time"
)

// pingSlots is how many turns the pinger takes in one ping period: each
// member is pinged at one of them, so the pings of a classroom joining at
// once spread over the period instead of all leaving together.
const pingSlots = 16

// pinger pings every WebSocket member of the relay once a ping period,
// from one ticker for them all (a wheel of pingSlots turns), rather than
// one ticker and goroutine per member. It runs while there are members.
type pinger struct {
	mu      sync.Mutex
	slots   [pingSlots]map[*peer]struct{}
	next    int // the slot the next member is put in
	n       int // members in all slots
	running bool
}

// add pings p from now on, starting the pinger if it is not running.
func (pg *pinger) add(r *Relay, p *peer) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	p.slot = pg.next
	pg.next = (pg.next + 1) % pingSlots
	if pg.slots[p.slot] == nil {
		pg.slots[p.slot] = map[*peer]struct{}{}
	}
	pg.slots[p.slot][p] = struct{}{}
	pg.n++
	if !pg.running {
		pg.running = true
		go pg.run(r)
	}
}

// remove pings p no more; once it returns, no ping of p starts.
func (pg *pinger) remove(p *peer) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if _, ok := pg.slots[p.slot][p]; ok {
		delete(pg.slots[p.slot], p)
		pg.n--
	}
}

// run pings the members of one slot a turn, until no member is left. A
// member whose reader is held is not pinged: its pong would wait unread,
// the server being behind, not the member; nor one whose last ping still
// waits for its pong.
func (pg *pinger) run(r *Relay) {
	t := time.NewTicker(max(r.opt.PingEvery/pingSlots, time.Millisecond))
	defer t.Stop()
	for turn := 0; ; turn = (turn + 1) % pingSlots {
		<-t.C
		pg.mu.Lock()
		if pg.n == 0 {
			pg.running = false
			pg.mu.Unlock()
			return
		}
		for p := range pg.slots[turn] {
			if p.held.Load() || !p.pinging.CompareAndSwap(false, true) {
				continue
			}
			p.tasks.Add(1)
			go r.ping(p)
		}
		pg.mu.Unlock()
	}
}
