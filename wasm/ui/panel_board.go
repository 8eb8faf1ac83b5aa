// The real board panel: speed, protocol, Modbus RTU settings, sending.

package ui

import (
	"strconv"

	"github.com/vugu/vugu"
	"github.com/vugu/vugu/js"
)

func (c *Root) bauds() []string { return itoas(Bauds) }

func (c *Root) baudText() string {
	if c.baud == 0 {
		return "115200"
	}
	return strconv.Itoa(c.baud)
}

func (c *Root) open() string { return "open" }

// SetBaud chooses the board's speed.
func (c *Root) SetBaud(e vugu.DOMEvent) { c.baud, _ = strconv.Atoi(e.PropString("target", "value")) }

// ConnectBoard asks the browser for a serial port, unless a Modbus RTU
// setting is wrong (the panel says which).
func (c *Root) ConnectBoard(vugu.DOMEvent) {
	ch := BoardChoice{Protocol: c.protocolText()}
	ch.Baud, _ = strconv.Atoi(c.baudText())
	if ch.Protocol == "modbus" && ParseModbus(c.modbusTexts(), &ch) != nil {
		return
	}
	c.Connect(ch)
}

func (c *Root) modbusFields() []ModbusField { return ModbusFields[:] }

// modbusTexts are the Modbus RTU settings as typed, the defaults until
// the person types.
func (c *Root) modbusTexts() [4]string {
	var t [4]string
	for i, f := range ModbusFields {
		t[i] = f.Default
		if c.modbus[i] != nil {
			t[i] = *c.modbus[i]
		}
	}
	return t
}

func (c *Root) modbusText(i int) string { return c.modbusTexts()[i] }

// SetModbus keeps a Modbus RTU setting as the person types it.
func (c *Root) SetModbus(e vugu.DOMEvent, i int) {
	v := e.PropString("target", "value")
	c.modbus[i] = &v
}

// modbusNote says what the Modbus RTU settings will do.
func (c *Root) modbusNote() string {
	var ch BoardChoice
	if ParseModbus(c.modbusTexts(), &ch) != nil {
		return ""
	}
	regs := "register " + strconv.Itoa(ch.Register)
	names := "hr" + strconv.Itoa(ch.Register)
	if ch.Count > 1 {
		last := strconv.Itoa(ch.Register + ch.Count - 1)
		regs = "registers " + strconv.Itoa(ch.Register) + " to " + last
		names += " to hr" + last
	}
	return "Reads holding " + regs + " of slave " + strconv.Itoa(ch.Slave) + " twice a second (readings " + names +
		"); on and off write coil " + strconv.Itoa(ch.Coil) + "."
}

// modbusError says what is wrong with the Modbus RTU settings, or "".
func (c *Root) modbusError() string {
	if c.protocolText() != "modbus" {
		return ""
	}
	if err := ParseModbus(c.modbusTexts(), new(BoardChoice)); err != nil {
		return err.Error()
	}
	return ""
}

func (c *Root) protocols() []string { return BoardProtocols }

func (c *Root) protocolText() string {
	if c.protocol == "" {
		return "auto"
	}
	return c.protocol
}

func (c *Root) protocolLabel(p string) string {
	switch p {
	case "auto":
		return "find out"
	case "plotter":
		return "plotter lines"
	case "firmata":
		return "StandardFirmata"
	}
	return "Modbus RTU"
}

// SetProtocol chooses what the board speaks; StandardFirmata brings its
// baud rate along unless one was chosen.
func (c *Root) SetProtocol(e vugu.DOMEvent) {
	c.protocol = e.PropString("target", "value")
	if c.protocol == "firmata" && c.baud == 0 {
		c.baud = 57600
	}
}

func (c *Root) boardState() string {
	b := c.Model.Board
	switch b.State {
	case "open":
		s := "Connected"
		if b.Protocol != "" {
			s += " (" + protocolName(b.Protocol) + ")"
		}
		if b.Device != "" {
			s += ", driving " + b.Device
		}
		s += " · " + strconv.Itoa(b.Lines) + " readings"
		if b.Last != "" {
			s += " · last " + b.Last
		}
		return s
	case "detecting":
		return "Connected; finding out what the board speaks…"
	case "unplugged":
		return "Board unplugged: the device shows as offline. Plug it back in: it reconnects by itself (or press Connect a board)."
	case "closed":
		return "Not connected: " + b.Detail
	}
	return "Error: " + b.Detail
}

func protocolName(p string) string {
	switch p {
	case "plotter":
		return "plotter lines"
	case "firmata":
		return "StandardFirmata"
	case "modbus":
		return "Modbus RTU"
	}
	return p
}

// EditSend keeps the text to send as the person types.
func (c *Root) EditSend(e vugu.DOMEvent) { c.sendText = e.PropString("target", "value") }

// SendToBoard writes a line to the board.
func (c *Root) SendToBoard(vugu.DOMEvent) {
	text := c.sendText
	if in := js.Global().Get("document").Call("getElementById", "board-send"); in.Truthy() {
		text = in.Get("value").String()
	}
	c.Send(SendBoard{Text: text + "\n"})
}
