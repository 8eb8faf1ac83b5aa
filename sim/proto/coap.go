package proto

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// CoAP message types (RFC 7252, 3).
const (
	CoAPConfirmable     = 0 // CON: the receiver must acknowledge
	CoAPNonConfirmable  = 1 // NON: fire and forget
	CoAPAcknowledgement = 2 // ACK
	CoAPReset           = 3 // RST
)

// CoAP codes, class<<5 | detail, written c.dd (RFC 7252, 12.1).
const (
	CoAPCodeEmpty                 = 0x00 // 0.00
	CoAPCodeGET                   = 0x01 // 0.01
	CoAPCodePOST                  = 0x02 // 0.02
	CoAPCodePUT                   = 0x03 // 0.03
	CoAPCodeDELETE                = 0x04 // 0.04
	CoAPCodeCreated               = 0x41 // 2.01
	CoAPCodeDeleted               = 0x42 // 2.02
	CoAPCodeValid                 = 0x43 // 2.03
	CoAPCodeChanged               = 0x44 // 2.04
	CoAPCodeContent               = 0x45 // 2.05
	CoAPCodeBadRequest            = 0x80 // 4.00
	CoAPCodeUnauthorized          = 0x81 // 4.01
	CoAPCodeBadOption             = 0x82 // 4.02
	CoAPCodeForbidden             = 0x83 // 4.03
	CoAPCodeNotFound              = 0x84 // 4.04
	CoAPCodeMethodNotAllowed      = 0x85 // 4.05
	CoAPCodeInternalServerError   = 0xA0 // 5.00
	CoAPCodeServiceUnavailable    = 0xA3 // 5.03
	CoAPCodeGatewayTimeout        = 0xA4 // 5.04
	CoAPCodeProxyingNotSupported  = 0xA5 // 5.05
	CoAPCodeUnsupportedFormat     = 0x8F // 4.15
	CoAPCodeRequestEntityTooLarge = 0x8D // 4.13
)

// CoAP option numbers (RFC 7252, 5.10; Observe from RFC 7641; Block from
// RFC 7959).
const (
	CoAPOptionIfMatch       = 1
	CoAPOptionURIHost       = 3
	CoAPOptionETag          = 4
	CoAPOptionIfNoneMatch   = 5
	CoAPOptionObserve       = 6
	CoAPOptionURIPort       = 7
	CoAPOptionLocationPath  = 8
	CoAPOptionURIPath       = 11
	CoAPOptionContentFormat = 12
	CoAPOptionMaxAge        = 14
	CoAPOptionURIQuery      = 15
	CoAPOptionAccept        = 17
	CoAPOptionLocationQuery = 20
	CoAPOptionBlock2        = 23
	CoAPOptionBlock1        = 27
	CoAPOptionSize2         = 28
	CoAPOptionProxyURI      = 35
	CoAPOptionProxyScheme   = 39
	CoAPOptionSize1         = 60
)

// CoAP Content-Format numbers (RFC 7252, 12.3; CBOR from RFC 7049).
const (
	CoAPFormatText        = 0
	CoAPFormatLinkFormat  = 40
	CoAPFormatXML         = 41
	CoAPFormatOctetStream = 42
	CoAPFormatEXI         = 47
	CoAPFormatJSON        = 50
	CoAPFormatCBOR        = 60
)

// CoAP limits.
const (
	CoAPHeaderLen      = 4     // version, type, token length, code, message id
	CoAPMaxTokenLen    = 8     // a longer token is a message format error
	CoAPMaxOptionValue = 65804 // 269 + 0xFFFF, the largest the 14 form holds
	coapPayloadMarker  = 0xFF
	coapVersion        = 1
)

// CoAPOption is one option of a message. Options with the same Number may
// repeat (Uri-Path once per path segment); their order is kept.
type CoAPOption struct {
	Number uint16
	Value  []byte
}

// CoAPMessage is a CoAP message as carried in one UDP datagram.
type CoAPMessage struct {
	Type      uint8  // CoAPConfirmable ... CoAPReset
	Code      uint8  // CoAPCodeGET, CoAPCodeContent, ...
	MessageID uint16 // matches an ACK to its CON and detects duplicates
	Token     []byte // 0 to 8 bytes; matches a response to its request
	Options   []CoAPOption
	Payload   []byte
}

