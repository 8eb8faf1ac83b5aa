package proto

// reflectedTable holds the remainder of every byte value for a reflected
// (least significant bit first) CRC with the reflected polynomial poly, so
// the CRC costs one table look-up per byte instead of eight shifts. Modbus
// (CRC-16, 0xA001), IEEE 802.15.4 (CRC-16/KERMIT, 0x8408) and BLE (CRC-24,
// 0xDA6000) use it.
func reflectedTable[T uint16 | uint32](poly T) (t [256]T) {
	for i := range t {
		c := T(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ poly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}
