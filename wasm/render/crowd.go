//go:build js && wasm

package render

// A crowd of messages: at 10,000 devices over a thousand are in flight at
// once, most of them over one another near their broker. Each is then
// drawn as its dot alone, without the glow around it (which in a crowd
// only tints the crowd, and costs four times the dot's pixels), and a dot
// is left out where one is already drawn within the same couple of pixels.
// A crowd begins above crowdFrom messages drawn in a frame and ends below
// crowdTo, so a count hovering near one figure does not make the glows
// flicker.
const (
	crowdFrom = 300
	crowdTo   = 200
	crowdCell = 2 // device pixels a side of a cell that holds one dot
)

// msgCrowd tells a frame's messages apart from a crowd of them.
type msgCrowd struct {
	on          bool     // this frame's messages are a crowd
	drawn, last int      // messages drawn in this frame and the last
	cols, rows  int      // the grid of cells over the screen
	taken       []uint64 // a bit per cell that holds a dot in this frame
}

// begin starts a frame on a w × h screen of the given device pixel ratio.
func (c *msgCrowd) begin(w, h, dpr float64) {
	c.last, c.drawn = c.drawn, 0
	switch {
	case !c.on && c.last > crowdFrom:
		c.on = true
	case c.on && c.last < crowdTo:
		c.on = false
	}
	if !c.on {
		return
	}
	s := crowdCell * dpr
	c.cols, c.rows = int(w/s)+1, int(h/s)+1
	n := (c.cols*c.rows + 63) / 64
	if cap(c.taken) < n {
		c.taken = make([]uint64, n)
	}
	c.taken = c.taken[:n]
	clear(c.taken)
}

// take reports whether a dot at x, y on screen is to be drawn, and marks
// its cell: false when a dot of this frame is already in it.
func (c *msgCrowd) take(x, y, dpr float64) bool {
	s := crowdCell * dpr
	i, j := int(x/s), int(y/s)
	if i < 0 || j < 0 || i >= c.cols || j >= c.rows {
		return true
	}
	k := j*c.cols + i
	if c.taken[k/64]&(1<<(k%64)) != 0 {
		return false
	}
	c.taken[k/64] |= 1 << (k % 64)
	return true
}
