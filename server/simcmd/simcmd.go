// Package simcmd is the headless commands of the thingyard program:
// thingyard sim runs a scene without a browser and prints its numbers (or
// writes its frames to a pcapng file), thingyard link prints a share link.
package simcmd

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/thingyard/thingyard/capture"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
)

// loadScene reads a built-in scene by name, or a scene file by path.
func loadScene(nameOrFile string) (*scenes.Scene, string, error) {
	if !strings.ContainsAny(nameOrFile, "./\\") {
		sc, err := scenes.Builtin(nameOrFile)
		return sc, nameOrFile, err
	}
	data, err := os.ReadFile(nameOrFile)
	if err != nil {
		return nil, "", err
	}
	sc, err := scenes.Parse(nameOrFile, data)
	return sc, nameOrFile, err
}

// readActions reads a JSON list of sim.Action.
func readActions(path string) ([]sim.Action, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var acts []sim.Action
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&acts); err != nil {
		return nil, fmt.Errorf("%s: not a JSON list of actions: %w", path, err)
	}
	for i := range acts {
		if err := acts[i].Check(); err != nil {
			return nil, fmt.Errorf("%s: action %d: %w", path, i+1, err)
		}
	}
	return acts, nil
}

// simResult is what thingyard sim -json prints.
type simResult struct {
	Scene string             `json:"scene"`
	Seed  uint64             `json:"seed"`
	Ticks int64              `json:"ticks"`
	Hash  string             `json:"hash"`
	Sides map[string]simSide `json:"sides"`
	Order []string           `json:"side_order"`
	Full  []sim.SideMetrics  `json:"metrics"`
}

type simSide struct {
	Devices      int     `json:"devices"`
	Sent         int64   `json:"sent"`
	Delivered    int64   `json:"delivered"`
	Lost         int64   `json:"lost"`
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
	Bytes        int64   `json:"bytes"`
}

// simFlags are thingyard sim's flags.
type simFlags struct {
	scene, link, actions, pcap string
	seconds                    int
	seed                       uint64
	json                       bool
}

func (f *simFlags) parse(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("thingyard sim", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&f.scene, "scene", scenes.Default, "built-in scene name or scene file")
	fl.StringVar(&f.link, "link", "", "a share link to run instead of -scene")
	fl.IntVar(&f.seconds, "seconds", 0, "simulated seconds to run (default: the scene's own)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed (default: the scene's or the link's)")
	fl.StringVar(&f.actions, "actions", "", "JSON file with a list of actions to apply")
	fl.BoolVar(&f.json, "json", false, "print one JSON object instead of a table")
	fl.StringVar(&f.pcap, "pcap", "", "write every frame the world sends to this pcapng `FILE`, for Wireshark")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: thingyard sim [-scene NAME|FILE | -link URL] [-seconds N] [-seed S] [-actions FILE] [-json] [-pcap FILE]\nbuilt-in scenes: %s\n", strings.Join(scenes.Names(), ", "))
		fl.PrintDefaults()
	}
	return fl.Parse(args)
}

// scenario is the run the flags ask for: a link's or a scene's, with the
// actions and seed given, and how many seconds it runs.
func (f *simFlags) scenario() (scenes.Scenario, int, error) {
	var sc scenes.Scenario
	if f.link != "" {
		var err error
		if sc, err = scenes.FromURL(f.link); err != nil {
			return sc, 0, err
		}
	} else {
		s, name, err := loadScene(f.scene)
		if err != nil {
			return sc, 0, err
		}
		sc = scenes.Scenario{Name: name, Scene: s, Seed: s.Seed}
	}
	if f.actions != "" {
		acts, err := readActions(f.actions)
		if err != nil {
			return sc, 0, err
		}
		sc.Actions = append(sc.Actions, acts...)
	}
	if f.seed != 0 {
		sc.Seed = f.seed
	}
	secs := f.seconds
	if secs == 0 {
		secs = sc.Scene.Seconds
	}
	if secs < 0 || secs > 24*3600 {
		return sc, 0, fmt.Errorf("-seconds %d is out of range (1..86400)", secs)
	}
	if sc.Name == "" {
		sc.Name = sc.Scene.Name
	}
	return sc, secs, nil
}

