// Package store is where a live room keeps what must outlive a connection
// and a process: the room's description, its ordered log of envelopes, the
// latest fold snapshot of that log, and the fan-out that follows a room from
// a seq. Everything the relay, the replica, the MQTT bridge, the REST API and
// the board gateway need of storage goes through Store, so one process in
// memory and several processes sharing a NATS JetStream cluster behave alike;
// one conformance suite (store_test.go) holds both to the same contract.
//
// Two implementations:
//
//   - Memory (NewMemory) keeps everything in the process: tests and
//     -store memory. Nothing survives a restart.
//   - JetStream (NewJetStream) keeps everything in NATS JetStream, either in
//     a nats-server embedded in the process (a file store under a data
//     directory, no TCP port unless asked for one) or in a remote NATS
//     cluster that several Thingyard instances share.
//
// # Layout on JetStream
//
// One stream, THINGYARD_ROOMS, holds every room's log. Room X's envelopes
// are the messages on subject thingyard.room.X.G, where G is the room's
// generation: the revision of its entry in the rooms bucket, so a room that
// is removed and made again under the same id starts on a fresh subject
// that a late append to the old room can never reach.
//
// One stream for all rooms rather than a stream per room, because a stream
// is a heavy thing in NATS and a subject is a light one: a stream has its
// own files and index, and in a cluster its own Raft group with its own
// leader, elections and heartbeats, and making one is a cluster-wide
// proposal. A thousand rooms would be a thousand Raft groups and a thousand
// file stores to recover on a restart; here they are a thousand entries in
// one stream's subject index, and making a room is one key-value write.
// What a stream per room would give for free, per-room MaxMsgs and
// MaxBytes, this package keeps itself (see the headers below). The stream
// as a whole discards new messages when it is full, never old ones, so a
// full disk refuses appends instead of eating a room's log. Neither
// MaxMsgsPerSubject nor a discard-old policy is used: both would drop a
// room's envelopes that no snapshot covers.
//
// Room descriptions are the key-value bucket thingyard_rooms (key: the
// room id), which is how rooms are listed and how every instance learns
// that a room was removed (it watches the bucket). Snapshots are the bucket
// thingyard_snapshots, one value per room, or, for a snapshot larger than
// the NATS server's max_payload, a value naming its parts, each a value of
// its own (jssnap.go).
//
// Every envelope message carries three headers:
//
//   - Thingyard-Seq: the room's seq, 1, 2, 3 … The stream's own sequence
//     counts every room's messages, so it is never a room's seq.
//   - Thingyard-Bytes: the encoded bytes of the room's envelopes up to and
//     including this one, so what a room keeps is known from its first and
//     last envelopes alone.
//   - Thingyard-Append: a random id of the Append call, so an append whose
//     acknowledgement was lost (a node died, a timeout) can tell whether its
//     envelope was stored.
//
// # Order across instances
//
// Append publishes with JetStream's expected-last-subject-sequence: the
// stream sequence of the room's last envelope, as the appender last saw it.
// If another instance appended first the stream refuses, and the loser reads
// the new last envelope and tries again with the next seq. So a room's seq
// is the number of envelopes ever appended to it, gap-free and the same for
// every instance, and no lock of ours spans instances. When an append's
// acknowledgement is lost, the room's first envelope after the last one
// the appender knew says whether it was stored (it carries the append's
// id): an envelope is never appended twice nor lost unannounced.
//
// # Finding a seq
//
// Because a room's seqs are not stream sequences, Read and Subscribe find
// the stream sequence of a room's seq with direct gets: the room's first and
// last envelopes bound it (each envelope of the room takes a stream sequence
// of its own) and a bisection over "next message on the subject from here"
// closes in. A room whose appends are not interleaved with other rooms'
// takes one get. Then a batch direct get brings a page in one request, and
// an ordered consumer follows the room from there. Putting the seq in the
// subject (thingyard.room.X.G.7) would make it one get away, but then the
// expected-last check of an append would have to match a wildcard, which
// the server answers by walking every subject of the room: a cost on every
// append that grows with the log, to save a few gets on a join.
//
// # What it does not promise
//
//   - JetStream mode needs nats-server 2.11 or later (batch direct get,
//     marker TTLs); the embedded server is 2.15. Debian 12's nats-server
//     package (2.9) is too old, and NewJetStream says so.
//   - A full disk refuses writes, never damages what is kept. The
//     embedded server keeps a reserve free on the disk under its data
//     directory (a tenth of the disk, at most 64 MiB): below it Append,
//     Create and PutSnapshot fail with ErrNoSpace at once, and take writes
//     again as soon as space is freed. JetStream's own cap (three quarters
//     of the disk) is lifted, so the reserve is the one rule. Should the
//     disk fill up anyway between the check and JetStream's write (another
//     program filling it fast), JetStream stops writing that stream until
//     the process restarts; the store then answers ErrNoSpace saying so,
//     and reads go on.
//   - The embedded server's file store is synced to disk every two minutes
//     (JetStream's default): what Append acknowledged survives the
//     process being killed, but a power cut may lose the last minutes.
//     On a three-node cluster an acknowledged envelope is on two servers.
//   - On a replicated stream, a Read answered by a replica that is a
//     moment behind may end a little before an append another instance
//     was just told of; the page's next read has it.
//   - An Append racing a Remove on another instance may be acknowledged
//     and then lost with the room, which is what removing a room means.
//   - Every instance must use the same Replicas: each makes the stream
//     and buckets as it is told.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/thingyard/thingyard/internal/defaults"
	"github.com/thingyard/thingyard/wire"
)

