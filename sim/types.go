// Package sim is Thingyard's world: a pure, deterministic model of devices,
// links and protocols in which the differences between the Internet of Things
// and Machine-to-Machine communication come out of the mechanics, not out of
// captions.
//
// Time moves in fixed ticks of TickMicros. All state is integer (positions,
// times in microseconds, values in thousandths), and the only randomness is
// the world's own seeded generator, so the same Spec, seed and ordered
// actions give the same Hash on every platform, natively and in WebAssembly.
// That is what makes a share link reproduce a scenario and keeps the browsers
// of a live room in agreement without the server running the simulation.
package sim

import (
	"fmt"
	"strings"
)

// TickMicros is the length of one tick in simulated microseconds. One
// millisecond resolves a Modbus RTU frame at 9600 baud (about 9 ms) while
// keeping the tick count of a ten-minute lesson small.
const TickMicros = 1000

// Kind is what a device is.
type Kind uint8

// The device kinds.
const (
	KindSensor     Kind = iota + 1 // samples a value at a period
	KindActuator                   // acts on commands (valve, lamp, motor)
	KindController                 // a PLC: polls its bus and decides locally
	KindGateway                    // translates one standard into another and forwards
	KindBroker                     // a broker or cloud service: routes publish/subscribe, may decide
	KindApp                        // a phone or dashboard: shows readings and commands
	KindBoard                      // a real board whose readings arrive from outside
	kindEnd
)

var kindNames = [...]string{"", "sensor", "actuator", "controller", "gateway", "broker", "app", "board"}

func (k Kind) String() string {
	if k == 0 || k >= kindEnd {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Kinds lists every device kind in order, for pickers and error messages.
func Kinds() []Kind {
	ks := make([]Kind, 0, kindEnd-1)
	for k := KindSensor; k < kindEnd; k++ {
		ks = append(ks, k)
	}
	return ks
}

// ParseKind accepts a kind's name; "plc" and "cloud" are accepted aliases.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(s) {
	case "plc":
		return KindController, nil
	case "cloud":
		return KindBroker, nil
	case "dashboard", "phone":
		return KindApp, nil
	}
	for k := KindSensor; k < kindEnd; k++ {
		if kindNames[k] == strings.ToLower(s) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownKind, s, joinNames(kindNames[1:]))
}

// Medium is the physical or logical channel a link uses. A device's
// standards are the media it has a port or radio for.
type Medium uint8

// The media.
const (
	MediumRS232    Medium = iota + 1 // point-to-point serial
	MediumRS485                      // multidrop serial bus, one master polling in turn
	MediumCAN                        // multi-master bus, arbitration by identifier
	MediumZigbee                     // IEEE 802.15.4 mesh radio, 250 kbit/s
	MediumBLE                        // Bluetooth Low Energy
	MediumLoRaWAN                    // long range, low rate radio
	MediumWiFi                       // IEEE 802.11
	MediumEthernet                   // wired LAN
	MediumInternet                   // a WAN uplink: RTT and jitter
	MediumCellular                   // LTE-M / NB-IoT / 4G
	mediumEnd
)

var mediumNames = [...]string{"", "rs232", "rs485", "can", "zigbee", "ble", "lorawan", "wifi", "ethernet", "internet", "cellular"}

func (m Medium) String() string {
	if m == 0 || m >= mediumEnd {
		return fmt.Sprintf("medium(%d)", uint8(m))
	}
	return mediumNames[m]
}

// Media lists every medium in order.
func Media() []Medium {
	ms := make([]Medium, 0, mediumEnd-1)
	for m := MediumRS232; m < mediumEnd; m++ {
		ms = append(ms, m)
	}
	return ms
}

// ParseMedium accepts a medium's name, with "rs-485", "modbus-rtu" (RS-485)
// and "wi-fi" as aliases.
func ParseMedium(s string) (Medium, error) {
	switch strings.ToLower(s) {
	case "rs-485", "modbus-rtu", "modbus":
		return MediumRS485, nil
	case "rs-232", "serial":
		return MediumRS232, nil
	case "wi-fi":
		return MediumWiFi, nil
	case "lan":
		return MediumEthernet, nil
	case "lte", "4g", "5g", "nb-iot":
		return MediumCellular, nil
	}
	for m := MediumRS232; m < mediumEnd; m++ {
		if mediumNames[m] == strings.ToLower(s) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownMedium, s, joinNames(mediumNames[1:]))
}

// IP reports whether the medium carries internet protocols (MQTT, CoAP, HTTP).
func (m Medium) IP() bool {
	return m == MediumWiFi || m == MediumEthernet || m == MediumInternet || m == MediumCellular
}

// Bus reports whether one transmission occupies the medium for every member:
// a serial bus, a CAN bus, or a shared radio channel.
func (m Medium) Bus() bool {
	switch m {
	case MediumRS232, MediumRS485, MediumCAN, MediumZigbee, MediumLoRaWAN:
		return true
	}
	return false
}

// Radio reports whether the medium is a radio whose links have a range.
func (m Medium) Radio() bool {
	return m == MediumZigbee || m == MediumBLE || m == MediumLoRaWAN || m == MediumWiFi
}

// M2M reports whether the medium is a traditional machine-to-machine field
// medium: one standard, no internet.
func (m Medium) M2M() bool {
	return m == MediumRS232 || m == MediumRS485 || m == MediumCAN
}

// Protocol is what a message's bytes are.
type Protocol uint8

// The protocols.
const (
	ProtoModbusRTU Protocol = iota + 1
	ProtoCAN
	ProtoMQTT
	ProtoCoAP
	ProtoHTTP
	ProtoZigbee
	ProtoBLE
	ProtoLoRaWAN
	protoEnd
)

var protoNames = [...]string{"", "modbus-rtu", "can", "mqtt", "coap", "http", "zigbee", "ble", "lorawan"}

func (p Protocol) String() string {
	if p == 0 || p >= protoEnd {
		return fmt.Sprintf("protocol(%d)", uint8(p))
	}
	return protoNames[p]
}

// Protocols lists every protocol in order.
func Protocols() []Protocol {
	ps := make([]Protocol, 0, protoEnd-1)
	for p := ProtoModbusRTU; p < protoEnd; p++ {
		ps = append(ps, p)
	}
	return ps
}

// ParseProtocol accepts a protocol's name.
func ParseProtocol(s string) (Protocol, error) {
	if strings.ToLower(s) == "modbus" {
		return ProtoModbusRTU, nil
	}
	for p := ProtoModbusRTU; p < protoEnd; p++ {
		if protoNames[p] == strings.ToLower(s) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownProtocol, s, joinNames(protoNames[1:]))
}

// IP reports whether the protocol runs over IP.
func (p Protocol) IP() bool { return p == ProtoMQTT || p == ProtoCoAP || p == ProtoHTTP }

// native is the protocol a medium's frames are in when it is not IP.
func (m Medium) native() Protocol {
	switch m {
	case MediumRS232, MediumRS485:
		return ProtoModbusRTU
	case MediumCAN:
		return ProtoCAN
	case MediumZigbee:
		return ProtoZigbee
	case MediumBLE:
		return ProtoBLE
	case MediumLoRaWAN:
		return ProtoLoRaWAN
	}
	return 0
}

func joinNames(ns []string) string { return strings.Join(ns, ", ") }
