package plotter_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/thingyard/thingyard/board/plotter"
	"github.com/thingyard/thingyard/sim"
)

func TestLines(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"temp:21.5,light:300\n", "[{temp 21.5} {light 300}]"},
		{"21.5 300\r\n", "[{value1 21.5} {value2 300}]"},
		{"1\t2\t3\r", "[{value1 1} {value2 2} {value3 3}]"},
		{"x:-4.25e1\n", "[{x -42.5}]"},
	}
	for _, tt := range tests {
		var d plotter.Decoder
		got := d.Feed([]byte(tt.in))
		if len(got) != 1 || fmt.Sprint(got[0]) != tt.want {
			t.Errorf("%q: got %v, want %s", tt.in, got, tt.want)
		}
	}
}

// Bytes arrive in any pieces; garbage and huge lines are skipped without
// losing the lines around them.
func TestStreamSurvivesGarbage(t *testing.T) {
	stream := "temp:20\r\n" + "\xff\xfe garbage !!\n" + strings.Repeat("9", 5000) + "\n" + "temp:21\n" + "hello:world\n" + "temp:22\r\n" + "temp:2"
	var d plotter.Decoder
	var got []float64
	for i := 0; i < len(stream); i += 7 { // odd-sized chunks
		for _, rs := range d.Feed([]byte(stream[i:min(i+7, len(stream))])) {
			got = append(got, rs[0].Value)
		}
	}
	if fmt.Sprint(got) != "[20 21 22]" {
		t.Errorf("values %v, want [20 21 22]", got)
	}
	if d.Bad != 2 || d.Long != 1 || d.Lines != 3 {
		t.Errorf("bad %d long %d lines %d", d.Bad, d.Long, d.Lines)
	}
	// The partial "temp:2" completes with the next bytes.
	if rs := d.Feed([]byte("3\n")); len(rs) != 1 || rs[0][0].Value != 23 {
		t.Errorf("partial line: %v", rs)
	}
}

func FuzzFeed(f *testing.F) {
	f.Add([]byte("a:1,b:2\n3 4\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d plotter.Decoder
		for _, rs := range d.Feed(b) {
			if len(rs) == 0 || len(rs) > sim.MaxReadings {
				t.Fatalf("line of %d readings", len(rs))
			}
		}
	})
}

// Whatever arrives, split anywhere: the same readings, each valid for
// the world, and a decoder that never holds more than MaxLine.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte("temp:21.5,light:300\r\n21.5 300\n"))
	f.Add([]byte("x:1e308\nNaN\n:5\n" + strings.Repeat("9", plotter.MaxLine+1) + "\n1\n"))
	f.Add([]byte("\xF9\x02\x05temp:1\r"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var whole, bytewise plotter.Decoder
		a := whole.Feed(in)
		var b [][]sim.Reading
		for i := range in {
			b = append(b, bytewise.Feed(in[i:i+1])...)
		}
		if fmt.Sprint(a) != fmt.Sprint(b) || whole.Bad != bytewise.Bad || whole.Long != bytewise.Long {
			t.Fatalf("split changes the result: %v / %v", a, b)
		}
		for _, rs := range a {
			act := sim.Action{Kind: sim.ActReading, Device: "board", Readings: rs}
			if err := act.Check(); err != nil {
				t.Fatalf("a reading the world refuses: %v", err)
			}
		}
	})
}
