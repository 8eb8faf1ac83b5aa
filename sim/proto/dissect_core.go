package proto

import "fmt"

// Field is one decoded field of a frame, for the inspector: the bytes at
// Offset..Offset+Len and what they mean. Len 0 marks a derived value (a
// computed CRC, a bit count) that has no bytes of its own.
type Field struct {
	Name        string
	Offset, Len int
	Value       string // human-readable, e.g. "0x03 read holding registers"
}

// dissector collects fields while a decoder walks a frame. Decoders take a
// *dissector that is nil on the fast path; every call site checks for nil
// before formatting so decoding allocates nothing when no one inspects.
type dissector struct{ fields []Field }

func (d *dissector) add(name string, off, n int, format string, args ...any) {
	d.fields = append(d.fields, Field{Name: name, Offset: off, Len: n, Value: fmt.Sprintf(format, args...)})
}

// printable renders b for a Value: as a quoted string when it is text,
// else as hex, shortened past 64 bytes.
func printable(b []byte) string {
	const max = 64
	text := true
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c >= 0x7F {
			text = false
			break
		}
	}
	cut := ""
	if len(b) > max {
		b, cut = b[:max], fmt.Sprintf("… (%d bytes)", len(b))
	}
	if text {
		return fmt.Sprintf("%q%s", b, cut)
	}
	return fmt.Sprintf("% X%s", b, cut)
}
