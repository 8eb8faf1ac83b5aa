package sim

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
)

// away is the axis along which side's devices lie from the other sides'
// (left or right, up or down: whichever separates them more), so a crowd
// added to the side grows away from the others instead of over them. It is
// 0, 0 when there is no other side to keep clear of.
func (w *World) away(side int) (ux, uy int32) {
	var sx, sy, sn, ox, oy, on int64
	for i := range w.devices {
		d := &w.devices[i]
		if d.removed {
			continue
		}
		if d.side == side {
			sx, sy, sn = sx+int64(d.x), sy+int64(d.y), sn+1
		} else {
			ox, oy, on = ox+int64(d.x), oy+int64(d.y), on+1
		}
	}
	if sn == 0 || on == 0 {
		return 0, 0
	}
	// Compare mean offsets without dividing: (sx/sn - ox/on) scaled by sn*on.
	dx, dy := sx*on-ox*sn, sy*on-oy*sn
	sign := func(v int64) int32 {
		if v < 0 {
			return -1
		}
		return 1
	}
	if abs64(dx) >= abs64(dy) {
		return sign(dx), 0
	}
	return 0, sign(dy)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// IconSize is a device's icon across, in world units, as the page draws
// it at a scale of one pixel per unit: devices nearer than this cover
// each other.
const IconSize = 36

// busGap is how far apart added drops of a bus stand, and busRow how many
// stand in one row.
const (
	busGap = 50
	busRow = 8
)

// placer says where each next device of one add action to link li goes,
// as the link and the sides stand before the action, never where it would
// cover something: another device, the name written under one, or a line
// the page draws from a hub to a member.
//
// A bus's new drops stand in rows of busRow beyond its existing drops, on
// the side away from the master, every other row shifted half a gap so
// each tap passes between the icons above it. A star's new members take
// the free places of a lattice around the hub, nearest first (a radio's
// range reaches the nearest), never reaching towards another side past
// this side's own edge, so the halves stay apart.
func (w *World) placer(li int32, side int) func() (int32, int32) {
	l := &w.links[li]
	hd := w.devices[l.members[0]]
	ux, uy := w.away(side)
	taken, onSide := w.taken(side, ux, uy)
	slot := func(at func(n int) (int32, int32)) func() (int32, int32) {
		n := 0
		return func() (int32, int32) {
			for {
				x, y := at(n)
				n++
				if onSide(x, y) && taken.free(x, y) {
					taken.device(x, y)
					return x, y
				}
			}
		}
	}
	if at := w.busRows(l, uy); at != nil {
		return slot(at)
	}
	var near lattice
	return slot(func(int) (int32, int32) {
		a, b := near.next(ux, uy)
		return hd.x + placeGap*a, hd.y + placeGap*b
	})
}

// taken is the room a device added to side must keep clear of, and
// whether a place lies on the side's own part of the world: not past its
// edge towards the others along ux, uy.
func (w *World) taken(side int, ux, uy int32) (taken *room, onSide func(x, y int32) bool) {
	taken = newRoom()
	// The side's edge towards the others, which a crowd does not cross.
	edge := int32(math.MaxInt32)
	if ux < 0 || uy < 0 {
		edge = math.MinInt32
	}
	for i := range w.devices {
		d := &w.devices[i]
		if d.removed {
			continue
		}
		taken.device(d.x, d.y)
		if d.label != "" && d.label != d.id {
			taken.name(d.x, d.y, len(d.label)) // a name someone gave it
		}
		if d.side == side {
			switch {
			case ux > 0:
				edge = min(edge, d.x)
			case ux < 0:
				edge = max(edge, d.x)
			case uy > 0:
				edge = min(edge, d.y)
			case uy < 0:
				edge = max(edge, d.y)
			}
		}
	}
	onSide = func(x, y int32) bool {
		switch {
		case ux > 0:
			return x >= edge
		case ux < 0:
			return x <= edge
		case uy > 0:
			return y >= edge
		case uy < 0:
			return y <= edge
		}
		return true
	}
	w.noteLines(taken)
	return taken, onSide
}

// noteLines notes in taken the lines the page draws from each star's hub
// to its members, and the clouds of internet and cellular stars.
func (w *World) noteLines(taken *room) {
	for k := range w.links {
		lk := &w.links[k]
		if lk.removed || len(lk.members) < 2 || lk.medium == MediumRS485 || lk.medium == MediumCAN {
			continue // a bus's trunk and taps run between its own drops
		}
		h := &w.devices[lk.members[0]]
		for _, m := range lk.members[1:min(len(lk.members), maxLines+1)] {
			taken.line(h.x, h.y, w.devices[m].x, w.devices[m].y)
		}
		if lk.medium == MediumInternet || lk.medium == MediumCellular {
			x, y := w.cloudAt(lk)
			taken.area(x-cloudW/2, y-cloudH/2, x+cloudW/2+captionW, y+cloudH/2)
		}
	}
}

// busRows is where the n-th new drop of bus l stands: in rows of busRow
// beyond its drops, away from the master. It is nil when l is no bus with
// drops, or when the rows would grow towards another side lying that way
// (uy): the lattice serves instead.
func (w *World) busRows(l *link, uy int32) func(n int) (int32, int32) {
	if (l.medium != MediumRS485 && l.medium != MediumCAN) || len(l.members) < 2 {
		return nil
	}
	hd := &w.devices[l.members[0]]
	// Drops below the master grow downwards, drops above it upwards.
	var sumX, sumY int64
	far := w.devices[l.members[1]].y
	for _, m := range l.members[1:] {
		sumX, sumY = sumX+int64(w.devices[m].x), sumY+int64(w.devices[m].y)
	}
	drops := int64(len(l.members) - 1)
	dir := int32(1)
	if sumY < int64(hd.y)*drops {
		dir = -1
	}
	for _, m := range l.members[1:] {
		if y := w.devices[m].y; y*dir > far*dir {
			far = y
		}
	}
	if uy != 0 && uy != dir {
		return nil
	}
	cx := int32(sumX / drops)
	return func(n int) (int32, int32) {
		row, col := int32(n/busRow), int32(n%busRow)
		x := cx - busGap*(busRow-1)/2 + busGap*col
		if row%2 == 1 {
			x += busGap / 2
		}
		return x, far + dir*busGap*(row+1)
	}
}

// The page draws an internet or cellular star as a cloud on its lines,
// about cloudW by cloudH units, named to its right in about captionW.
const (
	cloudW   = 72
	cloudH   = 48
	captionW = 80
)

// cloudAt is where the page draws a network's cloud, as its CloudAt
// does: halfway from the hub to its members' centre, or, when they stand
// all around the hub, above it.
func (w *World) cloudAt(l *link) (x, y int32) {
	h := &w.devices[l.members[0]]
	var sx, sy, sd int64
	n := int64(len(l.members) - 1)
	for _, m := range l.members[1:] {
		dx, dy := int64(w.devices[m].x-h.x), int64(w.devices[m].y-h.y)
		sx, sy, sd = sx+dx, sy+dy, sd+isqrt(uint64(dx*dx+dy*dy))
	}
	cx, cy := sx/n, sy/n // the members' centre, from the hub
	if 2*isqrt(uint64(cx*cx+cy*cy)) < sd/n {
		return h.x, h.y - (IconSize/2 + cloudH)
	}
	return h.x + int32(cx/2), h.y + int32(cy/2)
}

// isqrt is the integer square root, the same on every platform.
func isqrt(v uint64) int64 {
	if v == 0 {
		return 0
	}
	r := uint64(math.Sqrt(float64(v))) // a guess; corrected exactly below
	for r*r > v {
		r--
	}
	for (r+1)*(r+1) <= v {
		r++
	}
	return int64(r)
}

// maxLines is how many members of a link get a line to its hub drawn all
// the way (the page's maxSpokes): the rest of a crowd gets a stub.
const maxLines = 48

// placeGap is the step of the lattice added star members stand on, and
// the least distance between an added device and any other (default 40:
// an icon and a little air).
const placeGap = 40

// Where a device's name is written, in world units from its centre:
// below the icon, nameH high and about nameChar a character wide. The page
// writes names at a fixed size in pixels, so a world shown smaller than
// one pixel a unit needs more units for them: these leave room down to
// about two thirds of a pixel a unit, which a crowd of a hundred beside a
// scene is fitted at.
const (
	nameTop  = IconSize/2 + 2
	nameH    = 26
	nameChar = 11
)

// room is what a new device must keep clear of: where devices stand and
// where their names are written, binned roomBin units square so that
// whether a place is free is a few lookups.
type room struct {
	devs  map[[2]int32][][2]int32
	areas map[[2]int32][][4]int32 // names and clouds: x0, y0, x1, y1
	lines map[[2]int32][][4]int32 // x0, y0, x1, y1
}

const roomBin = 64

func newRoom() *room {
	return &room{devs: map[[2]int32][][2]int32{}, areas: map[[2]int32][][4]int32{}, lines: map[[2]int32][][4]int32{}}
}

func binOf(v int32) int32 {
	if v < 0 {
		return (v - roomBin + 1) / roomBin
	}
	return v / roomBin
}

// device notes a device standing at x, y.
func (r *room) device(x, y int32) {
	k := [2]int32{binOf(x), binOf(y)}
	r.devs[k] = append(r.devs[k], [2]int32{x, y})
}

// name notes the name of n characters written under the device at x, y.
func (r *room) name(x, y int32, n int) {
	hw := int32(min(n, 64)*nameChar/2 + 4)
	r.area(x-hw, y+nameTop, x+hw, y+nameTop+nameH)
}

// area notes a box x0..x1, y0..y1 drawn on: a name, a network's cloud.
func (r *room) area(x0, y0, x1, y1 int32) {
	b := [4]int32{x0, y0, x1, y1}
	for bx := binOf(b[0]); bx <= binOf(b[2]); bx++ {
		for by := binOf(b[1]); by <= binOf(b[3]); by++ {
			k := [2]int32{bx, by}
			r.areas[k] = append(r.areas[k], b)
		}
	}
}

// line notes a line drawn from x0, y0 to x1, y1, in every bin it crosses.
func (r *room) line(x0, y0, x1, y1 int32) {
	seg := [4]int32{x0, y0, x1, y1}
	// Walk the line in steps shorter than a bin, noting each bin once.
	n := max(abs32(x1-x0), abs32(y1-y0))/(roomBin/2) + 1
	var last [2]int32
	for i := int32(0); i <= n; i++ {
		x := x0 + int32(int64(x1-x0)*int64(i)/int64(n))
		y := y0 + int32(int64(y1-y0)*int64(i)/int64(n))
		k := [2]int32{binOf(x), binOf(y)}
		if i > 0 && k == last {
			continue
		}
		last = k
		if l := r.lines[k]; len(l) == 0 || l[len(l)-1] != seg {
			r.lines[k] = append(l, seg)
		}
	}
}

// free reports whether a device at x, y would stand placeGap or more from
// every device, and whether its icon would keep off every name and line.
func (r *room) free(x, y int32) bool {
	bx, by := binOf(x), binOf(y)
	for dx := int32(-1); dx <= 1; dx++ {
		for dy := int32(-1); dy <= 1; dy++ {
			k := [2]int32{bx + dx, by + dy}
			for _, p := range r.devs[k] {
				if ddx, ddy := int64(p[0]-x), int64(p[1]-y); ddx*ddx+ddy*ddy < placeGap*placeGap {
					return false
				}
			}
			for _, b := range r.areas[k] {
				const q = IconSize / 2
				if x > b[0]-q && x < b[2]+q && y > b[1]-q && y < b[3]+q {
					return false
				}
			}
			for _, s := range r.lines[k] {
				if nearLine(x, y, s, IconSize/2+2) {
					return false
				}
			}
		}
	}
	return true
}

// nearLine reports whether x, y is within d of the segment s, in integer
// maths so every platform places devices alike.
func nearLine(x, y int32, s [4]int32, d int64) bool {
	ax, ay := int64(s[0]), int64(s[1])
	dx, dy := int64(s[2])-ax, int64(s[3])-ay
	px, py := int64(x)-ax, int64(y)-ay
	l2 := dx*dx + dy*dy
	t := px*dx + py*dy // the projection, times l2
	switch {
	case l2 == 0 || t <= 0:
		return px*px+py*py <= d*d
	case t >= l2:
		ex, ey := px-dx, py-dy
		return ex*ex+ey*ey <= d*d
	}
	// The distance squared is cross²/l2; compare cross² with d²·l2, in
	// 128 bits since cross² may not fit in 64.
	cross := uint64(abs64(px*dy - py*dx))
	hi, lo := bits.Mul64(cross, cross)
	return hi == 0 && lo <= uint64(d*d*l2)
}

// lattice hands out the points a, b of the integer lattice, leaving out
// 0, 0, nearest first; among points equally near, those furthest along
// ux, uy first, then by b and a. Points come a square shell at a time:
// every point of shell k+1 is at least k+1 away, so the points of the
// shells so far that are no further than that are in their final order.
type lattice struct {
	k     int32      // shells 1..k are in pts or handed out
	pts   [][2]int32 // waiting, in order
	next0 int
}

func (l *lattice) next(ux, uy int32) (int32, int32) {
	for {
		if l.next0 < len(l.pts) {
			p := l.pts[l.next0]
			if d := int64(p[0])*int64(p[0]) + int64(p[1])*int64(p[1]); d <= int64(l.k+1)*int64(l.k+1) {
				l.next0++
				return p[0], p[1]
			}
		}
		// Add shell k+1 and order what waits.
		l.pts = append(l.pts[:0], l.pts[l.next0:]...)
		l.next0 = 0
		l.k++
		k := l.k
		for a := -k; a <= k; a++ {
			for b := -k; b <= k; b++ {
				if max(abs32(a), abs32(b)) == k {
					l.pts = append(l.pts, [2]int32{a, b})
				}
			}
		}
		slices.SortFunc(l.pts, func(p, q [2]int32) int {
			dp := int64(p[0])*int64(p[0]) + int64(p[1])*int64(p[1])
			dq := int64(q[0])*int64(q[0]) + int64(q[1])*int64(q[1])
			if c := cmp.Compare(dp, dq); c != 0 {
				return c
			}
			if c := cmp.Compare(q[0]*ux+q[1]*uy, p[0]*ux+p[1]*uy); c != 0 {
				return c
			}
			if c := cmp.Compare(p[1], q[1]); c != 0 {
				return c
			}
			return cmp.Compare(p[0], q[0])
		})
	}
}
