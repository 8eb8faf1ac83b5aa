package ui

import (
	"strconv"

	"github.com/vugu/vugu"
)

// tab is one of the panels a phone shows one at a time.
type tab struct{ ID, Label string }

// tabs are the phone's panels; on a wider screen they are all shown.
var tabs = []tab{{"lesson", "Lesson"}, {"controls", "Controls"}, {"inspector", "Inspector"}, {"share", "Share"}}

func (c *Root) tabs() []tab { return tabs }

// activeTab is the panel a phone shows.
func (c *Root) activeTab() string {
	if c.tab == "" {
		return "lesson"
	}
	return c.tab
}

// uiClass is the class of the panel's root. It is read first in every
// render, so it is where a new selection in the world turns a phone's
// sheet to the inspector.
func (c *Root) uiClass() string {
	if c.Model.Reveal != c.tabReveal {
		c.tabReveal = c.Model.Reveal
		c.tab = "inspector"
	}
	if c.Model.WorldOnly {
		return "ty-ui ty-world-only"
	}
	return "ty-ui"
}

// tabClass is the class of a part of the panel that belongs to tab id: it
// is hidden on a phone while another tab is shown.
func (c *Root) tabClass(base, id string) string {
	if id != c.activeTab() {
		return base + " ty-off"
	}
	return base
}

// ShowTab turns a phone's sheet to a panel.
func (c *Root) ShowTab(_ vugu.DOMEvent, id string) { c.tab = id }

// ToggleLesson shows or hides the lesson over the world alone.
func (c *Root) ToggleLesson(vugu.DOMEvent) { c.lessonOpen = !c.lessonOpen }

// CopyEmbed makes the iframe element that shows this world in a course
// page, and copies it.
func (c *Root) CopyEmbed(vugu.DOMEvent) { c.Send(EmbedCode{}) }

// SavePicture downloads a picture of the world.
func (c *Root) SavePicture(vugu.DOMEvent) { c.Send(Picture{}) }

// Record starts recording a clip of the world, or stops and downloads it.
func (c *Root) Record(vugu.DOMEvent) { c.Send(Record{}) }

// recordText is how long the clip being recorded is and how big, or what
// became of the last picture or clip.
func (c *Root) recordText() string {
	if !c.Model.Recording {
		return c.Model.PictureNote
	}
	return "Recording " + clockText(c.Model.RecordMs) + " · " + SizeText(c.Model.RecordBytes)
}

// clockText is a duration as m:ss.
func clockText(ms int64) string {
	s := ms / 1000
	return strconv.FormatInt(s/60, 10) + ":" + strconv.FormatInt(s%60/10, 10) + strconv.FormatInt(s%10, 10)
}

// SizeText is a number of bytes as people read it: 980 KB, 1.4 MB.
func SizeText(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1_000_000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}
