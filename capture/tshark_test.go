package capture_test

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/capture"
	"github.com/thingyard/thingyard/scenes"
	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// tsharkInstall is how to get Debian's tshark, which judges the captures.
const tsharkInstall = "make deps (or, as root: DEBIAN_FRONTEND=noninteractive apt-get install -y tshark)"

// tshark finds tshark and its version ("4.0.17"). A missing tshark fails
// the test: the captures would go unjudged.
func tshark(t *testing.T) (path, version string) {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatalf("tshark is not installed; it judges Thingyard's captures. Install it with %s", tsharkInstall)
	}
	out, err := exec.Command(path, "-v").Output()
	if err != nil {
		t.Fatalf("%s -v: %v", path, err)
	}
	m := regexp.MustCompile(`\(Wireshark\) (\d+\.\d+\.\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s -v says %q: no Wireshark version", path, out)
	}
	return path, string(m[1])
}

// The fields asked of tshark for every frame, in this order.
var tsharkFields = []string{
	"frame.number", "frame.protocols", "_ws.expert.severity", "_ws.expert.message",
	"mbrtu.unit_id", "modbus.func_code", "modbus.reference_num", "modbus.regval_uint16",
	"can.id", "data.data",
	"mqtt.topic", "mqtt.msg",
	"coap.code", "coap.opt.uri_path",
	"http.request.method", "http.request.uri",
	"wpan.dst16", "wpan.src16", "zbee_nwk.dst", "zbee_nwk.src",
	"btatt.handle", "btatt.value",
	"lorawan.fhdr.devaddr", "lorawan.fhdr.fcnt", "lorawan.frmpayload_decrypted", "lorawan.mic.status",
}

// Expert info severities as tshark prints them (epan/proto.h).
const (
	severityWarn = 0x00600000
)

// judgeOptions make tshark check what it does not check by default: the
// Modbus CRC and the IP, TCP and UDP checksums.
var judgeOptions = []string{
	"-o", "mbrtu.crc_verification:TRUE",
	"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
}

// dissected runs tshark over a capture with the options the Writer gives
// for this tshark (the ones the README and thingyard sim -pcap give) and
// returns each frame's fields by name, frame 1 first. A user's own
// Wireshark settings are kept out of it.
func dissected(t *testing.T, file string, opts []string) []map[string]string {
	t.Helper()
	path, _ := tshark(t)
	args := append([]string{"-r", file, "-n"}, opts...)
	args = append(args, judgeOptions...)
	args = append(args, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|", "-E", "quote=n")
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(path, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != len(tsharkFields) {
			t.Fatalf("tshark printed %d fields, asked %d: %q", len(cols), len(tsharkFields), line)
		}
		row := map[string]string{}
		for i, f := range tsharkFields {
			row[f] = cols[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// problems are what tshark found wrong with a frame: a malformed packet, or
// expert info of warning severity or above.
func problems(row map[string]string) []string {
	var ps []string
	if strings.Contains(row["frame.protocols"], "_ws.malformed") {
		ps = append(ps, "malformed packet")
	}
	sev, msg := strings.Split(row["_ws.expert.severity"], "|"), strings.Split(row["_ws.expert.message"], "|")
	for i, s := range sev {
		if n, err := strconv.ParseUint(s, 0, 32); err == nil && n >= severityWarn {
			m := "?"
			if i < len(msg) {
				m = msg[i]
			}
			ps = append(ps, fmt.Sprintf("expert info of severity 0x%X: %s", n, m))
		}
	}
	return ps
}

// maxJudged is how many frames of a scene tshark judges at most (15,000):
// the scalability scene sends about a hundred thousand in its 40 s, most
// of them alike, and dissecting them all would take tshark half a minute.
const maxJudged = 15_000

// recordScene runs a built-in scene for its own length and returns every
// frame its world sent, in time order, as a capture holds them, up to the
// first maxJudged (and the frames of the same microsecond as the last).
func recordScene(t *testing.T, name string) []sim.Frame {
	t.Helper()
	sc, err := scenes.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	scen := scenes.Scenario{Name: name, Scene: sc, Seed: sc.Seed}
	w, err := sim.New(scen.Spec(), scen.Seed)
	if err != nil {
		t.Fatal(err)
	}
	var frames []sim.Frame
	w.OnFrame(func(f *sim.Frame) {
		c := *f
		c.Bytes = bytes.Clone(f.Bytes)
		frames = append(frames, c)
	})
	w.Step(sc.Seconds * 1000)
	slices.SortStableFunc(frames, func(a, b sim.Frame) int { return cmp.Compare(a.At, b.At) })
	if n := maxJudged; len(frames) > n {
		for n < len(frames) && frames[n].At == frames[n-1].At {
			n++
		}
		frames = frames[:n]
	}
	return frames
}

// writeCapture writes frames to a pcapng file and returns the options
// tshark of this version needs for it.
func writeCapture(t *testing.T, file, version string, frames []sim.Frame) []string {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.Options{Comment: filepath.Base(file)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range frames {
		if err := w.Write(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return w.TsharkOptions(version)
}

// topProtocol is the dissector tshark must reach for a frame of each of
// the world's protocols.
var topProtocol = map[sim.Protocol]string{
	sim.ProtoModbusRTU: "mbrtu:modbus", sim.ProtoCAN: "can", sim.ProtoMQTT: "tcp:mqtt", sim.ProtoCoAP: "udp:coap",
	sim.ProtoHTTP: "tcp:http", sim.ProtoZigbee: "wpan:zbee_nwk:zbee_aps:zbee_zcl", sim.ProtoBLE: "btle:btl2cap:btatt",
	sim.ProtoLoRaWAN: "loratap:lorawan",
}

// Wireshark believes every frame of every built-in scene: tshark opens a
// capture of each scene's whole run with its own dissectors, finds nothing
// malformed and nothing of warning severity or above (checksums, CRCs and
// MICs checked), dissects each frame as its protocol, and decodes from
// each frame the fields Thingyard's inspector shows for it.
func TestTsharkBelievesEveryScene(t *testing.T) {
	_, version := tshark(t)
	dir := t.TempDir()
	compared := map[sim.Protocol]int{}
	for _, name := range scenes.Names() {
		t.Run(name, func(t *testing.T) {
			frames := recordScene(t, name)
			file := filepath.Join(dir, name+".pcapng")
			rows := dissected(t, file, writeCapture(t, file, version, frames))
			if len(rows) != len(frames) {
				t.Fatalf("tshark read %d frames of %d", len(rows), len(frames))
			}
			bad := 0
			for i, row := range rows {
				f := &frames[i]
				where := fmt.Sprintf("%s frame %d (%s -> %s, %s %s at %d µs)", name, i+1, f.From, f.To, f.Protocol, f.Kind, f.At)
				for _, p := range problems(row) {
					if bad++; bad <= 20 {
						t.Errorf("%s: %s", where, p)
					}
				}
				if !strings.Contains(row["frame.protocols"], topProtocol[f.Protocol]) {
					if bad++; bad <= 20 {
						t.Errorf("%s: tshark dissects it as %s, want %s", where, row["frame.protocols"], topProtocol[f.Protocol])
					}
					continue
				}
				if err := sameFields(f, row); err != nil {
					if bad++; bad <= 20 {
						t.Errorf("%s: tshark and the inspector disagree: %v", where, err)
					}
					continue
				}
				compared[f.Protocol]++
			}
		})
	}
	// Every protocol of the world was compared somewhere.
	for p := range topProtocol {
		if compared[p] == 0 {
			t.Errorf("no %s frame was compared", p)
		}
	}
	t.Logf("frames compared with tshark: %v", compared)
}

// The judge can fail: frames damaged as a bad radio or a bug would damage
// them (a wrong Modbus CRC, Zigbee FCS or LoRaWAN MIC, a CAN frame cut
// short, an MQTT topic longer than its packet) are each reported.
func TestTsharkCatchesDamage(t *testing.T) {
	_, version := tshark(t)
	frames := sampleFrames()
	damage := map[int]func(b []byte) []byte{
		0: func(b []byte) []byte { b[len(b)-1] ^= 0xFF; return b }, // Modbus CRC
		1: func(b []byte) []byte { return b[:10] },                 // a CAN frame cut short
		2: func(b []byte) []byte { b[len(b)-3] ^= 0x40; return b }, // Zigbee FCS
		4: func(b []byte) []byte { b[len(b)-1] ^= 0x01; return b }, // LoRaWAN MIC
		5: func(b []byte) []byte { b[3] += 40; return b },          // an MQTT topic longer than its packet
	}
	for i, d := range damage {
		frames[i].Bytes = d(bytes.Clone(frames[i].Bytes))
	}
	file := filepath.Join(t.TempDir(), "damaged.pcapng")
	rows := dissected(t, file, writeCapture(t, file, version, frames))
	for i, row := range rows {
		ps := problems(row)
		_, damaged := damage[i]
		if damaged && len(ps) == 0 {
			t.Errorf("frame %d (%s) damaged, tshark finds nothing wrong: %v", i+1, frames[i].Protocol, row)
		}
		if !damaged && len(ps) > 0 {
			t.Errorf("frame %d (%s) whole, tshark finds %v", i+1, frames[i].Protocol, ps)
		}
	}
}

// sameFields compares the fields tshark decoded from a frame with those
// Thingyard's inspector (proto.Dissect) shows for it.
func sameFields(f *sim.Frame, row map[string]string) error {
	fields, err := proto.Dissect(f.Protocol.String(), f.Bytes)
	if err != nil {
		return fmt.Errorf("the inspector: %v", err)
	}
	ours := map[string][]string{}
	var decrypted string
	for _, fl := range fields {
		ours[fl.Name] = append(ours[fl.Name], fl.Value)
		for _, c := range fl.Children {
			if fl.Name == "FRMPayload" && c.Name == "decrypted" {
				decrypted = c.Value
			}
		}
	}
	one := func(name string) string {
		if v := ours[name]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var diffs []string
	same := func(what, inspector, ws string) {
		if inspector != ws {
			diffs = append(diffs, fmt.Sprintf("%s: inspector %q, tshark %q", what, inspector, ws))
		}
	}
	switch f.Protocol {
	case sim.ProtoModbusRTU:
		same("slave address", num(one("slave address")), num(row["mbrtu.unit_id"]))
		fn := num(strings.Fields(one("function"))[0])
		same("function", fn, num(row["modbus.func_code"]))
		addr := one("starting address") + one("address")
		var regs []string
		for i := 0; ; i++ {
			v := one(fmt.Sprintf("register %d", i))
			if v == "" {
				break
			}
			regs = append(regs, num(strings.Fields(v)[0]))
		}
		switch {
		case fn == "5":
			// A coil write and its echo are the same bytes: without the
			// bus's direction Wireshark leaves it unclassified and shows
			// only the function, as the README says.
		case addr != "" && len(regs) == 0: // a read request
			same("address", num(addr), num(row["modbus.reference_num"]))
		default:
			if addr != "" {
				same("address", num(addr), num(row["modbus.reference_num"]))
			}
			same("registers", strings.Join(regs, "|"), nums(row["modbus.regval_uint16"]))
		}
	case sim.ProtoCAN:
		same("identifier", num(strings.Fields(one("can_id"))[0]), num(row["can.id"]))
		same("data", hexOf(one("data")), row["data.data"])
	case sim.ProtoMQTT:
		same("topic", unquote(one("topic")), row["mqtt.topic"])
		same("payload", hex.EncodeToString([]byte(unquote(one("payload")))), row["mqtt.msg"])
	case sim.ProtoCoAP:
		code := strings.Fields(one("code"))[0] // "0.02"
		var class, detail int
		fmt.Sscanf(code, "%d.%d", &class, &detail)
		same("code", strconv.Itoa(class*32+detail), row["coap.code"])
		var path []string
		for _, p := range ours["option Uri-Path"] {
			path = append(path, unquote(p))
		}
		same("URI path", strings.Join(path, "|"), row["coap.opt.uri_path"])
	case sim.ProtoHTTP:
		method, target := "", ""
		for _, fl := range fields {
			if fl.Name == "request line" {
				for _, c := range fl.Children {
					switch c.Name {
					case "method":
						method = c.Value
					case "target":
						target = c.Value
					}
				}
			}
		}
		same("method", method, row["http.request.method"])
		same("target", target, row["http.request.uri"])
	case sim.ProtoZigbee:
		same("MAC destination", num(one("destination")), num(row["wpan.dst16"]))
		same("MAC source", num(one("source")), num(row["wpan.src16"]))
		same("NWK destination", num(one("NWK destination")), num(row["zbee_nwk.dst"]))
		same("NWK source", num(one("NWK source")), num(row["zbee_nwk.src"]))
	case sim.ProtoBLE:
		same("handle", num(one("attribute handle")), num(row["btatt.handle"]))
		same("value", hexOf(strings.Split(one("value"), " =")[0]), row["btatt.value"])
	case sim.ProtoLoRaWAN:
		same("DevAddr", num("0x"+one("DevAddr")), num(row["lorawan.fhdr.devaddr"]))
		same("FCnt", num(one("FCnt")), num(row["lorawan.fhdr.fcnt"]))
		same("decrypted payload", hexOf(strings.Split(decrypted, " =")[0]), row["lorawan.frmpayload_decrypted"])
		if !strings.Contains(one("MIC"), "correct") || row["lorawan.mic.status"] != "1" {
			diffs = append(diffs, fmt.Sprintf("MIC: inspector %q, tshark status %q (1 is good)", one("MIC"), row["lorawan.mic.status"]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s", strings.Join(diffs, "; "))
	}
	return nil
}

// num normalises a number written in decimal or 0x-hex ("0x000C", "12")
// to decimal; what is not a number is kept as it is, so it differs.
func num(s string) string {
	if n, err := strconv.ParseUint(s, 0, 64); err == nil {
		return strconv.FormatUint(n, 10)
	}
	if n, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64); err == nil && strings.HasPrefix(s, "0x") {
		return strconv.FormatUint(n, 10)
	}
	return s
}

func nums(s string) string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		out = append(out, num(p))
	}
	return strings.Join(out, "|")
}

// hexOf turns the inspector's "00 00 62 A4" into tshark's "000062a4".
func hexOf(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// The README says how to open a capture with the very options the tests
// give tshark: the Modbus user link type, the MQTT version and the
// LoRaWAN test keys.
func TestREADMEExplainsCaptures(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	k := proto.LoRaWANTestKeys
	for _, want := range []string{capture.ModbusUserDLT, capture.MQTTVersionOption, fmt.Sprintf("%X", k.NwkSKey), fmt.Sprintf("%X", k.AppSKey), "-pcap"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("the README does not say %s", want)
		}
	}
}