// Store is what a live room needs of storage and fan-out. Every method is
// safe for concurrent use. A ctx bounds how long a call may wait for the
// storage behind it; every error wraps one of the sentinel errors below or,
// for a storage that cannot be reached, ErrUnavailable. A write (Create,
// Append, PutSnapshot) that the storage has no space left for fails with
// ErrNoSpace and changes nothing.
type Store interface {
	// Create makes room r, which starts with no envelopes (its next seq is
	// 1) and no snapshot. It fails with ErrBadID when r.ID is not a room
	// id (see ValidID), ErrExists when a room with that id exists, and
	// ErrTooLarge when r's description is longer than Limits.MaxRoom.
	Create(ctx context.Context, r Room) error
	// Find returns room id's description, or ErrNoRoom.
	Find(ctx context.Context, id string) (Room, error)
	// List returns every room's description, in id order.
	List(ctx context.Context) ([]Room, error)
	// Remove deletes room id with its log and snapshot, and ends its
	// subscriptions with ErrNoRoom; ErrNoRoom when there is none. The id
	// may then be made again, as a new room.
	Remove(ctx context.Context, id string) error

	// Append stamps e with room id's next seq and keeps it; it returns e
	// as kept, as Read and Subscribe give it. Only Seq is stamped: every
	// other field is kept as given, though a store that encodes the
	// envelope may give its Body back in JSON's compact form.
	// Seqs start at 1 and have no gaps, whoever appends. A room keeps at
	// most Limits.MaxEnvelopes envelopes and Limits.MaxBytes bytes of
	// them (after a snapshot it may drop older ones): beyond that Append
	// fails with ErrFull, and one envelope longer than Limits.MaxEnvelope
	// with ErrTooLarge; nothing kept is changed by a refusal. ErrNoRoom
	// when there is no such room.
	Append(ctx context.Context, id string, e wire.Envelope) (wire.Envelope, error)
	// Read returns room id's envelopes after seq since, in order: at most
	// max of them (ReadMax when max is 0 or more than ReadMax), and about
	// ReadBytes of them. An empty page means since is the room's last seq;
	// a caller pages by reading again from the last seq it got. ErrTrimmed
	// when envelopes after since were dropped after a snapshot (read the
	// snapshot, then from its seq), ErrAhead when since is past the
	// room's last seq. The envelopes are the caller's, but their Body may
	// be shared with the store: do not write into it.
	Read(ctx context.Context, id string, since uint64, max int) ([]wire.Envelope, error)
	// Head tells where room id's log stands.
	Head(ctx context.Context, id string) (Head, error)
	// Subscribe follows room id from after seq since: its channel delivers
	// every envelope after since, in order, the ones already kept and then
	// each new one, with no gap and no repeat between the two. The store
	// never waits for a subscriber: a subscriber reads what was kept
	// before Subscribe at its own pace, but once more than Limits.SubLag
	// envelopes appended after Subscribe wait for it, it is cut off with
	// ErrCutOff (it may subscribe again from the last seq it got).
	// Subscribe fails, and a subscription ends, as Read does (ErrTrimmed,
	// ErrAhead, ErrNoRoom).
	Subscribe(ctx context.Context, id string, since uint64) (*Subscription, error)

	// PutSnapshot keeps s as room id's latest snapshot, when it is newer
	// than the one kept (a later Seq, or the same Seq with a later World;
	// an older or equal one is ignored, so two folders racing leave the
	// newest). Its Seq must be 1 to the room's last seq
	// (ErrAhead otherwise) and its Scene at most Limits.MaxSnapshot bytes
	// (ErrTooLarge). After it the store may drop the room's envelopes
	// before s.Seq (it keeps envelope s.Seq itself), and Read below it
	// answers ErrTrimmed.
	PutSnapshot(ctx context.Context, id string, s Snapshot) error
	// Snapshot returns room id's latest snapshot, ErrNoSnapshot when it
	// has none.
	Snapshot(ctx context.Context, id string) (Snapshot, error)

	// Close ends every subscription with ErrClosed and lets go of the
	// storage; every later call fails with ErrClosed.
	Close() error
}

