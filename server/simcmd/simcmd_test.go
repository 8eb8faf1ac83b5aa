package simcmd

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/capture"
)

// thingyard sim -pcap writes a pcapng file of the run, leaves the numbers
// on stdout as they were (the same state hash: watching changes nothing),
// and says on stderr how many frames it wrote and the options that open
// them, the LoRaWAN keys of each device included.
func TestSimPcap(t *testing.T) {
	file := filepath.Join(t.TempDir(), "standards.pcapng")
	args := []string{"-scene", "standards", "-seconds", "5", "-json"}
	var plain, out, errb bytes.Buffer
	if err := Sim(args, &plain, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := Sim(append(args, "-pcap", file), &out, &errb); err != nil {
		t.Fatalf("sim -pcap: %v (%s)", err, errb.String())
	}
	var a, b struct{ Hash string }
	if json.Unmarshal(plain.Bytes(), &a) != nil || json.Unmarshal(out.Bytes(), &b) != nil || a.Hash == "" || a.Hash != b.Hash {
		t.Errorf("stdout without -pcap %q, with %q", plain.String(), out.String())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 28 || binary.LittleEndian.Uint32(data) != 0x0A0D0D0A || binary.LittleEndian.Uint32(data[8:]) != 0x1A2B3C4D {
		t.Fatalf("%s does not start with a pcapng section header: % X", file, data[:min(len(data), 28)])
	}
	m := regexp.MustCompile(`wrote (\d+) frames to (\S+);`).FindStringSubmatch(errb.String())
	if m == nil || m[2] != file {
		t.Fatalf("stderr %q", errb.String())
	}
	if n, _ := strconv.Atoi(m[1]); n < 100 || bytes.Count(data, []byte{6, 0, 0, 0}) < n {
		t.Errorf("%s frames in %d bytes", m[1], len(data))
	}
	for _, want := range []string{capture.ModbusUserDLT, capture.MQTTVersionOption, capture.LoRaWANKeysOption(0x2600000B, "4.0"), capture.LoRaWANKeysOption(0x2600000B, "")} {
		if !strings.Contains(errb.String(), "'"+want+"'") {
			t.Errorf("stderr does not give -o '%s':\n%s", want, errb.String())
		}
	}

	if err := Sim([]string{"-scene", "standards", "-pcap", filepath.Join(file, "x")}, &out, &errb); err == nil || !strings.Contains(err.Error(), "-pcap") {
		t.Errorf("an unwritable -pcap: %v", err)
	}
}

func TestSimCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Sim([]string{"-scene", "internet-outage", "-seconds", "30", "-json"}, &out, &errb); err != nil {
		t.Fatalf("sim: %v (%s)", err, errb.String())
	}
	var res struct {
		Scene, Hash string
		Seed        uint64
		Ticks       int64
		Sides       map[string]struct{ Devices, Delivered int64 }
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if res.Scene != "internet-outage" || res.Ticks != 30000 || len(res.Hash) != 16 || res.Sides["m2m"].Delivered == 0 || res.Sides["iot"].Devices == 0 {
		t.Errorf("result %+v", res)
	}

	// A link printed by thingyard link runs to the same hash.
	out.Reset()
	if err := Link([]string{"-scene", "internet-outage"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(out.String())
	out.Reset()
	if err := Sim([]string{"-link", link, "-seconds", "30", "-json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), res.Hash) {
		t.Errorf("the link ran to another state:\n%s", out.String())
	}
}

func TestSimCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("devices:\n  - {id: a, kind: toaster}\n"), 0o644)
	acts := filepath.Join(dir, "acts.json")
	os.WriteFile(acts, []byte(`[{"kind":"explode"}]`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-scene", "nowhere"}, "built-ins: overview"},
		{[]string{"-scene", bad}, "bad.yaml:2:19: devices[0].kind"},
		{[]string{"-actions", acts}, "action 1"},
		{[]string{"-link", "http://x/#s=1garbage"}, "damaged"},
	} {
		var out, errb bytes.Buffer
		err := Sim(tt.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
