package proto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"sync"
)

// LoRaWANKeys are a LoRaWAN 1.0.x device's session keys: the network
// session key signs every frame (the MIC, an AES-CMAC) and encrypts MAC
// commands sent on FPort 0; the application session key encrypts the
// application's FRMPayload (AES in counter mode).
type LoRaWANKeys struct {
	NwkSKey, AppSKey [16]byte
}

// LoRaWANTestKeys are the session keys of every LoRaWAN device in a
// Thingyard world. They are test keys, published so that Wireshark (or
// any network server) can check the MIC and decrypt the payload of the
// frames Thingyard writes; never give a real device these keys. They are
// the ASCII texts "thingyard-nwkkey" and "thingyard-appkey":
//
//	NwkSKey 7468696E67796172642D6E776B6B6579
//	AppSKey 7468696E67796172642D6170706B6579
var LoRaWANTestKeys = LoRaWANKeys{
	NwkSKey: [16]byte{'t', 'h', 'i', 'n', 'g', 'y', 'a', 'r', 'd', '-', 'n', 'w', 'k', 'k', 'e', 'y'},
	AppSKey: [16]byte{'t', 'h', 'i', 'n', 'g', 'y', 'a', 'r', 'd', '-', 'a', 'p', 'p', 'k', 'e', 'y'},
}

// loRaWANCiphers are a key pair's AES block ciphers and the CMAC subkeys
// of the network session key.
type loRaWANCiphers struct {
	nwk, app cipher.Block
	k1, k2   [16]byte
}

// loRaWANScratch holds the blocks one frame is signed and encrypted with.
// Block ciphers are called through an interface, so their buffers would
// escape to the heap: a pool keeps the world's encoding allocation-free.
type loRaWANScratch struct{ a, s [16]byte }

var (
	loRaWANPool = sync.Pool{New: func() any { return new(loRaWANScratch) }}
	// The world signs every LoRaWAN frame with the test keys: their
	// ciphers are made once.
	loRaWANTestCiphers = sync.OnceValue(func() *loRaWANCiphers { return LoRaWANTestKeys.newCiphers() })
)

func (k *LoRaWANKeys) ciphers() *loRaWANCiphers {
	if *k == LoRaWANTestKeys {
		return loRaWANTestCiphers()
	}
	return k.newCiphers()
}

func (k *LoRaWANKeys) newCiphers() *loRaWANCiphers {
	nwk, _ := aes.NewCipher(k.NwkSKey[:]) // a 16-byte key is always valid
	app, _ := aes.NewCipher(k.AppSKey[:])
	c := &loRaWANCiphers{nwk: nwk, app: app}
	// RFC 4493 section 2.3: L = AES(K, 0), K1 = L<<1, K2 = K1<<1, each
	// folded with 0x87 when a bit falls off.
	nwk.Encrypt(c.k1[:], make([]byte, 16))
	c.k1 = cmacDouble(c.k1)
	c.k2 = cmacDouble(c.k1)
	return c
}

func cmacDouble(b [16]byte) [16]byte {
	var r [16]byte
	carry := b[0] >> 7
	for i := 0; i < 15; i++ {
		r[i] = b[i]<<1 | b[i+1]>>7
	}
	r[15] = b[15] << 1
	if carry != 0 {
		r[15] ^= 0x87
	}
	return r
}

// loRaWANDir is the direction byte of the MIC and cipher blocks: 0 for a
// frame from the device (uplink), 1 for one to it.
func loRaWANDir(mtype uint8) byte {
	if mtype == LoRaWANUnconfirmedDown || mtype == LoRaWANConfirmedDown {
		return 1
	}
	return 0
}

// loRaWANBlock fills the block the MIC (B0, first byte 0x49) and the
// cipher stream (Ai, first byte 0x01) start from (LoRaWAN 1.0.x sections
// 4.3.3 and 4.4): direction, DevAddr and the 32-bit frame counter, of which
// a frame carries the low 16 bits (Thingyard's counters stay below 2^16 as
// carried; the high bits are 0).
func loRaWANBlock(b *[16]byte, first, dir byte, devAddr uint32, fcnt uint16, last byte) {
	*b = [16]byte{0: first, 5: dir, 15: last}
	binary.LittleEndian.PutUint32(b[6:], devAddr)
	binary.LittleEndian.PutUint32(b[10:], uint32(fcnt))
}