// Room describes a live room: what it was made with.
type Room struct {
	ID      string    `json:"id"`
	Scene   string    `json:"scene"`   // the scene it was made with: a name or YAML
	Created time.Time `json:"created"` // by the caller's clock
	// Meta is the caller's own small facts about the room (who made it,
	// a board's device, …); it counts toward Limits.MaxRoom.
	Meta map[string]string `json:"meta,omitempty"`
}

// Snapshot is a room's log folded into its scene: Scene (YAML) holds every
// action of the room up to and including seq Seq.
type Snapshot struct {
	Seq   uint64 `json:"seq"`
	Scene string `json:"scene"`
	// World is the seq up to which Scene's world state holds the room's
	// actions (0: it has none). Of two snapshots at one Seq, the one whose
	// world state holds more is the newer: a world state made after a
	// fold is kept at the fold's seq.
	World uint64 `json:"world,omitempty"`
}

// newer reports whether s is newer than old (see Snapshot.World).
func (s Snapshot) newer(old Snapshot) bool {
	return s.Seq > old.Seq || s.Seq == old.Seq && s.World > old.World
}

// Head is where a room's log stands.
type Head struct {
	Seq       uint64 // the last seq given, 0 before the first append
	First     uint64 // the oldest seq still kept; Seq+1 when none is kept
	Envelopes int    // envelopes kept
	Bytes     int64  // their encoded bytes
	At        int64  // the last envelope's At (the room's clock), 0 before any
}

// Errors. Each is wrapped with what and where; test with errors.Is.
var (
	ErrBadID      = errors.New("store: not a room id (8 to 64 of a-z, 0-9, - and _)")
	ErrExists     = errors.New("store: room exists")
	ErrNoRoom     = errors.New("store: no such room")
	ErrFull       = errors.New("store: room is full")
	ErrTooLarge   = errors.New("store: too large")
	ErrTrimmed    = errors.New("store: envelopes were dropped after a snapshot")
	ErrAhead      = errors.New("store: seq is past the room's last seq")
	ErrNoSnapshot = errors.New("store: room has no snapshot")
	ErrCutOff     = errors.New("store: the subscriber fell behind and was cut off; subscribe again from the last seq it got")
	ErrClosed     = errors.New("store: closed")
	// ErrUnavailable is storage that cannot be reached now (NATS is down
	// or has no leader for the stream): try again later.
	ErrUnavailable = errors.New("store: storage unavailable")
	// ErrNoSpace is a disk (or NATS servers) with no space left to keep
	// more: writes are refused, what is kept can still be read, and
	// writes are taken again once space is freed.
	ErrNoSpace = errors.New("store: no space left to keep rooms")
)

// Read's bounds on one page.
const (
	ReadMax   = 1024    // envelopes
	ReadBytes = 4 << 20 // bytes, about: a page ends with the envelope that reaches it
)

// Limits bound what one room may keep. Zero fields take the defaults.
type Limits struct {
	MaxEnvelopes int   // envelopes a room keeps (default 100,000)
	MaxBytes     int64 // encoded bytes of the envelopes a room keeps (default 32 MiB)
	MaxEnvelope  int   // encoded bytes of one envelope (default 128 KiB, twice wire.MaxFrame)
	MaxSnapshot  int   // bytes of one snapshot's scene (default 4 MiB)
	MaxRoom      int   // encoded bytes of a room's description (default 64 KiB)
	// SubLag is how many envelopes appended after Subscribe may wait for
	// a subscriber before it is cut off (default 1024).
	SubLag int
}

// Defaults of Limits.
const (
	DefaultMaxEnvelopes = 100_000
	DefaultMaxBytes     = 32 << 20
	DefaultMaxEnvelope  = 2 * wire.MaxFrame
	DefaultMaxSnapshot  = 4 << 20
	DefaultMaxRoom      = 64 << 10
	DefaultSubLag       = 1024
)

func (l Limits) fill() Limits {
	defaults.Positive(&l.MaxEnvelopes, DefaultMaxEnvelopes)
	defaults.Positive(&l.MaxEnvelope, DefaultMaxEnvelope)
	defaults.Positive(&l.MaxSnapshot, DefaultMaxSnapshot)
	defaults.Positive(&l.MaxRoom, DefaultMaxRoom)
	defaults.Positive(&l.SubLag, DefaultSubLag)
	defaults.Positive(&l.MaxBytes, DefaultMaxBytes)
	return l
}

// ValidID reports whether id may name a room: 8 to 64 of a-z, 0-9, - and
// _, which is also what keeps it safe inside a NATS subject and key.
func ValidID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