// AppendCoAP appends m in the RFC 7252 message format. Options are written
// in ascending Number order (options with the same Number keep their
// order), each as a delta from the previous number, using the one-byte
// (13) and two-byte (14) extended forms when a delta or length exceeds 12.
// A token longer than CoAPMaxTokenLen and option values longer than
// CoAPMaxOptionValue are cut to fit.
func AppendCoAP(dst []byte, m CoAPMessage) []byte {
	tok := m.Token[:min(len(m.Token), CoAPMaxTokenLen)]
	dst = append(dst, coapVersion<<6|(m.Type&3)<<4|byte(len(tok)), m.Code)
	dst = binary.BigEndian.AppendUint16(dst, m.MessageID)
	dst = append(dst, tok...)
	// Selection by number rather than sorting keeps the caller's slice
	// untouched and allocates nothing; messages hold a handful of options.
	last := -1 // number of the options written last
	for {
		next := -1
		for _, o := range m.Options {
			if n := int(o.Number); n > last && (next < 0 || n < next) {
				next = n
			}
		}
		if next < 0 {
			break
		}
		prev := max(last, 0)
		for _, o := range m.Options {
			if int(o.Number) == next {
				dst = appendCoAPOption(dst, next-prev, o.Value)
				prev = next
			}
		}
		last = next
	}
	if len(m.Payload) > 0 {
		dst = append(dst, coapPayloadMarker)
		dst = append(dst, m.Payload...)
	}
	return dst
}

// coapNibble splits an option delta or length into its 4-bit nibble and the
// extended bytes that follow the option header (RFC 7252, 3.1).
func coapNibble(v int) (nib byte, ext uint16, extLen int) {
	switch {
	case v < 13:
		return byte(v), 0, 0
	case v < 269:
		return 13, uint16(v - 13), 1
	}
	return 14, uint16(v - 269), 2
}

func appendCoAPExt(dst []byte, ext uint16, n int) []byte {
	switch n {
	case 1:
		return append(dst, byte(ext))
	case 2:
		return binary.BigEndian.AppendUint16(dst, ext)
	}
	return dst
}

// appendCoAPOption appends one option: header byte, extended delta,
// extended length, value.
// The value is bytes or a string (a path segment), cut at
// CoAPMaxOptionValue.
func appendCoAPOption[V []byte | string](dst []byte, delta int, val V) []byte {
	val = val[:min(len(val), CoAPMaxOptionValue)]
	d, dx, dn := coapNibble(delta)
	l, lx, ln := coapNibble(len(val))
	dst = append(dst, d<<4|l)
	dst = appendCoAPExt(dst, dx, dn)
	dst = appendCoAPExt(dst, lx, ln)
	return append(dst, val...)
}

