package httpserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
// ANCHOR: writeResponse
func writeResponse(bw *bufio.Writer, req *httpparser.Request, resp *Response, closing bool) error {
	h := httpparser.Header{}
	for name, values := range resp.Header {
		h[name] = slices.Clone(values)
	}
	body := resp.Body
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if bodyAllowed(resp.Status) {
		if req != nil && acceptsGzip(req) && len(body) >= minGzip && h.Get("Content-Encoding") == "" {
			body = gzipped(body)
			h.Set("Content-Encoding", "gzip")
			h.Add("Vary", "Accept-Encoding")
		}
		h.Set("Content-Length", strconv.Itoa(len(body))) // bytes, not runes
	} else {
		body = nil
	}
	switch {
	case closing:
		h.Set("Connection", "close")
	case req != nil && req.ProtoMinor == 0:
		h.Set("Connection", "keep-alive") // 1.0 is not persistent unless we say so
	}
	if req != nil && req.Method == "HEAD" {
		body = nil // the fields describe the body a GET would get
	}

	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.Status, http.StatusText(resp.Status))
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			fmt.Fprintf(bw, "%s: %s\r\n", name, v)
		}
	}
	bw.WriteString("\r\n")
	_, err := bw.Write(body)
	return err
}

// ANCHOR_END: writeResponse

// bodyAllowed reports whether a response with this status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != 204 && status != 304
}

// minGzip is the smallest body worth compressing: below it, gzip's 20-odd
// bytes of header and trailer make the body longer.
const minGzip = 64

// acceptsGzip reports whether Accept-Encoding lists gzip with a non-zero
// q-value ("gzip", "gzip;q=0.5", but not "gzip;q=0"), or "*".
// ANCHOR: acceptsGzip
func acceptsGzip(req *httpparser.Request) bool {
	for _, field := range req.Header.Values("Accept-Encoding") {
		for _, item := range strings.Split(field, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && coding != "*" {
				continue
			}
			q, hasQ := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			if !hasQ {
				return true
			}
			if v, err := strconv.ParseFloat(q, 64); err == nil && v > 0 {
				return true
			}
		}
	}
	return false
}

// ANCHOR_END: acceptsGzip

// gzipped compresses body.
func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(body) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}

// textResponse is a text/plain response with the given status and body.
func textResponse(status int, body string) *Response {
	return &Response{
		Status: status,
		Header: httpparser.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   []byte(body),
	}
}
