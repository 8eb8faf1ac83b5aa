package render

import (
	"image/color"
	"math"

	"github.com/thingyard/thingyard/sim"
)

// Palette is every colour the world is drawn in. There are two, Dark and
// Light, the page's two themes; a text colour in either (Text, Muted, Off,
// Bad and the side colours, which name the sides and their links) keeps a
// contrast of at least 4.5:1 against Background, WCAG AA for text, and
// theme_test.go holds them to it.
type Palette struct {
	Background color.RGBA
	M2M, IoT   color.RGBA // the two sides: titles, icons, links, captions
	Other      color.RGBA // a third side
	Text       color.RGBA // device names
	Muted      color.RGBA // legend and hints
	Bad        color.RGBA // cut links, losses, the outage banner
	Off        color.RGBA // the name of a device switched off
	On         color.RGBA // an actuator that is on
	Panel      color.RGBA // tooltips and the network clouds
	IconBody   color.RGBA // the disc inside an icon's ring
	Ring       color.RGBA // the selection's focus ring
	// OffTint and OfflineTint scale an icon's colour (red, green, blue,
	// alpha) for a device switched off and one powered but cut off: the
	// dark theme darkens it, the light one fades it into the paper.
	OffTint, OfflineTint [4]float32
	// Protocols colour messages by protocol; the legend shows them.
	Protocols [maxProto]color.RGBA
}

// maxProto bounds the protocol and medium tables.
const maxProto = 16

func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

func protocols(m map[sim.Protocol]uint32) (t [maxProto]color.RGBA) {
	for p, v := range m {
		t[p] = rgb(v)
	}
	return t
}

// Dark is the dark theme: light lines on a night-blue ground.
var Dark = Palette{
	Background:  rgb(0x0f141c),
	M2M:         rgb(0xf2a93b),
	IoT:         rgb(0x4fc3f7),
	Other:       rgb(0xb39ddb),
	Text:        rgb(0xe6edf5),
	Muted:       rgb(0x8fa3bf),
	Bad:         rgb(0xff6b6b),
	Off:         rgb(0x8a95a4),
	On:          rgb(0x5dd39e),
	Panel:       rgb(0x1b2433),
	IconBody:    rgb(0x1b2433),
	Ring:        rgb(0xffffff),
	OffTint:     [4]float32{0.35, 0.35, 0.38, 1},
	OfflineTint: [4]float32{0.6, 0.6, 0.65, 1},
	Protocols: protocols(map[sim.Protocol]uint32{
		sim.ProtoModbusRTU: 0xf2a93b, sim.ProtoCAN: 0xff7a59, sim.ProtoMQTT: 0x4fc3f7, sim.ProtoCoAP: 0x7ed38f,
		sim.ProtoHTTP: 0xc58af9, sim.ProtoZigbee: 0xffe066, sim.ProtoBLE: 0x6f9cff, sim.ProtoLoRaWAN: 0xd7b48f,
	}),
}

// Light is the light theme, for a bright room and a projector: ink on
// paper, the sides in deep orange and deep blue, icons on white discs.
var Light = Palette{
	Background:  rgb(0xf5f6f8),
	M2M:         rgb(0xa04f00),
	IoT:         rgb(0x0a629a),
	Other:       rgb(0x6a4bb0),
	Text:        rgb(0x18202c),
	Muted:       rgb(0x4a5870),
	Bad:         rgb(0xc0262d),
	Off:         rgb(0x5b6574),
	On:          rgb(0x1d7f52),
	Panel:       rgb(0xffffff),
	IconBody:    rgb(0xffffff),
	Ring:        rgb(0x18202c),
	OffTint:     [4]float32{1, 1, 1, 0.35},
	OfflineTint: [4]float32{1, 1, 1, 0.6},
	Protocols: protocols(map[sim.Protocol]uint32{
		sim.ProtoModbusRTU: 0xc06000, sim.ProtoCAN: 0xd23c1e, sim.ProtoMQTT: 0x0a78c2, sim.ProtoCoAP: 0x24894a,
		sim.ProtoHTTP: 0x8d3fd0, sim.ProtoZigbee: 0x9c7a00, sim.ProtoBLE: 0x2f56d0, sim.ProtoLoRaWAN: 0x8a6436,
	}),
}

// Luminance is a colour's relative luminance as WCAG 2 defines it.
func Luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is the WCAG 2 contrast ratio of two colours, from 1 to 21.
func Contrast(a, b color.RGBA) float64 {
	la, lb := Luminance(a), Luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