// Sim is `thingyard sim`: run a scene headless and print its numbers.
func Sim(args []string, stdout, stderr io.Writer) error {
	var f simFlags
	if err := f.parse(args, stderr); err != nil {
		return err
	}
	sc, secs, err := f.scenario()
	if err != nil {
		return err
	}
	w, err := sim.New(sc.Spec(), sc.Seed)
	if err != nil {
		return err
	}
	if f.pcap != "" {
		if err := simCapture(w, f.pcap, secs, fmt.Sprintf("Thingyard scene %s, seed %d, %d simulated seconds", sc.Name, sc.Seed, secs), stderr); err != nil {
			return err
		}
	} else {
		w.Step(secs * 1000)
	}
	res := simResult{Scene: sc.Name, Seed: sc.Seed, Ticks: w.Tick(), Hash: sim.HashString(w.Hash()),
		Sides: map[string]simSide{}, Full: w.Metrics()}
	for _, m := range res.Full {
		res.Order = append(res.Order, m.Side)
		res.Sides[m.Side] = simSide{Devices: m.Devices, Sent: m.Sent, Delivered: m.Delivered, Lost: m.Lost,
			LatencyP50Ms: m.LatencyP50Ms, LatencyP99Ms: m.LatencyP99Ms, Bytes: m.Bytes}
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return printTable(stdout, w, sc, secs, res)
}

// printTable prints a run's numbers for people: a row a side.
func printTable(stdout io.Writer, w *sim.World, sc scenes.Scenario, secs int, res simResult) error {
	fmt.Fprintf(stdout, "%s: %s\nseed %d, %d s simulated, state hash %s\n\n", sc.Name, sc.Scene.Title, sc.Seed, secs, res.Hash)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "side\tdevices\tsent\tdelivered\tlost\tp50 ms\tp99 ms\tbytes/reading\tpoll cycle ms\tdecisions local/cloud\t")
	for _, m := range res.Full {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d/%d\t\n", m.Side, m.Devices, m.Sent, m.Delivered, m.Lost,
			m.LatencyP50Ms, m.LatencyP99Ms, m.BytesPerRead, m.PollCycleMs, m.DecisionsLocal, m.DecisionsCloud)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if txt, tick := w.LastRefusal(); txt != "" {
		fmt.Fprintf(stdout, "\nlast refusal at %.1f s: %s\n", float64(tick)/1000, txt)
	}
	return nil
}

// captureStep is how many ticks the world steps between two writes of
// its capture (1000, a simulated second): frames wait in memory at most
// that long.
const captureStep = 1000

// simCapture steps w for secs simulated seconds, writing every frame it
// sends to a pcapng file, and says on stderr how to open it.
func simCapture(w *sim.World, file string, secs int, comment string, stderr io.Writer) (err error) {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("-pcap: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("-pcap: %w", cerr)
		}
	}()
	bw := bufio.NewWriter(f)
	st, err := capture.NewStream(bw, w, capture.Options{Comment: comment})
	if err != nil {
		return fmt.Errorf("-pcap %s: %w", file, err)
	}
	for left := secs * 1000; left > 0; left -= captureStep {
		w.Step(min(left, captureStep))
		if err := st.Flush(); err != nil {
			return fmt.Errorf("-pcap %s: %w", file, err)
		}
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("-pcap %s: %w", file, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("-pcap %s: %w", file, err)
	}
	// Debian 12's Wireshark is 4.0, whose LoRaWAN key table differs from
	// later versions': the command names both.
	quoted := func(opts []string) string {
		var b strings.Builder
		for i, o := range opts {
			if i%2 == 1 {
				o = "'" + o + "'"
			}
			b.WriteString(" " + o)
		}
		return b.String()
	}
	fmt.Fprintf(stderr, "wrote %d frames to %s; open it with\n  wireshark%s %s\n", st.Frames(), file, quoted(st.TsharkOptions("4.0")), file)
	if addrs := st.LoRaWANDevAddrs(); len(addrs) > 0 {
		var later []string
		for _, a := range addrs {
			later = append(later, "-o", capture.LoRaWANKeysOption(a, ""))
		}
		fmt.Fprintf(stderr, "(that is Wireshark 4.0; later versions take the LoRaWAN keys as%s)\n", quoted(later))
	}
	return nil
}

// Link is `thingyard link`: print a share link for a scene.
func Link(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("thingyard link", flag.ContinueOnError)
	fl.SetOutput(stderr)
	scene := fl.String("scene", scenes.Default, "built-in scene name or scene file")
	actions := fl.String("actions", "", "JSON file with a list of actions taken")
	seed := fl.Uint64("seed", 0, "seed (default: the scene's)")
	base := fl.String("base", "http://127.0.0.1:8080/", "the page the link opens: the address people open, such as http://192.168.1.20:8080/")
	if err := fl.Parse(args); err != nil {
		return err
	}
	s, name, err := loadScene(*scene)
	if err != nil {
		return err
	}
	sc := scenes.Scenario{Scene: s, Seed: s.Seed}
	if _, err := scenes.Builtin(name); err == nil {
		sc.Name = name
	}
	if *seed != 0 {
		sc.Seed = *seed
	}
	if *actions != "" {
		if sc.Actions, err = readActions(*actions); err != nil {
			return err
		}
	}
	l, err := scenes.Link(*base, sc)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, l)
	return err
}
