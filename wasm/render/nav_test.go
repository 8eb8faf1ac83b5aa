package render

import (
	"strings"
	"testing"
)

// grid reads devices from a text picture, one letter a device, a cell (a
// character; spaces only space them out) 10 pixels wide and 10 high: the
// letters, and where each is.
func grid(t *testing.T, pic string) (names []byte, xs, ys []float64) {
	t.Helper()
	for row, line := range strings.Split(strings.Trim(pic, "\n"), "\n") {
		for col, ch := range strings.ReplaceAll(line, " ", "") {
			if ch >= 'a' && ch <= 'z' {
				names = append(names, byte(ch))
				xs, ys = append(xs, float64(col*10)), append(ys, float64(row*10))
			}
		}
	}
	return names, xs, ys
}

func TestNearest(t *testing.T) {
	const world = `
a . . . b . . . c
. . . . . d . . .
. . . . . . . . .
e . . . s . . f .
. . . . . . . . .
. . g . . . . . h
. . . . i . . . .`
	names, xs, ys := grid(t, world)
	self := strings.IndexByte(string(names), 's')
	tests := []struct {
		dir  Direction
		want byte // 0: none
	}{
		{Left, 'e'},  // straight along the row, though g is nearly as close
		{Right, 'f'}, // the nearest on the row
		{Up, 'd'},    // up and one column over beats b, two rows further
		{Down, 'i'},  // i is straight below; g is as far down but off to the side
	}
	for _, tt := range tests {
		got := Nearest(tt.dir, xs[self], ys[self], xs, ys, self)
		if got < 0 || names[got] != tt.want {
			g := "none"
			if got >= 0 {
				g = string(names[got])
			}
			t.Errorf("from s going %d: got %s, want %c", tt.dir, g, tt.want)
		}
	}
}

func TestNearestNoneThatWay(t *testing.T) {
	names, xs, ys := grid(t, `
a . . b
. . . .
. . c .`)
	from := strings.IndexByte(string(names), 'a')
	for _, d := range []Direction{Left, Up} {
		if got := Nearest(d, xs[from], ys[from], xs, ys, from); got != -1 {
			t.Errorf("going %d from the top left corner chose %c, want none", d, names[got])
		}
	}
	// c is 45° down and to the right of a: both arrows reach it, b only
	// to the right.
	if got := Nearest(Down, xs[from], ys[from], xs, ys, from); got < 0 || names[got] != 'c' {
		t.Errorf("going down from a chose %v, want c", got)
	}
	if got := Nearest(Right, xs[from], ys[from], xs, ys, from); got < 0 || names[got] != 'b' {
		t.Errorf("going right from a chose %v, want b", got)
	}
}

func TestClosest(t *testing.T) {
	names, xs, ys := grid(t, `
a . . .
. . . b
. . . .`)
	if got := Closest(25, 12, xs, ys); got < 0 || names[got] != 'b' {
		t.Errorf("closest to (25, 12) = %v, want b", got)
	}
	if got := Closest(0, 0, nil, nil); got != -1 {
		t.Errorf("closest of none = %d, want -1", got)
	}
}
