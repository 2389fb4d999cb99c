package httpserver

import (
	"bufio"
	"errors"

	httpparser "netlings/lessons/13_http_parser"
)

// writeResponse writes resp as an HTTP/1.1 response to req into bw (the
// caller flushes). req is nil for the answer to a request the parser refused.
//
// It adds Date, Content-Length (the body's length in bytes), gzip when the
// request allows it, and "Connection: close" when closing is true. An
// HTTP/1.0 request whose connection stays open gets "Connection:
// keep-alive": a 1.0 client takes a response without it as the last. A HEAD
// request gets the header fields a GET would get and no body; a 1xx, 204 or
// 304 response has neither a body nor a Content-Length (RFC 9110 §6.4.1).
func writeResponse(bw *bufio.Writer, req *httpparser.Request, resp *Response, closing bool) error {
	// TODO: "HTTP/1.1 200 OK\r\n" (http.StatusText has the reason phrases),
	// the fields of resp.Header plus Date (http.TimeFormat, UTC),
	// Content-Length = len(body) in bytes, Content-Encoding: gzip and
	// Vary: Accept-Encoding when Accept-Encoding allows gzip (not
	// "gzip;q=0"), Connection: close when closing (keep-alive for an
	// HTTP/1.0 request that keeps it); then "\r\n" and the body,
	// unless the method is HEAD or the status is 1xx, 204 or 304.
	return errors.New("TODO: writeResponse")
}

// textResponse is a text/plain response with the given status and body.
func textResponse(status int, body string) *Response {
	return &Response{
		Status: status,
		Header: httpparser.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte(body),
	}
}