// AppendCoAPUint appends v as a CoAP uint option value: big-endian in as
// few bytes as it needs, so 0 is no bytes at all (RFC 7252, 3.2).
func AppendCoAPUint(dst []byte, v uint32) []byte {
	switch {
	case v == 0:
		return dst
	case v < 1<<8:
		return append(dst, byte(v))
	case v < 1<<16:
		return binary.BigEndian.AppendUint16(dst, uint16(v))
	case v < 1<<24:
		return append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	return binary.BigEndian.AppendUint32(dst, v)
}

// CoAPUint decodes a uint option value of up to 4 bytes; longer values
// keep their last 4 bytes.
func CoAPUint(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

// AppendCoAPPost appends a confirmable POST of a JSON payload to path, the
// message a CoAP sensor sends a reading with: a 4-byte token, one Uri-Path
// option per segment of path (leading and doubled slashes are skipped) and
// Content-Format 50 (application/json).
func AppendCoAPPost(dst []byte, msgID uint16, token uint32, path string, payload []byte) []byte {
	dst = append(dst, coapVersion<<6|CoAPConfirmable<<4|4, CoAPCodePOST)
	dst = binary.BigEndian.AppendUint16(dst, msgID)
	dst = binary.BigEndian.AppendUint32(dst, token)
	prev := 0
	for seg := range strings.SplitSeq(path, "/") {
		if seg != "" {
			dst = appendCoAPOption(dst, CoAPOptionURIPath-prev, seg)
			prev = CoAPOptionURIPath
		}
	}
	dst = append(dst, byte(CoAPOptionContentFormat-prev)<<4|1, CoAPFormatJSON)
	if len(payload) > 0 {
		dst = append(dst, coapPayloadMarker)
		dst = append(dst, payload...)
	}
	return dst
}

// AppendCoAPAck appends a piggybacked response: an ACK with the message id
// and 4-byte token of the confirmable request it answers, a response code
// (CoAPCodeChanged for a POST that was applied) and no payload.
func AppendCoAPAck(dst []byte, msgID uint16, token uint32, code byte) []byte {
	dst = append(dst, coapVersion<<6|CoAPAcknowledgement<<4|4, code)
	dst = binary.BigEndian.AppendUint16(dst, msgID)
	return binary.BigEndian.AppendUint32(dst, token)
}

// Option returns the value of the first option numbered n.
func (m *CoAPMessage) Option(n uint16) ([]byte, bool) {
	for _, o := range m.Options {
		if o.Number == n {
			return o.Value, true
		}
	}
	return nil, false
}

// Path returns the Uri-Path options joined with "/", with a leading "/".
func (m *CoAPMessage) Path() string {
	var b strings.Builder
	for _, o := range m.Options {
		if o.Number == CoAPOptionURIPath {
			b.WriteByte('/')
			b.Write(o.Value)
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// ContentFormat returns the Content-Format option, if present.
func (m *CoAPMessage) ContentFormat() (uint32, bool) {
	v, ok := m.Option(CoAPOptionContentFormat)
	return CoAPUint(v), ok
}

// Observe returns the Observe option (RFC 7641), if present: 0 registers
// an observer in a GET, a sequence number in a notification.
func (m *CoAPMessage) Observe() (uint32, bool) {
	v, ok := m.Option(CoAPOptionObserve)
	return CoAPUint(v), ok
}

// CoAPPathOptions appends one Uri-Path option per segment of path to opts.
func CoAPPathOptions(opts []CoAPOption, path string) []CoAPOption {
	for seg := range strings.SplitSeq(path, "/") {
		if seg != "" {
			opts = append(opts, CoAPOption{Number: CoAPOptionURIPath, Value: []byte(seg)})
		}
	}
	return opts
}

// CoAPUintOption returns an option holding v as a minimal uint, for
// Content-Format, Observe, Max-Age and the like.
func CoAPUintOption(n uint16, v uint32) CoAPOption {
	return CoAPOption{Number: n, Value: AppendCoAPUint(nil, v)}
}

// ParseCoAP decodes one CoAP message. Token, option values and payload
// alias b. It rejects what RFC 7252 calls a message format error: a
// version other than 1, a token longer than 8 bytes, an Empty message with
// anything after its header, a reserved option nibble (15), an option
// number past 65535, and a payload marker followed by no payload.
func ParseCoAP(b []byte) (CoAPMessage, error) {
	return parseCoAP(b, nil)
}

var coapTypeNames = [4]string{"CON (confirmable)", "NON (non-confirmable)", "ACK (acknowledgement)", "RST (reset)"}

func parseCoAP(b []byte, d *dissector) (CoAPMessage, error) {
	m, err := parseCoAPHeader(b, d)
	if err != nil {
		return m, err
	}
	i, err := m.parseOptions(b, CoAPHeaderLen+len(m.Token), d)
	if err != nil || i == len(b) {
		return m, err
	}
	if d != nil {
		d.add("payload marker", i, 1, "0xFF")
	}
	if i+1 == len(b) {
		return m, frameErr(ErrMalformed, i, "payload marker with no payload after it")
	}
	m.Payload = b[i+1:]
	if d != nil {
		d.add("payload", i+1, len(m.Payload), "%s", printable(m.Payload))
	}
	return m, nil
}

// parseCoAPHeader reads the fixed header and the token.
func parseCoAPHeader(b []byte, d *dissector) (CoAPMessage, error) {
	var m CoAPMessage
	if len(b) < CoAPHeaderLen {
		return m, frameErr(ErrShortFrame, len(b), "%d bytes, the CoAP header needs 4", len(b))
	}
	ver, tkl := b[0]>>6, int(b[0]&0x0F)
	m.Type, m.Code, m.MessageID = b[0]>>4&3, b[1], binary.BigEndian.Uint16(b[2:])
	if d != nil {
		d.add("version, type, token length", 0, 1, "0x%02X: v%d, %s, token %d bytes", b[0], ver, coapTypeNames[m.Type], tkl)
		d.sub("version", 0, 1, "%d", ver)
		d.sub("type", 0, 1, "%d %s", m.Type, coapTypeNames[m.Type])
		d.sub("token length", 0, 1, "%d", tkl)
		d.add("code", 1, 1, "%s", CoAPCodeString(m.Code))
		d.add("message id", 2, 2, "0x%04X (%d)", m.MessageID, m.MessageID)
	}
	if ver != coapVersion {
		return m, frameErr(ErrMalformed, 0, "version %d, CoAP is version 1", ver)
	}
	if tkl > CoAPMaxTokenLen {
		return m, frameErr(ErrMalformed, 0, "token length %d, at most 8", tkl)
	}
	if m.Code == CoAPCodeEmpty && len(b) > CoAPHeaderLen {
		return m, frameErr(ErrMalformed, CoAPHeaderLen, "an Empty message (0.00) has %d bytes after its header, want none", len(b)-CoAPHeaderLen)
	}
	if CoAPHeaderLen+tkl > len(b) {
		return m, frameErr(ErrShortFrame, len(b), "token of %d bytes runs past the end", tkl)
	}
	if tkl > 0 {
		m.Token = b[4 : 4+tkl]
		if d != nil {
			d.add("token", 4, tkl, "% X", m.Token)
		}
	}
	return m, nil
}

// parseOptions reads the options from b[i] up to the payload marker or
// the end, into one slice of the size they need, and returns where they
// end.
func (m *CoAPMessage) parseOptions(b []byte, i int, d *dissector) (int, error) {
	num, count := 0, 0
	for j := i; j < len(b) && b[j] != coapPayloadMarker; {
		_, next, _, _, err := coapOptionAt(b, j, 0)
		if err != nil {
			break // reported below, where the fields are added
		}
		count++
		j = next
	}
	if count > 0 {
		m.Options = make([]CoAPOption, 0, count)
	}
	for i < len(b) && b[i] != coapPayloadMarker {
		delta, next, valOff, valLen, err := coapOptionAt(b, i, num)
		if err != nil {
			return i, err
		}
		num += delta
		if num > 0xFFFF {
			return i, frameErr(ErrMalformed, i, "option number %d is past 65535", num)
		}
		o := CoAPOption{Number: uint16(num), Value: b[valOff : valOff+valLen]}
		m.Options = append(m.Options, o)
		if d != nil {
			d.add("option "+CoAPOptionName(o.Number), i, next-i, "%s", coapOptionValue(o))
			d.sub("delta", i, 1, "%d (number %d)", delta, num)
			d.sub("length", i, 1, "%d", valLen)
			if valOff > i+1 {
				d.sub("extended delta/length", i+1, valOff-i-1, "% X", b[i+1:valOff])
			}
		}
		i = next
	}
	return i, nil
}

// coapOptionAt reads the option header at b[i]: its delta, where the next
// option starts, and where its value lies.
func coapOptionAt(b []byte, i, num int) (delta, next, valOff, valLen int, err error) {
	delta, length := int(b[i]>>4), int(b[i]&0x0F)
	j := i + 1
	ext := func(v int, what string) (int, error) {
		switch v {
		case 13:
			if j >= len(b) {
				return 0, frameErr(ErrShortFrame, j, "option %s byte missing", what)
			}
			j++
			return int(b[j-1]) + 13, nil
		case 14:
			if j+1 >= len(b) {
				return 0, frameErr(ErrShortFrame, j, "option %s bytes missing", what)
			}
			j += 2
			return int(binary.BigEndian.Uint16(b[j-2:])) + 269, nil
		case 15:
			return 0, frameErr(ErrMalformed, i, "option %s nibble 15 is reserved", what)
		}
		return v, nil
	}
	if delta, err = ext(delta, "delta"); err != nil {
		return
	}
	if length, err = ext(length, "length"); err != nil {
		return
	}
	if j+length > len(b) {
		err = frameErr(ErrShortFrame, len(b), "option %d value of %d bytes runs past the end", num+delta, length)
		return
	}
	return delta, j + length, j, length, nil
}

// coapUintOptions are the options whose values are uints (RFC 7252, 5.10).
func coapUintOption(n uint16) bool {
	switch n {
	case CoAPOptionObserve, CoAPOptionURIPort, CoAPOptionContentFormat, CoAPOptionMaxAge, CoAPOptionAccept,
		CoAPOptionBlock2, CoAPOptionBlock1, CoAPOptionSize2, CoAPOptionSize1:
		return true
	}
	return false
}

func coapOptionValue(o CoAPOption) string {
	if !coapUintOption(o.Number) || len(o.Value) > 4 {
		return printable(o.Value)
	}
	v := CoAPUint(o.Value)
	if o.Number == CoAPOptionContentFormat || o.Number == CoAPOptionAccept {
		if name := coapFormatName(v); name != "" {
			return fmt.Sprintf("%d (%s)", v, name)
		}
	}
	return fmt.Sprint(v)
}

func coapFormatName(v uint32) string {
	switch v {
	case CoAPFormatText:
		return "text/plain"
	case CoAPFormatLinkFormat:
		return "application/link-format"
	case CoAPFormatXML:
		return "application/xml"
	case CoAPFormatOctetStream:
		return "application/octet-stream"
	case CoAPFormatEXI:
		return "application/exi"
	case CoAPFormatJSON:
		return "application/json"
	case CoAPFormatCBOR:
		return "application/cbor"
	}
	return ""
}

// CoAPOptionName names an option number, e.g. "Uri-Path"; unknown numbers
// come back as digits.
func CoAPOptionName(n uint16) string {
	switch n {
	case CoAPOptionIfMatch:
		return "If-Match"
	case CoAPOptionURIHost:
		return "Uri-Host"
	case CoAPOptionETag:
		return "ETag"
	case CoAPOptionIfNoneMatch:
		return "If-None-Match"
	case CoAPOptionObserve:
		return "Observe"
	case CoAPOptionURIPort:
		return "Uri-Port"
	case CoAPOptionLocationPath:
		return "Location-Path"
	case CoAPOptionURIPath:
		return "Uri-Path"
	case CoAPOptionContentFormat:
		return "Content-Format"
	case CoAPOptionMaxAge:
		return "Max-Age"
	case CoAPOptionURIQuery:
		return "Uri-Query"
	case CoAPOptionAccept:
		return "Accept"
	case CoAPOptionLocationQuery:
		return "Location-Query"
	case CoAPOptionBlock2:
		return "Block2"
	case CoAPOptionBlock1:
		return "Block1"
	case CoAPOptionSize2:
		return "Size2"
	case CoAPOptionProxyURI:
		return "Proxy-Uri"
	case CoAPOptionProxyScheme:
		return "Proxy-Scheme"
	case CoAPOptionSize1:
		return "Size1"
	}
	return fmt.Sprint(n)
}

// CoAPCodeString writes a code as RFC 7252 does, class.detail, with its
// name when it has one: "0.02 POST", "2.05 Content".
func CoAPCodeString(c byte) string {
	s := fmt.Sprintf("%d.%02d", c>>5, c&0x1F)
	if name := coapCodeName(c); name != "" {
		s += " " + name
	}
	return s
}

func coapCodeName(c byte) string {
	switch c {
	case CoAPCodeEmpty:
		return "Empty"
	case CoAPCodeGET:
		return "GET"
	case CoAPCodePOST:
		return "POST"
	case CoAPCodePUT:
		return "PUT"
	case CoAPCodeDELETE:
		return "DELETE"
	case CoAPCodeCreated:
		return "Created"
	case CoAPCodeDeleted:
		return "Deleted"
	case CoAPCodeValid:
		return "Valid"
	case CoAPCodeChanged:
		return "Changed"
	case CoAPCodeContent:
		return "Content"
	case CoAPCodeBadRequest:
		return "Bad Request"
	case CoAPCodeUnauthorized:
		return "Unauthorized"
	case CoAPCodeBadOption:
		return "Bad Option"
	case CoAPCodeForbidden:
		return "Forbidden"
	case CoAPCodeNotFound:
		return "Not Found"
	case CoAPCodeMethodNotAllowed:
		return "Method Not Allowed"
	case CoAPCodeRequestEntityTooLarge:
		return "Request Entity Too Large"
	case CoAPCodeUnsupportedFormat:
		return "Unsupported Content-Format"
	case CoAPCodeInternalServerError:
		return "Internal Server Error"
	case CoAPCodeServiceUnavailable:
		return "Service Unavailable"
	case CoAPCodeGatewayTimeout:
		return "Gateway Timeout"
	case CoAPCodeProxyingNotSupported:
		return "Proxying Not Supported"
	}
	return ""
}
