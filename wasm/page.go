//go:build js && wasm

package main

import (
	"math"
	"strconv"
	"syscall/js"
)

// fitWorldArea makes the world's area on a phone held upright as tall as
// the world fitted to its width needs (within minWorldH and maxWorldShare
// of the window), so the world fills the top of the screen with no band
// above or below, and the panels' sheet gets the rest.
func (a *app) fitWorldArea() {
	if a.c.Model().WorldOnly || !a.phone.Truthy() || !a.phone.Get("matches").Bool() {
		return
	}
	win := js.Global()
	want := a.r.WantHeight(a.c.View(), win.Get("innerWidth").Float())
	if want <= 0 {
		return
	}
	want = math.Round(math.Max(minWorldH, math.Min(want, maxWorldShare*win.Get("innerHeight").Float())))
	if want == a.worldH {
		return
	}
	a.worldH = want
	win.Get("document").Get("documentElement").Get("style").Call("setProperty", "--world-fit", strconv.Itoa(int(want))+"px")
}

// The world's area on an upright phone is at least minWorldH CSS pixels
// tall (200) and at most maxWorldShare of the window (0.62).
const (
	minWorldH     = 200
	maxWorldShare = 0.62
)
