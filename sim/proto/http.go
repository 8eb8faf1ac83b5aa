package proto

import (
	"bytes"
	"strconv"
	"strings"
)

// Header bytes below the application frame on IP media, without options,
// for the overhead the world counts per message.
const (
	TCPIPv4Overhead = 40 // IPv4 20 + TCP 20
	UDPIPv4Overhead = 28 // IPv4 20 + UDP 8
	TCPIPv6Overhead = 60 // IPv6 40 + TCP 20
	UDPIPv6Overhead = 48 // IPv6 40 + UDP 8
)

// AppendHTTPPost appends an HTTP/1.1 POST of a JSON body to path on host,
// the request a device sends a reading to a REST endpoint with.
func AppendHTTPPost(dst []byte, host, path string, body []byte) []byte {
	return AppendHTTPRequest(dst, "POST", host, path, "application/json", body)
}

// AppendHTTPRequest appends an HTTP/1.1 request: request line, Host,
// Content-Type (left out when contentType is empty), Content-Length (when
// there is a body, or the method is POST, PUT or PATCH, which always send
// one), a blank line and the body. Header lines end in CRLF as RFC 9112
// requires. An empty path is sent as "/".
func AppendHTTPRequest(dst []byte, method, host, path, contentType string, body []byte) []byte {
	if path == "" {
		path = "/"
	}
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\n"...)
	return appendHTTPBody(dst, contentType, body, len(body) > 0 || method == "POST" || method == "PUT" || method == "PATCH")
}

// AppendHTTPResponse appends an HTTP/1.1 response: status line with the
// standard reason phrase, Content-Type (left out when contentType is
// empty), Content-Length, a blank line and the body.
func AppendHTTPResponse(dst []byte, status int, contentType string, body []byte) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, HTTPStatusText(status)...)
	dst = append(dst, "\r\n"...)
	return appendHTTPBody(dst, contentType, body, true)
}

func appendHTTPBody(dst []byte, contentType string, body []byte, length bool) []byte {
	if contentType != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, contentType...)
		dst = append(dst, "\r\n"...)
	}
	if length {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...)
}

// HTTPStatusText returns the reason phrase of the status codes a device or
// its cloud answers with, or "Status" for others (the phrase carries no
// meaning on the wire).
func HTTPStatusText(status int) string {
	switch status {
	case 100:
		return "Continue"
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	case 204:
		return "No Content"
	case 301:
		return "Moved Permanently"
	case 304:
		return "Not Modified"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 413:
		return "Content Too Large"
	case 415:
		return "Unsupported Media Type"
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return "Status"
}

// dissectHTTP lays out an HTTP/1.1 message line by line and checks that
// the body is as long as Content-Length says.
func dissectHTTP(d *dissector, f []byte) error {
	head, body, complete := bytes.Cut(f, []byte("\r\n\r\n"))
	if len(f) == 0 {
		return frameErr(ErrShortFrame, 0, "empty HTTP message")
	}
	off, contentLength := 0, -1
	for i, line := range strings.Split(string(head), "\r\n") {
		n := len(line) + 2
		if !complete && off+n > len(head) {
			n = len(head) - off // the last line has no CRLF yet
		}
		if i == 0 {
			if err := dissectHTTPStartLine(d, line, n); err != nil {
				return err
			}
			off += n
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			d.add("header", off, n, "%q", line)
			return frameErr(ErrMalformed, off, "header line %q has no name: value", line)
		}
		v = strings.TrimSpace(v)
		d.add(k, off, n, "%s", v)
		if strings.EqualFold(k, "Content-Length") {
			cl, err := strconv.Atoi(v)
			if err != nil || cl < 0 {
				return frameErr(ErrMalformed, off, "Content-Length %q is not a byte count", v)
			}
			contentLength = cl
		}
		if strings.EqualFold(k, "Transfer-Encoding") {
			return frameErr(ErrUnsupported, off, "Transfer-Encoding %s: only Content-Length bodies are decoded", v)
		}
		off += n
	}
	if !complete {
		return frameErr(ErrShortFrame, len(f), "no blank line ends the headers")
	}
	d.add("blank line", off, 2, "end of headers")
	if len(body) > 0 || contentLength > 0 {
		d.add("body", off+2, len(body), "%s", printable(body))
	}
	switch {
	case contentLength < 0 && len(body) > 0:
		return frameErr(ErrMalformed, off+2, "a body of %d bytes and no Content-Length", len(body))
	case contentLength > len(body):
		return frameErr(ErrShortFrame, len(f), "Content-Length %d, only %d bytes of body", contentLength, len(body))
	case contentLength >= 0 && contentLength < len(body):
		return frameErr(ErrMalformed, off+2+contentLength, "Content-Length %d, %d bytes of body", contentLength, len(body))
	}
	return nil
}

func dissectHTTPStartLine(d *dissector, line string, n int) error {
	a, rest, ok1 := strings.Cut(line, " ")
	b, c, ok2 := strings.Cut(rest, " ")
	if strings.HasPrefix(line, "HTTP/") {
		d.add("status line", 0, n, "%q", line)
		if !ok1 || len(b) != 3 {
			return frameErr(ErrMalformed, 0, "status line %q is not HTTP/1.1 CODE REASON", line)
		}
		d.sub("version", 0, len(a), "%s", a)
		d.sub("status", len(a)+1, 3, "%s", b)
		if ok2 {
			d.sub("reason", len(a)+5, len(c), "%s", c)
		}
		return nil
	}
	d.add("request line", 0, n, "%q", line)
	if !ok1 || !ok2 || !strings.HasPrefix(c, "HTTP/") {
		return frameErr(ErrMalformed, 0, "request line %q is not METHOD TARGET HTTP/1.1", line)
	}
	d.sub("method", 0, len(a), "%s", a)
	d.sub("target", len(a)+1, len(b), "%s", b)
	d.sub("version", len(a)+len(b)+2, len(c), "%s", c)
	return nil
}
