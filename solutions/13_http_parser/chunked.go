package httpparser

import (
	"bufio"
	"io"
	"math"
	"strings"
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
// has a stray CR, chunk data not followed by CRLF. A body cut
// short is io.ErrUnexpectedEOF. Errors are sticky: every later Read returns
// the same error.
type ChunkedReader struct {
	br      *bufio.Reader
	trailer Header
	lim     Limits
	left    int64 // data bytes left in the current chunk
	inChunk bool  // a chunk has started; its data must end in CRLF
	err     error
}

// NewChunkedReader returns a ChunkedReader reading from br. The trailer
// fields are added to trailer (nil: read and drop them), bounded by lim like
// a header section.
func NewChunkedReader(br *bufio.Reader, trailer Header, lim Limits) *ChunkedReader {
	return &ChunkedReader{br: br, trailer: trailer, lim: lim.WithDefaults()}
}

// Read reads decoded chunk data into p.
// ANCHOR: Read
func (c *ChunkedReader) Read(p []byte) (int, error) {
	for c.err == nil && c.left == 0 {
		c.err = c.nextChunk()
	}
	if c.err != nil {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // EOF inside a chunk: the body is cut short
	}
	c.err = err
	return n, err
}

// ANCHOR_END: Read

// nextChunk ends the current chunk (its CRLF), then reads the next chunk-size
// line. After the last chunk it reads the trailers and returns io.EOF.
// ANCHOR: nextChunk
func (c *ChunkedReader) nextChunk() error {
	if c.inChunk {
		if err := c.expectCRLF(); err != nil {
			return err
		}
	}
	budget := c.lim.MaxLineBytes + 2
	line, err := readLine(c.br, c.lim.MaxLineBytes, &budget, 400)
	if err != nil {
		return unexpected(err)
	}
	size, err := parseChunkSize(line)
	if err != nil {
		return err
	}
	if size == 0 {
		budget = c.lim.MaxHeaderBytes
		trailer, err := readFields(c.br, c.lim, &budget)
		if err != nil {
			return unexpected(err)
		}
		for name, values := range trailer {
			if c.trailer != nil {
				c.trailer[name] = append(c.trailer[name], values...)
			}
		}
		return io.EOF
	}
	c.left, c.inChunk = size, true
	return nil
}

// ANCHOR_END: nextChunk

// expectCRLF reads the CRLF that ends a chunk's data.
func (c *ChunkedReader) expectCRLF() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil {
		return unexpected(err)
	}
	if string(crlf[:]) != "\r\n" {
		return errorf(400, "chunk data not followed by CRLF")
	}
	return nil
}

// parseChunkSize parses chunk-size [ chunk-ext ]: hex digits, then optionally
// ";" and extensions, which we ignore. Like net/http we allow spaces and tabs
// at the end of the line, and nowhere else.
// ANCHOR: parseChunkSize
func parseChunkSize(line string) (int64, error) {
	hex, _, _ := strings.Cut(strings.TrimRight(line, " \t"), ";")
	if hex == "" || len(hex) > 16 {
		return 0, errorf(400, "bad chunk size %q", line)
	}
	var n int64
	for i := 0; i < len(hex); i++ {
		d := hexValue(hex[i])
		if d < 0 {
			return 0, errorf(400, "bad chunk size %q", line)
		}
		if n > math.MaxInt64>>4 {
			return 0, errorf(400, "chunk size %q overflows", line)
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}

// ANCHOR_END: parseChunkSize

// hexValue returns the value of the hex digit c, or -1.
func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
