package store

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// The embedded server's disk. JetStream meets a full disk badly: a write
// the disk refuses stops the stream it was for until the process restarts
// (and in a cluster, JetStream itself), and the client is not even told.
// So the store refuses first, while a reserve is still free, and JetStream
// never sees the disk fill up from its own writes.
const (
	// reserveShare: the embedded server keeps free a tenth of the disk its
	// data directory is on (JetStreamOptions.Reserve), ...
	reserveShare = 10
	// maxReserve: ... at most 64 MiB, room for what JetStream writes
	// besides envelopes (indexes, key-value entries) many times over.
	maxReserve = 64 << 20
	// liftedMaxStore is the embedded JetStream's own cap on what it keeps
	// (1 EiB: none). Its default, three quarters of the disk's free space
	// at start, would refuse appends on a disk with room to spare, and
	// freeing space would not lift it until a restart; the reserve is the
	// one rule instead.
	liftedMaxStore = 1 << 60
)

// reserve is what the embedded server keeps free on a disk of total bytes.
func (j *JetStream) reserve(total uint64) uint64 {
	if j.opt.Reserve > 0 {
		return uint64(j.opt.Reserve)
	}
	return min(total/reserveShare, maxReserve)
}

// space checks that the disk under the embedded server's data directory
// has n bytes free beyond the reserve: nil, or ErrNoSpace saying how much
// is free and where. Nil in remote mode (NATS's servers keep their own
// disks), with a negative Reserve, and where the free space cannot be
// read (JetStream's own refusal then speaks).
func (j *JetStream) space(n int) error {
	if j.srv == nil || j.opt.Reserve < 0 {
		return nil
	}
	free, total, err := diskSpace(j.opt.Dir)
	if err != nil {
		return nil
	}
	keep := j.reserve(total)
	if free >= keep+uint64(n) {
		// Said to be back only with room for the largest envelope, so a
		// disk on the edge does not flap in the log.
		if free >= keep+uint64(j.lim.MaxEnvelope) && j.full.CompareAndSwap(true, false) {
			j.log.Info("space freed: rooms take appends again", "data", j.opt.Dir, "free", mib(free), "reserve", mib(keep))
		}
		return nil
	}
	if j.full.CompareAndSwap(false, true) {
		j.log.Warn("no space left to keep rooms: appends are refused until space is freed", "data", j.opt.Dir, "free", mib(free), "reserve", mib(keep))
	}
	return fmt.Errorf("%w: %s free on the disk under %s, and Thingyard keeps %s of it free; free some space there and the rooms carry on (what they keep can still be read)", ErrNoSpace, mib(free), j.opt.Dir, mib(keep))
}

// stuck reports a stream of the embedded server (stream, or any when "")
// that JetStream stopped writing because the disk refused it a write (the
// disk filled up faster than space could tell): ErrNoSpace, saying so;
// nil otherwise. JetStream takes no write for that stream again until the
// process restarts.
func (j *JetStream) stuck(stream string) error {
	if j.srv == nil {
		return nil
	}
	opt := &server.HealthzOptions{}
	if stream != "" {
		opt.Account, opt.Stream = server.DEFAULT_GLOBAL_ACCOUNT, stream
	}
	h := j.srv.Healthz(opt)
	if h == nil || !strings.Contains(h.Error, "no space left") {
		return nil
	}
	return fmt.Errorf("%w: the disk under %s filled up before Thingyard could refuse a write, and NATS stopped writing rooms (%s); free some space there and restart Thingyard (what rooms keep can still be read)", ErrNoSpace, j.opt.Dir, h.Error)
}

// mib writes n bytes in MiB.
func mib(n uint64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
