package ui

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/js"

	"github.com/thingyard/thingyard/sim"
)

// either is yes when b holds, else no: the two labels of a toggle.
func either(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func (c *Root) pressed(b bool) string { return either(b, "true", "false") }

func (c *Root) playLabel() string { return either(c.Model.Paused, "Play", "Pause") }

// TogglePlay pauses or resumes the world.
func (c *Root) TogglePlay(vugu.DOMEvent) {
	p := !c.Model.Paused
	c.Model.Paused = p
	c.Send(Pause{Paused: p})
}

// StepOnce advances a paused world by one tick.
func (c *Root) StepOnce(vugu.DOMEvent) { c.Send(Step{}) }

// ResetWorld starts the scene again, without the actions taken.
func (c *Root) ResetWorld(vugu.DOMEvent) { c.Send(Reset{}) }

// PickScene loads another built-in scene.
func (c *Root) PickScene(e vugu.DOMEvent) {
	if name := e.PropString("target", "value"); name != "" {
		c.Send(LoadScene{Name: name})
	}
}

// SetSpeed changes how fast simulated time runs.
func (c *Root) SetSpeed(e vugu.DOMEvent) {
	v, err := strconv.ParseFloat(e.PropString("target", "value"), 64)
	if err != nil || v <= 0 {
		return
	}
	c.Model.Speed = v
	c.Send(SetSpeed{Speed: v})
}

type choice struct {
	Value, Label string
	Selected     bool
}

func (c *Root) speeds() []choice {
	out := make([]choice, len(Speeds))
	for i, s := range Speeds {
		v := strconv.FormatFloat(s, 'g', -1, 64)
		out[i] = choice{Value: v, Label: v + "×", Selected: s == c.Model.Speed}
	}
	return out
}

func (c *Root) clock() string { return Clock(c.Model.Tick) }

// Clock is a tick (ms of simulated time) as the panel's clock shows it:
// m:ss.d.
func Clock(ms int64) string {
	return fmt.Sprintf("%d:%02d.%d", ms/60000, ms/1000%60, ms/100%10)
}

func (c *Root) internetLabel() string {
	return either(c.Model.InternetUp, "Cut the internet", "Restore the internet")
}

func (c *Root) internetClass() string { return either(c.Model.InternetUp, "", "cut") }

// ToggleInternet cuts or restores every internet link.
func (c *Root) ToggleInternet(vugu.DOMEvent) {
	k := sim.ActCut
	if !c.Model.InternetUp {
		k = sim.ActRestore
	}
	c.Send(Act{sim.Action{Kind: k, Link: sim.Internet}})
}

func (c *Root) addCounts() []string { return itoas(AddCounts) }

// itoas is ns in decimal, the options of a choice of numbers.
func itoas(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

func (c *Root) count() int {
	if c.addCount == 0 {
		return 10
	}
	return c.addCount
}

func (c *Root) countText() string { return strconv.Itoa(c.count()) }

func (c *Root) kinds() []string { return []string{"sensor", "actuator", "app"} }

func plural(k string) string { return k + "s" }

func sideClass(side string) string { return "side-" + side }

func (c *Root) kind() string {
	if c.addKind == "" {
		return "sensor"
	}
	return c.addKind
}

func (c *Root) link() string {
	for _, l := range c.Model.Links {
		if l.ID == c.addLink {
			return l.ID
		}
	}
	if len(c.Model.Links) > 0 {
		return c.Model.Links[0].ID
	}
	return ""
}

// SetAddCount, SetAddKind and SetAddLink choose what Add adds.
func (c *Root) SetAddCount(e vugu.DOMEvent) {
	c.addCount, _ = strconv.Atoi(e.PropString("target", "value"))
}
func (c *Root) SetAddKind(e vugu.DOMEvent) { c.addKind = e.PropString("target", "value") }
func (c *Root) SetAddLink(e vugu.DOMEvent) { c.addLink = e.PropString("target", "value") }

// AddDevices adds devices to the chosen link: the way to watch scaling.
func (c *Root) AddDevices(vugu.DOMEvent) {
	if c.link() == "" {
		return
	}
	c.Send(Act{sim.Action{Kind: sim.ActAdd, Link: c.link(), DeviceKind: c.kind(), Count: c.count()}})
}

type row struct {
	Name   string
	Values []string
}

// rows are the comparison's lines, one value per side.
func (c *Root) rows() []row {
	type metric struct {
		name string
		f    func(m *sim.SideMetrics) string
	}
	ms := []metric{
		{"devices", func(m *sim.SideMetrics) string { return strconv.Itoa(m.Devices) }},
		{"delivered", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Delivered, 10) }},
		{"lost", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Lost, 10) }},
		{"waiting (QoS 1)", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Buffered, 10) }},
		{"latency p50", func(m *sim.SideMetrics) string { return ms(m.LatencyP50Ms) }},
		{"latency p99", func(m *sim.SideMetrics) string { return ms(m.LatencyP99Ms) }},
		{"reaction p50", func(m *sim.SideMetrics) string { return ms(m.ReactionP50Ms) }},
		{"bytes / reading", func(m *sim.SideMetrics) string { return strconv.FormatFloat(m.BytesPerRead, 'f', 1, 64) }},
		{"links", func(m *sim.SideMetrics) string { return strconv.Itoa(m.Links) }},
		{"poll cycle", func(m *sim.SideMetrics) string { return ms(m.PollCycleMs) }},
		{"standards", func(m *sim.SideMetrics) string { return strconv.Itoa(m.Standards) }},
		{"translations", func(m *sim.SideMetrics) string { return strconv.FormatInt(m.Translations, 10) }},
		{"decisions local / cloud", func(m *sim.SideMetrics) string {
			return strconv.FormatInt(m.DecisionsLocal, 10) + " / " + strconv.FormatInt(m.DecisionsCloud, 10)
		}},
		{"needs the internet", func(m *sim.SideMetrics) string { return yesNo(m.Internet) }},
	}
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i].Name = m.name
		for j := range c.Model.Sides {
			out[i].Values = append(out[i].Values, m.f(&c.Model.Sides[j]))
		}
	}
	return out
}

