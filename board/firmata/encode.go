package firmata

// The Append functions encode what a host sends a board (and, for the
// board emulator, what a board sends), appending to b.

// AppendVersionQuery asks for the protocol version (REPORT_VERSION alone).
func AppendVersionQuery(b []byte) []byte { return append(b, ReportVersion) }

// AppendVersion is a board's version report.
func AppendVersion(b []byte, major, minor byte) []byte {
	return append(b, ReportVersion, major&0x7F, minor&0x7F)
}

// AppendSysex appends a sysex message with body bytes (each must be 7-bit).
func AppendSysex(b []byte, cmd byte, body ...byte) []byte {
	b = append(b, StartSysex, cmd&0x7F)
	for _, x := range body {
		b = append(b, x&0x7F)
	}
	return append(b, EndSysex)
}

// AppendFirmwareQuery asks for the firmware's name and version.
func AppendFirmwareQuery(b []byte) []byte { return AppendSysex(b, ReportFirmware) }

// AppendFirmware is a board's firmware report: version, then the name
// with each character as two 7-bit bytes.
func AppendFirmware(b []byte, major, minor byte, name string) []byte {
	body := []byte{major, minor}
	for i := 0; i < len(name); i++ {
		body = append(body, name[i]&0x7F, name[i]>>7)
	}
	return AppendSysex(b, ReportFirmware, body...)
}

// AppendString is a string a board sends (STRING_DATA).
func AppendString(b []byte, s string) []byte {
	var body []byte
	for i := 0; i < len(s); i++ {
		body = append(body, s[i]&0x7F, s[i]>>7)
	}
	return AppendSysex(b, StringData, body...)
}

// AppendCapabilityQuery asks which modes each pin supports.
func AppendCapabilityQuery(b []byte) []byte { return AppendSysex(b, CapabilityQuery) }

// AppendCapabilities is a board's capability response.
func AppendCapabilities(b []byte, pins [][]Capability) []byte {
	var body []byte
	for _, p := range pins {
		for _, c := range p {
			body = append(body, byte(c.Mode), c.Resolution)
		}
		body = append(body, 0x7F)
	}
	return AppendSysex(b, CapabilityResponse, body...)
}

// AppendAnalogMappingQuery asks which pin is which analog channel.
func AppendAnalogMappingQuery(b []byte) []byte { return AppendSysex(b, AnalogMappingQuery) }

// AppendAnalogMapping is a board's analog mapping response: a channel or
// NoAnalog per pin.
func AppendAnalogMapping(b []byte, mapping []byte) []byte {
	return AppendSysex(b, AnalogMappingResponse, mapping...)
}

// AppendReportAnalog turns reporting of analog channel ch on or off.
func AppendReportAnalog(b []byte, ch int, on bool) []byte {
	return append(b, ReportAnalog|byte(ch&0x0F), bit(on))
}

// AppendReportDigital turns reporting of a digital port (8 pins) on or off.
func AppendReportDigital(b []byte, port int, on bool) []byte {
	return append(b, ReportDigital|byte(port&0x0F), bit(on))
}

// AppendSetPinMode sets a pin's mode.
func AppendSetPinMode(b []byte, pin int, m Mode) []byte {
	return append(b, SetPinMode, byte(pin)&0x7F, byte(m)&0x7F)
}

// AppendSetDigitalPin sets one output pin high or low
// (SET_DIGITAL_PIN_VALUE, protocol 2.5).
func AppendSetDigitalPin(b []byte, pin int, high bool) []byte {
	return append(b, SetDigitalPinValue, byte(pin)&0x7F, bit(high))
}

// AppendDigitalPort writes (or, from a board, reports) the 8 pins of a
// port at once, a bit per pin.
func AppendDigitalPort(b []byte, port int, value int) []byte {
	return append(b, DigitalMessage|byte(port&0x0F), byte(value&0x7F), byte(value>>7&0x7F))
}

// AppendAnalog reports an analog channel's value (a board's message).
func AppendAnalog(b []byte, ch int, value int) []byte {
	return append(b, AnalogMessage|byte(ch&0x0F), byte(value&0x7F), byte(value>>7&0x7F))
}

// AppendAnalogWrite sets a PWM duty or servo angle. Pins above 15 or
// values above 14 bits need EXTENDED_ANALOG, which this picks itself.
func AppendAnalogWrite(b []byte, pin int, value int) []byte {
	if pin <= 15 && value >= 0 && value <= 0x3FFF {
		return append(b, AnalogMessage|byte(pin), byte(value&0x7F), byte(value>>7&0x7F))
	}
	return AppendExtendedAnalog(b, pin, value)
}

// AppendExtendedAnalog writes an analog value to any pin with up to 21
// bits of value.
func AppendExtendedAnalog(b []byte, pin int, value int) []byte {
	body := []byte{byte(pin), byte(value & 0x7F), byte(value >> 7 & 0x7F)}
	if value > 0x3FFF {
		body = append(body, byte(value>>14&0x7F))
	}
	return AppendSysex(b, ExtendedAnalog, body...)
}

// AppendServoConfig attaches a servo to pin with its pulse range in
// microseconds (StandardFirmata also sets the pin to servo mode).
func AppendServoConfig(b []byte, pin int, minPulse, maxPulse int) []byte {
	return AppendSysex(b, ServoConfig, byte(pin), byte(minPulse&0x7F), byte(minPulse>>7&0x7F),
		byte(maxPulse&0x7F), byte(maxPulse>>7&0x7F))
}

// AppendSamplingInterval sets how often the board reports analog inputs.
func AppendSamplingInterval(b []byte, ms int) []byte {
	return AppendSysex(b, SamplingInterval, byte(ms&0x7F), byte(ms>>7&0x7F))
}

// AppendReset asks the board to reset its pins to their defaults.
func AppendReset(b []byte) []byte { return append(b, SystemReset) }

func bit(on bool) byte {
	if on {
		return 1
	}
	return 0
}
