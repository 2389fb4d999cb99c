package httpparser

import (
	"bufio"
	"errors"
)

// ChunkedReader decodes a chunked body (RFC 9112 §7.1):
//
//	chunk-size [ ";" extensions ] CRLF  chunk-data CRLF   ... repeated
//	"0" CRLF  trailer fields  CRLF
//
// Read returns the chunk data only. After the last chunk it reads the trailer
// section into the Header given to NewChunkedReader and returns io.EOF,
// leaving br at the first byte after the body: the next request.
//
// Bad framing is a *ProtocolError with Status 400: a chunk-size that is not
// hex or does not fit an int64, a chunk-size line that ends in a bare LF or
// has a stray CR, chunk data not followed by CRLF. A body cut short is
// io.ErrUnexpectedEOF. Errors are sticky: every later Read returns the same
// error.
type ChunkedReader struct {
	// TODO: add what Read needs to remember between calls: br, the trailer
	// Header, the limits, how many bytes of the current chunk are left, and
	// the sticky error.
}

// NewChunkedReader returns a ChunkedReader reading from br. The trailer
// fields are added to trailer (nil: read and drop them), bounded by lim like
// a header section.
func NewChunkedReader(br *bufio.Reader, trailer Header, lim Limits) *ChunkedReader {
	// TODO: keep br, trailer and lim.WithDefaults().
	return &ChunkedReader{}
}

// Read reads decoded chunk data into p.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	// TODO: at a chunk boundary, check the CRLF after the previous chunk's
	// data and read the next chunk-size line (hex, at most 16 digits, an
	// optional ";extension" to ignore). Size 0: read the trailer fields like
	// header fields, then return io.EOF. Otherwise read at most the rest of
	// the chunk into p.
	return 0, errors.New("TODO: ChunkedReader.Read")
}
