//go:build js && wasm

package render

import (
	"testing"

	"github.com/thingyard/thingyard/sim"
)

// swarm is a hub at the centre of a 400 × 300 screen and n sensors around
// it, each with a message halfway to the hub, no two within a few pixels.
func swarm(n int) *sim.View {
	v := &sim.View{Sides: []string{"iot"}}
	v.Devices = append(v.Devices, sim.DeviceView{ID: "hub", Kind: sim.KindBroker, Powered: true, Online: true})
	for i := range n {
		x, y := float32(i%25*16-192), float32(i/25*14-140)
		v.Devices = append(v.Devices, sim.DeviceView{ID: "s", Kind: sim.KindSensor, X: x, Y: y, Powered: true, Online: true})
		v.Messages = append(v.Messages, sim.MessageView{ID: uint64(i + 1), Link: -1, From: int32(i + 1), To: 0, Progress: 0.5, Protocol: sim.ProtoMQTT})
	}
	return v
}

// messageQuads draws a frame's messages and counts the quads they took.
func messageQuads(r *Renderer, v *sim.View) int {
	r.fg.reset()
	r.trail.Begin(r.updates)
	r.crowd.begin(r.Cam.W, r.Cam.H, r.dpr)
	for i := range v.Messages {
		r.drawMessage(v, &v.Messages[i])
	}
	return len(r.fg.vs) / 4
}

func crowdRenderer() *Renderer {
	r := New()
	r.Cam = Camera{CX: 0, CY: 0, Scale: 1, W: 400, H: 300}
	return r
}

// A few messages are drawn each as a dot in its glow; in a crowd of them,
// from the frame after it is seen, each is its dot alone.
func TestACrowdOfMessagesIsDrawnAsDots(t *testing.T) {
	tests := []struct {
		n         int
		perFrame2 int // quads a message in the second frame
	}{{10, 2}, {crowdFrom - 50, 2}, {crowdFrom + 50, 1}}
	for _, tt := range tests {
		r, v := crowdRenderer(), swarm(tt.n)
		messageQuads(r, v)
		if got := messageQuads(r, v); got != tt.n*tt.perFrame2 {
			t.Errorf("%d messages on screen: %d quads, want %d each", tt.n, got, tt.perFrame2)
		}
	}
}

// In a crowd a dot is drawn once where several would cover the same
// pixels, none off screen, and the selected message keeps its glow and
// its ring.
func TestACrowdDrawsEachPlaceOnce(t *testing.T) {
	r, v := crowdRenderer(), swarm(crowdFrom+50)
	messageQuads(r, v)
	base := messageQuads(r, v)
	v.Messages = append(v.Messages, v.Messages[0], v.Messages[1]) // over the first two
	v.Messages[len(v.Messages)-1].ID, v.Messages[len(v.Messages)-2].ID = 9001, 9002
	if got := messageQuads(r, v); got != base {
		t.Errorf("two more messages over two drawn: %d quads, want %d", got, base)
	}
	off := sim.MessageView{ID: 9003, Link: -1, From: 0, To: 0, Progress: 0.5, Protocol: sim.ProtoMQTT}
	v.Devices = append(v.Devices, sim.DeviceView{ID: "far", X: 5000, Y: 0})
	off.From, off.To = int32(len(v.Devices)-1), int32(len(v.Devices)-1)
	v.Messages = append(v.Messages, off)
	if got := messageQuads(r, v); got != base {
		t.Errorf("a message off screen: %d quads, want %d", got, base)
	}
	r.SelectedMsg = 9001
	if got := messageQuads(r, v); got != base+3 {
		t.Errorf("the selected message over a drawn one: %d quads, want %d (its glow, dot and ring)", got, base+3)
	}
}

// A crowd ends only well below where it began, so a count that hovers
// near one figure does not make the glows flicker.
func TestACrowdEndsBelowWhereItBegan(t *testing.T) {
	r := crowdRenderer()
	for _, step := range []struct {
		n    int
		want bool
	}{{crowdFrom + 10, false}, {crowdFrom + 10, true}, {crowdFrom - 10, true}, {(crowdFrom + crowdTo) / 2, true}, {crowdTo - 10, true}, {crowdTo - 10, false}} {
		messageQuads(r, swarm(step.n))
		if r.crowd.on != step.want {
			t.Errorf("after frames of %d messages: crowd %v, want %v", step.n, r.crowd.on, step.want)
		}
	}
}
