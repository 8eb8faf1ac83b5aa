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
	"errors"
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

func (k Kind) String() string { return nameOf(kindNames[:], k, "kind") }

// ErrUnknownKind is a kind's name that ParseKind does not know.
var ErrUnknownKind = errors.New("sim: unknown device kind")

// ParseKind accepts a kind's name; "plc" and "cloud" are accepted aliases.
func ParseKind(s string) (Kind, error) {
	return parseName(kindNames[:], s, kindAliases, ErrUnknownKind)
}

var kindAliases = map[string]Kind{"plc": KindController, "cloud": KindBroker, "dashboard": KindApp, "phone": KindApp}

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

func (m Medium) String() string { return nameOf(mediumNames[:], m, "medium") }

// ErrUnknownMedium is a medium's name that ParseMedium does not know.
var ErrUnknownMedium = errors.New("sim: unknown medium")

// ParseMedium accepts a medium's name, with "rs-485", "modbus-rtu" (RS-485)
// and "wi-fi" as aliases.
func ParseMedium(s string) (Medium, error) {
	return parseName(mediumNames[:], s, mediumAliases, ErrUnknownMedium)
}

var mediumAliases = map[string]Medium{
	"rs-485": MediumRS485, "modbus-rtu": MediumRS485, "modbus": MediumRS485,
	"rs-232": MediumRS232, "serial": MediumRS232,
	"wi-fi": MediumWiFi, "lan": MediumEthernet,
	"lte": MediumCellular, "4g": MediumCellular, "5g": MediumCellular, "nb-iot": MediumCellular,
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

func (p Protocol) String() string { return nameOf(protoNames[:], p, "protocol") }

// Protocols lists every protocol in order.
func Protocols() []Protocol { return every[Protocol](protoNames[:]) }

// ErrUnknownProtocol is a protocol's name that ParseProtocol does not
// know.
var ErrUnknownProtocol = errors.New("sim: unknown protocol")

// ParseProtocol accepts a protocol's name.
func ParseProtocol(s string) (Protocol, error) {
	return parseName(protoNames[:], s, protoAliases, ErrUnknownProtocol)
}

var protoAliases = map[string]Protocol{"modbus": ProtoModbusRTU}

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

// Kind, Medium and Protocol are each numbered from 1, with names[v] the
// name of v (names[0] unused); nameOf, every and parseName serve all three.

// nameOf is v's name, or what(v) for a number without one.
func nameOf[T ~uint8](names []string, v T, what string) string {
	if v == 0 || int(v) >= len(names) {
		return fmt.Sprintf("%s(%d)", what, uint8(v))
	}
	return names[v]
}

// every lists each value with a name, in order.
func every[T ~uint8](names []string) []T {
	vs := make([]T, 0, len(names)-1)
	for v := 1; v < len(names); v++ {
		vs = append(vs, T(v))
	}
	return vs
}

// parseName is the value named s or one of its aliases, in any case, or
// an error wrapping unknown that lists the names.
func parseName[T ~uint8](names []string, s string, aliases map[string]T, unknown error) (T, error) {
	low := strings.ToLower(s)
	if v, ok := aliases[low]; ok {
		return v, nil
	}
	for v := 1; v < len(names); v++ {
		if names[v] == low {
			return T(v), nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", unknown, s, joinNames(names[1:]))
}
