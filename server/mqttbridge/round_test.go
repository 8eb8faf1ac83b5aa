package mqttbridge

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/thingyard/thingyard/server/api/apitest"
	"github.com/thingyard/thingyard/sim"
)

// A publish round of a room far past its bound of retained topics costs
// what its first topics cost, not a description of every one of its
// devices: a room of 10,000 sensors allocates about what a room of 1,000
// does (both have more topics than the bound), and both fill the bound.
func TestMQTTRoundStopsAtTheBound(t *testing.T) {
	s := apitest.New(t)
	grown := func(sensors int) string {
		id := s.NewRoom(t, "open-api")
		body := fmt.Sprintf(`{"kind":"add","count":%d,"device_kind":"sensor","link":"net"}`, sensors)
		if res := s.Do(t, "POST", "/api/rooms/"+id+"/actions", body, nil); res.StatusCode != http.StatusAccepted {
			t.Fatalf("add %d sensors: %d", sensors, res.StatusCode)
		}
		return id
	}
	small, large := grown(maxRoomTopics), grown(sim.MaxAddCount)
	s.Clock.Advance(1000)
	cost := func(id string) uint64 {
		r, v := s.Reps.Get(id), &sim.View{}
		if out, more := roomMessages(r, v); len(out) != maxRoomTopics || !more {
			t.Fatalf("room %s: %d messages (more: %v), want the bound, %d, and more", id, len(out), more, maxRoomTopics)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const rounds = 5
		for range rounds {
			roomMessages(r, v)
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / rounds
	}
	c, l := cost(small), cost(large)
	t.Logf("a round allocates %d KB for a room of %d sensors, %d KB for one of %d", c>>10, maxRoomTopics, l>>10, sim.MaxAddCount)
	if l > 2*c {
		t.Errorf("a round allocates %d KB for a room of %d sensors, %.1f× the %d KB of one of %d: it describes devices past the bound", l>>10, sim.MaxAddCount, float64(l)/float64(c), c>>10, maxRoomTopics)
	}
}
