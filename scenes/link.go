package scenes

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/thingyard/thingyard/sim"
)

// A share link is the page URL with the scenario in its fragment:
//
//	https://host/#s=1<base64url(deflate(json))>
//
// The JSON names a built-in scene ("n") or carries a whole edited scene as
// YAML ("y"), with the seed ("s"), the actions taken since load ("a",
// sim.Action in its compact JSON form) and the moment it was made ("t").
// The moment as the sharer saw it goes along: paused ("p"), the device
// ("d") or message ("m") inspected, and the part of the world on screen
// ("v": centre x, y and width, height in world units). The leading 1 is
// the format version.
//
// A page that joined a live room from the room's world state holds only
// the actions after it: the room's log before it is gone. Its link carries
// that state ("w", sim.World.State) and the actions after it, and opens
// from the state. A state makes a link long (about 6,000 characters for
// the overview scene, 77,000 for scalability's 1,000 devices): Encode
// refuses one longer than MaxLinkLen, saying so, and the page offers the
// room's link instead.

// Limits on decoding, so a hostile link cannot exhaust memory.
const (
	MaxLinkLen  = 64 << 10  // characters of the encoded scenario
	MaxInflated = 512 << 10 // bytes once inflated
	MaxActions  = 5000      // actions one link may carry
	linkVersion = '1'
	linkKey     = "s="
)

// Errors of decoding a share link.
var (
	ErrLinkTooLong  = errors.New("scenes: share link too long")
	ErrLinkVersion  = errors.New("scenes: share link from another version of Thingyard")
	ErrLinkCorrupt  = errors.New("scenes: share link is damaged")
	ErrLinkTooLarge = errors.New("scenes: share link inflates too large")
	ErrNoScenario   = errors.New("scenes: the URL holds no scenario")
)

// Scenario is what a share link reproduces: a scene, its seed and the
// actions taken in it, each at its tick.
type Scenario struct {
	Name    string // a built-in scene, or "" when Scene was edited
	Scene   *Scene
	Seed    uint64
	Actions []sim.Action
	// Tick is the moment the link was made: opening it runs the world up
	// to there, so the person sees what the sharer saw.
	Tick int64
	// Paused says the sharer's world was paused: it opens paused at Tick,
	// so "look at this" does not drift away.
	Paused bool
	// Selected is the device the sharer inspected, "" for none, and
	// Message the message (by id), 0 for none.
	Selected string
	Message  uint64
	// View is the part of the world the sharer had on screen, nil for the
	// whole world fitted.
	View *View
	// World is the world state (sim.World.State) Actions start from, nil
	// for the scene's world at tick 0; Decode gives it decoded as Start.
	World []byte
	Start *sim.World
}

// View is a part of the world on screen: its centre and its size, in world
// units. A screen of another shape shows all of it, centred.
type View struct {
	X, Y, W, H float64
}

// Limits of a shared view, in world units: a world reaches about a million
// units across with the most devices spread out, and a view narrower than
// MinViewSize is zoomed beyond what the page allows.
const (
	MaxViewCoord = 1e7
	MinViewSize  = 1
)

// MaxTick is the latest moment a link may open at (an hour of simulated
// time), so opening one never runs for long.
const MaxTick = 3_600_000

type wireScenario struct {
	Name    string       `json:"n,omitempty"`
	YAML    string       `json:"y,omitempty"`
	Seed    uint64       `json:"s,omitempty"`
	Actions []sim.Action `json:"a,omitempty"`
	Tick    int64        `json:"t,omitempty"`
	Paused  bool         `json:"p,omitempty"`
	Device  string       `json:"d,omitempty"`
	Message uint64       `json:"m,omitempty"`
	View    *[4]float64  `json:"v,omitempty"`
	World   []byte       `json:"w,omitempty"`
}

// Spec is the world the scenario reproduces: the scene with its actions
// folded into its events.
func (s *Scenario) Spec() sim.Spec {
	return Fold(s.Scene, s.Actions).Spec
}

// Fold returns a copy of a scene whose events include the actions, so a
// long action log becomes a scene that replays to the same state: each
// action keeps its tick, and actions of one tick keep their order after the
// scene's own events.
func Fold(sc *Scene, actions []sim.Action) *Scene {
	out := *sc
	out.Events = append(append([]sim.Action(nil), sc.Events...), actions...)
	return &out
}

// Encode packs a scenario into the text of a URL fragment after "#s=".
func Encode(s Scenario) (string, error) {
	ws := wireScenario{Name: s.Name, Seed: s.Seed, Actions: s.Actions, Tick: s.Tick,
		Paused: s.Paused, Device: s.Selected, Message: s.Message, World: s.World}
	if v := s.View; v != nil {
		// A hundredth of a unit is far below a pixel at any zoom.
		r := func(f float64) float64 { return math.Round(f*100) / 100 }
		ws.View = &[4]float64{r(v.X), r(v.Y), r(v.W), r(v.H)}
	}
	if ws.Name == "" {
		if s.Scene == nil {
			return "", errors.New("scenes: a scenario needs a built-in name or a scene")
		}
		y, err := Marshal(s.Scene)
		if err != nil {
			return "", err
		}
		ws.YAML = string(y)
	}
	if ws.Seed == 1 {
		ws.Seed = 0
	}
	js, err := json.Marshal(ws)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	zw, _ := flate.NewWriter(&b, flate.BestCompression)
	zw.Write(js)
	zw.Close()
	text := string(linkVersion) + base64.RawURLEncoding.EncodeToString(b.Bytes())
	if len(text) > MaxLinkLen {
		what := "its actions"
		if s.World != nil {
			what = "its world state and the actions after it"
		}
		return "", fmt.Errorf("%w: this world (%s) takes %d characters in a link, at most %d", ErrLinkTooLong, what, len(text), MaxLinkLen)
	}
	return text, nil
}

