// Package proto encodes and decodes the real bytes of the protocols
// Thingyard shows, so every message in flight carries the frame a real
// device would send, metrics can count its overhead, and the inspector can
// show it byte by byte.
//
// Encoders are AppendXxx(dst, ...) []byte: they append one frame to dst and
// allocate nothing when dst has room, because the simulation makes tens of
// thousands of frames a second in WebAssembly. Decoders never panic and
// return slices that alias the frame; their errors wrap a sentinel
// (ErrShortFrame, ErrCRC, ErrMalformed, ErrUnsupported) in a *FrameError
// that holds the offending byte offset. Dissect turns any frame into
// Fields for the inspector and HexDump prints it as analysers do.
//
// What each protocol holds, and how it was checked:
//
//   - Modbus RTU (AppendModbusRead, ParseModbusRequest, CRC16, ...):
//     the specification's example frames and CRCs; a libmodbus slave in
//     the board package's tests.
//   - CAN 2.0A/B (CANFrame, AppendCANFrame in Linux SocketCAN layout,
//     CANFrameBits, CANStuffBits, CANCRC, CANArbitrationKey): CRC-15 by
//     polynomial long division, bit stuffing counted on an independent bit
//     layout.
//   - MQTT 3.1.1 and 5 (AppendMQTTConnect, AppendMQTTPublish, ...,
//     ParseMQTT): Eclipse Paho decodes ours and we decode Paho's; an
//     Eclipse Mosquitto broker accepts ours and we read all it sends.
//   - CoAP, RFC 7252 (CoAPMessage, AppendCoAP, ParseCoAP, AppendCoAPPost):
//     libcoap's published PDU bytes and the RFC's examples.
//   - HTTP/1.1 (AppendHTTPRequest, AppendHTTPPost, AppendHTTPResponse):
//     read back by net/http.
//   - IEEE 802.15.4 and Zigbee (AppendIEEE802154, AppendZigbeeReport):
//     the standard's own FCS example. The Zigbee NWK payload is not
//     encrypted, as it would be in a real network: there are no keys.
//   - BLE (AppendBLEAdvertising, AppendBLENotify): real PDU layouts and
//     CRC-24, checked against the CRC catalogue; the preamble, access
//     address and whitening of the air interface are left out, as sniffers
//     leave them out, and data PDUs use a fixed CRC preset because the
//     world makes no connections (BLEDataCRCInit).
//   - LoRaWAN 1.0.x (LoRaWANFrame, AppendLoRaWANUplink, LoRaWANKeys):
//     frames carry a real MIC (AES-CMAC, checked against RFC 4493's
//     examples) and an AES-encrypted FRMPayload, under published test
//     keys (LoRaWANTestKeys) so analysers can check and decrypt them;
//     lora-packet's published uplink is rebuilt byte for byte from its
//     keys, and Wireshark checks and decrypts the world's frames.
package proto
