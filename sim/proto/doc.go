// Package proto encodes and decodes the real bytes of the protocols
// Thingyard shows, so every message in flight carries the frame a real
// device would send and the inspector can show it byte by byte.
//
// Encoders are AppendXxx(dst, ...) []byte: they append one frame to dst and
// allocate nothing when dst has room, because the simulation makes tens of
// thousands of frames a second in WebAssembly. Decoders never panic; their
// errors wrap a sentinel (ErrShortFrame, ErrCRC, ErrMalformed,
// ErrUnsupported) in a *FrameError that holds the offending byte offset.
//
// Modbus RTU: CRC16, AppendCRC, CheckCRC, AppendModbusRead,
// AppendModbusWriteSingle, AppendModbusWriteMultipleRegisters,
// AppendModbusWriteMultipleCoils, AppendModbusReadResponse,
// AppendModbusWriteResponse, AppendModbusException, ParseModbusRequest,
// ParseModbusResponse, ModbusRequestLen, ModbusResponseLen, ModbusFrameTime.
package proto
