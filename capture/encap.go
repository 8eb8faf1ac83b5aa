package capture

import (
	"encoding/binary"

	"github.com/thingyard/thingyard/sim"
	"github.com/thingyard/thingyard/sim/proto"
)

// Link types (tcpdump.org/linktypes.html) of the interfaces a capture
// holds, one interface per medium.
const (
	LinkTypeModbusRTU = 147 // LINKTYPE_USER0: Modbus RTU has no link type of its own
	LinkTypeIPv4      = 228 // LINKTYPE_IPV4: raw IPv4 packets
	LinkTypeCAN       = 227 // LINKTYPE_CAN_SOCKETCAN
	LinkTypeZigbee    = 195 // LINKTYPE_IEEE802_15_4_WITHFCS
	LinkTypeBLE       = 256 // LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR
	LinkTypeLoRaTap   = 270 // LINKTYPE_LORATAP
)

// ModbusUserDLT is the tshark option that decodes the Modbus RTU
// interfaces (user link type 0, DLT 147) as Modbus RTU; in Wireshark the
// same is Preferences > Protocols > DLT_USER > Edit, a row for
// "User 0 (DLT=147)" with payload protocol "mbrtu".
const ModbusUserDLT = `uat:user_dlts:"User 0 (DLT=147)","mbrtu","0","","0",""`

// mediumIface is how one medium is captured: its link type and what the
// interface's description tells a person opening the file.
type mediumIface struct {
	linkType uint16
	descr    string
}

func ifaceOf(m sim.Medium) mediumIface {
	switch m {
	case sim.MediumRS232, sim.MediumRS485:
		return mediumIface{LinkTypeModbusRTU, "Modbus RTU frames on a serial line (user link type 147: decode it as mbrtu, see the README)"}
	case sim.MediumCAN:
		return mediumIface{LinkTypeCAN, "CAN frames as SocketCAN writes them"}
	case sim.MediumZigbee:
		return mediumIface{LinkTypeZigbee, "IEEE 802.15.4 frames with FCS, Zigbee inside (no NWK security: the world holds no network key)"}
	case sim.MediumBLE:
		return mediumIface{LinkTypeBLE, "BLE link layer with access address and CRC, as a sniffer shows it"}
	case sim.MediumLoRaWAN:
		return mediumIface{LinkTypeLoRaTap, "LoRaWAN frames under a LoRaTap header: 868.1 MHz, SF7, 125 kHz"}
	}
	return mediumIface{LinkTypeIPv4, "IPv4 packets: every device has an address 10.x.y.z of its own and TCP or UDP streams per pair of devices"}
}

// canFrame writes a SocketCAN frame as LINKTYPE_CAN_SOCKETCAN holds it:
// the frame's 16 bytes with can_id in network byte order, where the world
// (like a Linux program's memory) holds it little-endian.
func canFrame(dst, b []byte) []byte {
	if len(b) != proto.CANSocketFrameLen {
		return append(dst, b...)
	}
	dst = binary.BigEndian.AppendUint32(dst, binary.LittleEndian.Uint32(b))
	return append(dst, b[4:]...)
}

// BLE sniffer header values (LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR).
const (
	blePHDRLen        = 10
	bleRFChannel      = 1      // RF channel 1, data channel 0
	bleFlagDewhitened = 0x0001 // the PDU is shown dewhitened
	bleFlagRefAAValid = 0x0010 // the reference access address is given
	bleFlagMasterToSl = 2 << 7 // PDU type: data, central (master) to peripheral
	bleFlagSlaveToMa  = 3 << 7 // PDU type: data, peripheral (slave) to central
	bleFlagCRCChecked = 0x0400
	bleFlagCRCValid   = 0x0800
)

// bleHeader writes the sniffer header and access address in front of a
// data PDU. The world makes no connections, so each pair of devices is
// given an access address of its own; the CRC is checked here with the
// preset the world uses (proto.BLEDataCRCInit), which no analyser could
// know without a CONNECT_IND.
func bleHeader(dst []byte, f *sim.Frame) []byte {
	central, peripheral := f.ToIndex, f.FromIndex
	dir := uint16(bleFlagSlaveToMa)
	if bleCentral(f.FromKind) && !bleCentral(f.ToKind) {
		central, peripheral = f.FromIndex, f.ToIndex
		dir = bleFlagMasterToSl
	}
	aa := bleAccessAddress(central, peripheral)
	flags := uint16(bleFlagDewhitened|bleFlagRefAAValid|bleFlagCRCChecked) | dir
	if _, err := proto.ParseBLENotification(f.Bytes, proto.BLEDataCRCInit); err == nil {
		flags |= bleFlagCRCValid
	}
	dst = append(dst, bleRFChannel, 0, 0, 0) // channel; signal, noise and offenses not given
	dst = binary.LittleEndian.AppendUint32(dst, aa)
	dst = binary.LittleEndian.AppendUint16(dst, flags)
	return binary.LittleEndian.AppendUint32(dst, aa)
}

// bleCentral reports whether a device of kind k takes the central role
// of a BLE connection: a gateway, hub, phone or controller; sensors and
// actuators are peripherals.
func bleCentral(k sim.Kind) bool {
	switch k {
	case sim.KindSensor, sim.KindActuator, sim.KindBoard:
		return false
	}
	return true
}

// bleAccessAddress is the access address of the connection between two
// devices: distinct for each pair (for worlds of up to 2^14 devices), never
// the advertising one, and with the bit transitions the specification
// asks for in its top bits.
func bleAccessAddress(central, peripheral int32) uint32 {
	return 0x50000000 | uint32(central&0x3FFF)<<14 | uint32(peripheral&0x3FFF)
}

// LoRaTap version 0 header (github.com/eriknl/LoRaTap) values: EU868's
// first channel at the world's LoRaWAN rate (5,470 bit/s is SF7 at
// 125 kHz), a plausible signal, and the public LoRaWAN sync word, which
// tells Wireshark the payload is LoRaWAN.
const (
	loraTapLen       = 15
	loraTapFrequency = 868_100_000
	loraTapBW125k    = 1
	loraTapSF        = 7
	loraTapRSSI      = 139 - 90 // -90 dBm: the header holds RSSI + 139
	loraTapSNR       = 8 * 4    // 8 dB, in quarters
	loraTapSyncWord  = 0x34     // public LoRaWAN network
)

func loraTapHeader(dst []byte) []byte {
	dst = append(dst, 0, 0) // version 0, padding
	dst = binary.BigEndian.AppendUint16(dst, loraTapLen)
	dst = binary.BigEndian.AppendUint32(dst, loraTapFrequency)
	return append(dst, loraTapBW125k, loraTapSF, loraTapRSSI, loraTapRSSI, loraTapRSSI, loraTapSNR, loraTapSyncWord)
}
