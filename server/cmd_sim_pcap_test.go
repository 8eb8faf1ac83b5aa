package main

import (
	"bytes"
	"context"
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
	args := []string{"sim", "-scene", "standards", "-seconds", "5", "-json"}
	var plain, out, errb bytes.Buffer
	if err := run(context.Background(), args, &plain, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), append(args, "-pcap", file), &out, &errb); err != nil {
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

	if err := run(context.Background(), []string{"sim", "-scene", "standards", "-pcap", filepath.Join(file, "x")}, &out, &errb); err == nil || !strings.Contains(err.Error(), "-pcap") {
		t.Errorf("an unwritable -pcap: %v", err)
	}
}
