// Package plotter reads the Arduino Serial Plotter's line format, which
// most sketches, MakeCode and MicroPython programs already print: one line
// of numbers per sample, separated by commas, spaces or tabs, each
// optionally labelled as label:value.
//
//	temp:21.5,light:300
//	21.5 300
//
// The decoder is fed bytes as they arrive (any split across lines is
// fine) and never loses the stream: a partial line waits for the rest, CR,
// LF and CRLF all end a line, a garbled line is counted and skipped, and an
// absurdly long line is dropped up to its end.
package plotter

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/thingyard/thingyard/sim"
)

// MaxLine is the longest line kept; longer ones are dropped.
const MaxLine = 1024

// Decoder turns a byte stream into readings.
type Decoder struct {
	buf      []byte
	skipping bool // inside a line that grew past MaxLine
	names    []string

	// Lines, Bad and Long count what was seen, for the serial console.
	Lines, Bad, Long int
}

// Feed adds bytes and returns the readings of every line they complete.
func (d *Decoder) Feed(p []byte) [][]sim.Reading {
	var out [][]sim.Reading
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			d.add(p)
			break
		}
		d.add(p[:i])
		p = p[i+1:]
		if d.skipping {
			d.skipping = false
			d.buf = d.buf[:0]
			continue
		}
		line := d.buf
		d.buf = d.buf[:0]
		if len(bytes.TrimSpace(line)) == 0 {
			continue // the LF of a CRLF, or a blank line
		}
		if rs, ok := d.parse(string(line)); ok {
			d.Lines++
			out = append(out, rs)
		} else {
			d.Bad++
		}
	}
	return out
}

func (d *Decoder) add(p []byte) {
	if d.skipping {
		return
	}
	if len(d.buf)+len(p) > MaxLine {
		d.skipping = true
		d.Long++
		d.buf = d.buf[:0]
		return
	}
	d.buf = append(d.buf, p...)
}

// parse reads one line; unlabelled values are named value1, value2… by
// position, so a name always means the same column.
func (d *Decoder) parse(line string) ([]sim.Reading, bool) {
	fields := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
	if len(fields) == 0 || len(fields) > sim.MaxReadings {
		return nil, false
	}
	rs := make([]sim.Reading, 0, len(fields))
	for i, f := range fields {
		name, val, labelled := strings.Cut(f, ":")
		if !labelled {
			name, val = "value"+strconv.Itoa(i+1), f
		}
		name = strings.TrimSpace(name)
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || name == "" || len(name) > 32 || v != v || v > 1e15 || v < -1e15 {
			return nil, false
		}
		rs = append(rs, sim.Reading{Name: name, Value: v})
	}
	return rs, true
}