func ms(v float64) string {
	if v == 0 {
		return "–"
	}
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// chart draws readings delivered per second for each side.
func (c *Root) chart() vugu.HTML {
	return vugu.HTML(Chart(c.Model.Series, len(c.Model.Sides), 300, 70, Delivered))
}

// latencyChart draws each side's median latency, second by second.
func (c *Root) latencyChart() vugu.HTML {
	return vugu.HTML(Chart(c.Model.Series, len(c.Model.Sides), 300, 70, Latency))
}

// csvHref is the metrics as a CSV download.
func (c *Root) csvHref() string {
	return "data:text/csv;charset=utf-8," + url.PathEscape(CSV(c.Model.Sides))
}

// CSV writes the side metrics, one row per side.
func CSV(sides []sim.SideMetrics) string {
	var b strings.Builder
	b.WriteString("side,devices,sent,delivered,lost,buffered,latency_p50_ms,latency_p99_ms,reaction_p50_ms,bytes,bytes_per_reading,links,poll_cycle_ms,translations,decisions_local,decisions_cloud,needs_internet\n")
	for _, m := range sides {
		fmt.Fprintf(&b, "%s,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%d,%.2f,%d,%.3f,%d,%d,%d,%t\n", m.Side, m.Devices, m.Sent, m.Delivered, m.Lost,
			m.Buffered, m.LatencyP50Ms, m.LatencyP99Ms, m.ReactionP50Ms, m.Bytes, m.BytesPerRead, m.Links, m.PollCycleMs,
			m.Translations, m.DecisionsLocal, m.DecisionsCloud, m.Internet)
	}
	return b.String()
}

// ShareLink makes the link that reproduces the world as it is.
func (c *Root) ShareLink(vugu.DOMEvent) { c.Send(Share{}) }

// ApplyYAML loads the edited scene; errors show with their line and
// column. The text is read from the text area when Apply is pressed, not
// kept as it is typed: a key press then costs the page nothing (a handler
// would render every panel again on each key).
func (c *Root) ApplyYAML(vugu.DOMEvent) {
	text := c.Model.Editor
	if ta := js.Global().Get("document").Call("getElementById", "scene-yaml"); ta.Truthy() {
		text = ta.Get("value").String()
	}
	c.Send(ApplyYAML{YAML: text})
}

// StartRoom makes a live room of this scene and joins it.
func (c *Root) StartRoom(vugu.DOMEvent) { c.Send(NewRoom{}) }

func (c *Root) roomClass() string {
	if c.Model.RoomStatus == "live" {
		return "ty-live"
	}
	return "ty-reconnecting"
}

func (c *Root) membersText() string {
	if c.Model.Members == 1 {
		return "1 browser in the room"
	}
	return strconv.Itoa(c.Model.Members) + " browsers in the room"
}

// qr is a link as a QR code, for phones.
func (c *Root) qr(link string) vugu.HTML {
	if c.qrText != link {
		c.qrText, c.qrSVG = link, QRSVG(link)
	}
	return vugu.HTML(c.qrSVG)
}

// speedValue is the speed control's value: the world's speed, which a live
// room may have kept when the person chose another.
func (c *Root) speedValue() string { return strconv.FormatFloat(c.Model.Speed, 'g', -1, 64) }

// ToggleEditor opens or closes the scene editor. The panel keeps whether
// it is open, and the click's own toggle is cancelled: every render sets
// the element's attributes from the panel's state, so an opening the panel
// did not know of would be undone by the next refresh.
func (c *Root) ToggleEditor(e vugu.DOMEvent) {
	e.PreventDefault()
	c.editorOpen = !c.editorOpen
}

// AfterRender does what a render cannot: it puts a new scene's text in the
// editor, and it brings the inspector into view after a new selection in
// the world, unless its top is already in view (at 1280×800 it starts far
// below the lesson and the comparison). The page calls it after each
// render (vugu's Rendered callback skips the root component).
//
// The panel's data-revealed attribute is the last Model.Reveal whose
// inspector is in view with the panel still: tests wait for it before
// they read or click in the panel, since Chromium does not stop a smooth
// scroll for a later instant one. data-revealing is the last Reveal seen
// and data-scrolling is "1" while a smooth scroll runs; the scroll's end
// marks the last Reveal seen, so a reveal that needed no scroll of its
// own but came during one is marked when the panel stops.
func (c *Root) AfterRender() {
	doc := js.Global().Get("document")
	if c.Model.Editor != c.editorText {
		if ta := doc.Call("getElementById", "scene-yaml"); ta.Truthy() {
			if ta.Get("value").String() != c.Model.Editor {
				ta.Set("value", c.Model.Editor)
			}
			c.editorText = c.Model.Editor
		}
	}
	c.scrollThings(doc)
	if c.Model.Reveal == c.revealed {
		return
	}
	c.revealed = c.Model.Reveal
	panel, insp := doc.Call("getElementById", "panel"), doc.Call("getElementById", "inspector")
	if !panel.Truthy() || !insp.Truthy() {
		return
	}
	data := panel.Get("dataset")
	data.Set("revealing", strconv.Itoa(c.revealed))
	top := insp.Call("getBoundingClientRect").Get("top").Float() - panel.Call("getBoundingClientRect").Get("top").Float()
	now, most := panel.Get("scrollTop").Float(), panel.Get("scrollHeight").Float()-panel.Get("clientHeight").Float()
	to := min(max(now+top-revealGap, 0), most)
	if top >= 0 && top < revealZone*panel.Get("clientHeight").Float() || math.Abs(to-now) < 1 {
		if !data.Get("scrolling").Truthy() {
			revealedAt(panel)
		}
		return
	}
	opts := js.Global().Get("Object").New()
	opts.Set("top", to)
	if mq := js.Global().Call("matchMedia", "(prefers-reduced-motion: reduce)"); mq.Truthy() && mq.Get("matches").Bool() {
		opts.Set("behavior", "auto")
		panel.Call("scrollTo", opts)
		revealedAt(panel)
		return
	}
	if c.scrollEnd.IsUndefined() {
		c.scrollEnd = js.FuncOf(func(this js.Value, _ []js.Value) any {
			revealedAt(this)
			return nil
		})
		panel.Call("addEventListener", "scrollend", c.scrollEnd)
	}
	data.Set("scrolling", "1")
	opts.Set("behavior", "smooth")
	panel.Call("scrollTo", opts)
}

// revealedAt marks the panel still, with the inspector of the last reveal
// it was asked for in view.
func revealedAt(panel js.Value) {
	data := panel.Get("dataset")
	data.Set("scrolling", "")
	data.Set("revealed", data.Get("revealing").String())
}

// The inspector is left where it is when its top is in the upper
// revealZone of the panel (default 0.6: most of it shows); otherwise the
// panel scrolls it to revealGap CSS pixels below the panel's top (8).
const (
	revealZone = 0.6
	revealGap  = 8
)