// Append appends f as a PHYPayload: f.Payload is encrypted (with the
// AppSKey, or the NwkSKey on FPort 0) and the MIC is the AES-CMAC of the
// message under the NwkSKey. FOpts is cut to 15 bytes; FPort is written
// when there is a payload.
func (k *LoRaWANKeys) Append(dst []byte, f LoRaWANFrame) []byte {
	start := len(dst)
	fopts := f.FOpts[:min(len(f.FOpts), LoRaWANMaxFOpts)]
	dst = append(dst, (f.MType&7)<<5|loRaWANMajorR1)
	dst = binary.LittleEndian.AppendUint32(dst, f.DevAddr)
	dst = append(dst, f.FCtrl&^loRaWANFCtrlFOptsN|byte(len(fopts)))
	dst = binary.LittleEndian.AppendUint16(dst, f.FCnt)
	dst = append(dst, fopts...)
	c := k.ciphers()
	sc := loRaWANPool.Get().(*loRaWANScratch)
	defer loRaWANPool.Put(sc)
	if len(f.Payload) > 0 {
		dst = append(dst, f.FPort)
		p := len(dst)
		dst = append(dst, f.Payload...)
		c.crypt(sc, dst[p:], f.FPort, loRaWANDir(f.MType), f.DevAddr, f.FCnt)
	}
	return binary.LittleEndian.AppendUint32(dst, c.mic(sc, dst[start:], loRaWANDir(f.MType), f.DevAddr, f.FCnt))
}

// crypt encrypts or decrypts p in place: the two are the same XOR with the
// key stream AES(K, A1), AES(K, A2), ...
func (c *loRaWANCiphers) crypt(sc *loRaWANScratch, p []byte, port, dir byte, devAddr uint32, fcnt uint16) {
	blk := c.app
	if port == 0 {
		blk = c.nwk
	}
	for i := 0; i < len(p); i += 16 {
		loRaWANBlock(&sc.a, 0x01, dir, devAddr, fcnt, byte(i/16+1))
		blk.Encrypt(sc.s[:], sc.a[:])
		for j := i; j < min(i+16, len(p)); j++ {
			p[j] ^= sc.s[j-i]
		}
	}
}

// mic is the first four bytes of AES-CMAC(NwkSKey, B0 | msg), as the
// frame carries them, read little-endian.
func (c *loRaWANCiphers) mic(sc *loRaWANScratch, msg []byte, dir byte, devAddr uint32, fcnt uint16) uint32 {
	x := &sc.s
	loRaWANBlock(x, 0x49, dir, devAddr, fcnt, byte(len(msg)))
	c.nwk.Encrypt(x[:], x[:]) // B0 is a whole block and never the last: msg has at least 8 bytes
	c.cmacRest(x, msg)
	return binary.LittleEndian.Uint32(x[:4])
}

// cmacRest finishes an AES-CMAC (RFC 4493) under the NwkSKey over msg,
// from x, the chaining value after the whole blocks that came before it
// (zero for a message of its own), and leaves the tag in x.
func (c *loRaWANCiphers) cmacRest(x *[16]byte, msg []byte) {
	for len(msg) > 16 {
		xor16(x, msg[:16])
		c.nwk.Encrypt(x[:], x[:])
		msg = msg[16:]
	}
	// The last block: whole, folded with K1; or padded with 0x80 and
	// zeros, folded with K2.
	var last [16]byte
	copy(last[:], msg)
	key := &c.k1
	if len(msg) < 16 {
		last[len(msg)] = 0x80
		key = &c.k2
	}
	xor16(x, last[:])
	xor16(x, key[:])
	c.nwk.Encrypt(x[:], x[:])
}

func xor16(x *[16]byte, b []byte) {
	for i := range 16 {
		x[i] ^= b[i]
	}
}

// MIC computes the MIC of a whole PHYPayload b (a data message with its
// four MIC bytes, whatever they hold) under the keys' NwkSKey.
func (k *LoRaWANKeys) MIC(b []byte) (uint32, error) {
	f, err := ParseLoRaWAN(b)
	if err != nil {
		return 0, err
	}
	c := k.ciphers()
	sc := loRaWANPool.Get().(*loRaWANScratch)
	defer loRaWANPool.Put(sc)
	return c.mic(sc, b[:len(b)-LoRaWANMICLen], loRaWANDir(f.MType), f.DevAddr, f.FCnt), nil
}

// CheckMIC reports whether data message b carries the MIC the keys'
// NwkSKey gives it: whether it was sent by a device holding these keys
// and arrived undamaged.
func (k *LoRaWANKeys) CheckMIC(b []byte) bool {
	f, err := ParseLoRaWAN(b)
	if err != nil {
		return false
	}
	mic, err := k.MIC(b)
	return err == nil && mic == f.MIC
}

// Decrypt appends the FRMPayload of a parsed frame f, decrypted with the
// keys, to dst.
func (k *LoRaWANKeys) Decrypt(dst []byte, f LoRaWANFrame) []byte {
	n := len(dst)
	dst = append(dst, f.Payload...)
	c := k.ciphers()
	sc := loRaWANPool.Get().(*loRaWANScratch)
	defer loRaWANPool.Put(sc)
	c.crypt(sc, dst[n:], f.FPort, loRaWANDir(f.MType), f.DevAddr, f.FCnt)
	return dst
}