// Link is base (the page URL) with the scenario in its fragment.
func Link(base string, s Scenario) (string, error) {
	enc, err := Encode(s)
	if err != nil {
		return "", err
	}
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base = base[:i]
	}
	return base + "#" + linkKey + enc, nil
}

// FromURL decodes the scenario in a URL's fragment (or a bare fragment).
func FromURL(u string) (Scenario, error) {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[i+1:]
	}
	for _, part := range strings.Split(u, "&") {
		if strings.HasPrefix(part, linkKey) {
			return Decode(part[len(linkKey):])
		}
	}
	return Scenario{}, ErrNoScenario
}

// Decode unpacks Encode's text. Every failure says what was wrong; none
// panics, however the text was damaged.
func Decode(text string) (Scenario, error) {
	if len(text) > MaxLinkLen {
		return Scenario{}, fmt.Errorf("%w: %d characters, at most %d", ErrLinkTooLong, len(text), MaxLinkLen)
	}
	if text == "" || text[0] != linkVersion {
		return Scenario{}, ErrLinkVersion
	}
	raw, err := base64.RawURLEncoding.DecodeString(text[1:])
	if err != nil {
		return Scenario{}, fmt.Errorf("%w: %v (was it cut short when copied?)", ErrLinkCorrupt, err)
	}
	js, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), MaxInflated+1))
	if err != nil {
		return Scenario{}, fmt.Errorf("%w: %v", ErrLinkCorrupt, err)
	}
	if len(js) > MaxInflated {
		return Scenario{}, fmt.Errorf("%w: more than %d bytes", ErrLinkTooLarge, MaxInflated)
	}
	var ws wireScenario
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ws); err != nil {
		return Scenario{}, fmt.Errorf("%w: %v", ErrLinkCorrupt, err)
	}
	if len(ws.Actions) > MaxActions {
		return Scenario{}, fmt.Errorf("%w: %d actions, at most %d", ErrLinkTooLarge, len(ws.Actions), MaxActions)
	}
	if ws.Tick < 0 || ws.Tick > MaxTick {
		return Scenario{}, fmt.Errorf("%w: it opens at tick %d, past the last allowed (%d)", ErrLinkCorrupt, ws.Tick, MaxTick)
	}
	if len(ws.Device) > sim.MaxIDLen {
		return Scenario{}, fmt.Errorf("%w: the inspected device's id is %d bytes, at most %d", ErrLinkCorrupt, len(ws.Device), sim.MaxIDLen)
	}
	s := Scenario{Name: ws.Name, Seed: ws.Seed, Actions: ws.Actions, Tick: ws.Tick,
		Paused: ws.Paused, Selected: ws.Device, Message: ws.Message, World: ws.World}
	if ws.World != nil {
		if s.Start, err = sim.DecodeState(ws.World); err != nil {
			return Scenario{}, fmt.Errorf("%w: its world state: %v", ErrLinkCorrupt, err)
		}
		if t := s.Start.Tick(); t > ws.Tick {
			return Scenario{}, fmt.Errorf("%w: its world state is of tick %d, after the moment it opens at (%d)", ErrLinkCorrupt, t, ws.Tick)
		}
	}
	if v := ws.View; v != nil {
		if err := checkView(v); err != nil {
			return Scenario{}, fmt.Errorf("%w: %v", ErrLinkCorrupt, err)
		}
		s.View = &View{X: v[0], Y: v[1], W: v[2], H: v[3]}
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	switch {
	case ws.Name != "" && ws.YAML == "":
		if s.Scene, err = Builtin(ws.Name); err != nil {
			return Scenario{}, err
		}
	case ws.Name == "" && ws.YAML != "":
		if s.Scene, err = Parse("shared scene", []byte(ws.YAML)); err != nil {
			return Scenario{}, err
		}
	default:
		return Scenario{}, fmt.Errorf("%w: it names no scene", ErrLinkCorrupt)
	}
	for i := range s.Actions {
		if err := s.Actions[i].Check(); err != nil {
			return Scenario{}, fmt.Errorf("%w: action %d: %v", ErrLinkCorrupt, i+1, err)
		}
	}
	if err := s.Scene.Validate(); err != nil {
		return Scenario{}, err
	}
	if sp := s.Spec(); sp.Validate() != nil {
		return Scenario{}, fmt.Errorf("%w: %v", ErrLinkCorrupt, sp.Validate())
	}
	return s, nil
}

// checkView says what is wrong with a shared view: every number finite,
// the centre within MaxViewCoord of the origin and the size between
// MinViewSize and MaxViewCoord.
func checkView(v *[4]float64) error {
	for i, f := range v {
		if math.IsNaN(f) || math.Abs(f) > MaxViewCoord {
			return fmt.Errorf("the view's %s is %v, beyond ±%g", viewField[i], f, MaxViewCoord)
		}
	}
	if v[2] < MinViewSize || v[3] < MinViewSize {
		return fmt.Errorf("the view is %v×%v units, smaller than %v", v[2], v[3], MinViewSize)
	}
	return nil
}

var viewField = [4]string{"centre x", "centre y", "width", "height"}
