package sim

// rng is the world's own generator (SplitMix64): tiny, fast, identical on
// every platform, and its whole state is one word the hash can include.
type rng struct{ s uint64 }

func newRNG(seed uint64) rng { return rng{s: seed ^ 0x9E3779B97F4A7C15} }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// intn is a number in [0, n); n == 0 gives 0.
func (r *rng) intn(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	return r.next() % n
}
