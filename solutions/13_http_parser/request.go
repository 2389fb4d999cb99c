// Package httpparser reads HTTP/1.1 requests from a byte stream, the way a
// server must: strictly, within limits, and with an answer ready for every
// kind of bad input.
//
// This file is given: the types ReadRequest fills in and the error type that
// carries a status code. Your work is in parse.go and chunked.go.
//
//netlings:given
package httpparser

import (
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"net/url"
)

// Request is a parsed request head plus a reader for its body.
type Request struct {
	Method     string   // "GET", "POST", ... (a token, case-sensitive)
	Target     string   // the request-target exactly as sent: "/echo/hi?x=1"
	URL        *url.URL // Target parsed with url.ParseRequestURI
	Proto      string   // "HTTP/1.1"
	ProtoMajor int      // 1
	ProtoMinor int      // 1 (or 0 for HTTP/1.0)

	// Header holds the header fields under canonical keys
	// ("content-type" is stored as "Content-Type"), one entry per field
	// line, in the order they arrived. Values have their leading and
	// trailing spaces and tabs removed.
	Header Header

	// Host is the authority the request is for: the host of an absolute
	// target ("GET http://example.com/ HTTP/1.1") or else the Host field.
	Host string

	// ContentLength is the body's length in bytes: the Content-Length
	// value, 0 when the request has no body, -1 when the body is chunked.
	ContentLength int64

	// TransferEncoding is ["chunked"] for a chunked body, nil otherwise.
	TransferEncoding []string

	// Body reads the body: exactly ContentLength bytes, or the decoded
	// chunks. It is never nil. Body reads from the same bufio.Reader as
	// ReadRequest, so a server must read the body to its end (or close the
	// connection) before it reads the next request. A body cut short by the
	// peer returns io.ErrUnexpectedEOF.
	Body io.Reader

	// Trailer receives the trailer fields of a chunked body once Body has
	// returned io.EOF. It is nil for bodies that are not chunked.
	Trailer Header

	// Close reports whether the client wants the connection closed after
	// this request: "Connection: close", or HTTP/1.0 without
	// "Connection: keep-alive".
	Close bool
}

// Limits bound what a client can make the parser read and keep. A zero field
// means "use the value in DefaultLimits".
type Limits struct {
	// MaxLineBytes bounds one line, without its CRLF: the request line
	// (longer → 414 URI Too Long), a header or trailer field line (longer →
	// 431), a chunk-size line (longer → 400).
	MaxLineBytes int
	// MaxHeaders bounds the number of header field lines (more → 431), and
	// separately the number of trailer field lines.
	MaxHeaders int
	// MaxHeaderBytes bounds the whole head: the request line and every
	// header line, CRLFs included, up to and including the empty line
	// (more → 431). The trailer section has the same bound.
	MaxHeaderBytes int
}

// DefaultLimits are the limits used for a zero field of Limits.
var DefaultLimits = Limits{
	MaxLineBytes:   8 << 10,
	MaxHeaders:     100,
	MaxHeaderBytes: 32 << 10,
}

// WithDefaults returns l with every zero field taken from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultLimits.MaxLineBytes
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultLimits.MaxHeaders
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultLimits.MaxHeaderBytes
	}
	return l
}

// ProtocolError is a request the parser refuses. Status is the HTTP status a
// server should answer with before it closes the connection: 400 Bad
// Request, 414 URI Too Long, 431 Request Header Fields Too Large, 501 Not
// Implemented or 505 HTTP Version Not Supported.
type ProtocolError struct {
	Status int
	Reason string // for logs and for the response body, e.g. "bare CR in header line"
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("http: %d %s", e.Status, e.Reason)
}

// errorf returns a *ProtocolError with the given status.
func errorf(status int, format string, args ...any) error {
	return &ProtocolError{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// StatusOf returns the status code a server should answer err with: the
// Status of the *ProtocolError in err's chain. It returns 0 for nil and for
// every other error (io.EOF, io.ErrUnexpectedEOF, a timeout): those mean the
// connection failed, and the right answer is to close it without a response.
func StatusOf(err error) int {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return 0
}

// Header maps canonical field names to their values, like net/http.Header.
type Header map[string][]string

// Add appends value to the values of the field name (any case).
func (h Header) Add(name, value string) {
	key := textproto.CanonicalMIMEHeaderKey(name)
	h[key] = append(h[key], value)
}

// Set replaces the values of the field name (any case) with value.
func (h Header) Set(name, value string) {
	h[textproto.CanonicalMIMEHeaderKey(name)] = []string{value}
}

// Get returns the first value of the field name (any case), or "".
func (h Header) Get(name string) string {
	if v := h[textproto.CanonicalMIMEHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of the field name (any case), in order.
func (h Header) Values(name string) []string {
	return h[textproto.CanonicalMIMEHeaderKey(name)]
}

// Del removes the field name (any case).
func (h Header) Del(name string) {
	delete(h, textproto.CanonicalMIMEHeaderKey(name))
}
