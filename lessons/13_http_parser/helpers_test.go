package http_parser

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readOne parses raw with ReadRequest and DefaultLimits.
func readOne(raw string) (*Request, error) {
	return ReadRequest(bufio.NewReader(strings.NewReader(raw)), Limits{})
}

// mustRead parses raw and fails the test with a readable message if
// ReadRequest returns an error.
func mustRead(t *testing.T, raw string) *Request {
	t.Helper()
	req, err := readOne(raw)
	require.NoError(t, err, "ReadRequest refused a valid request:\n%q", raw)
	require.NotNil(t, req, "ReadRequest returned neither a request nor an error")
	return req
}

// readBody reads a request's whole body; it fails the test if Body is nil.
func readBody(t *testing.T, req *Request) (string, error) {
	t.Helper()
	require.NotNil(t, req.Body, "Request.Body must never be nil: give a body-less request a reader that returns io.EOF at once")
	b, err := io.ReadAll(req.Body)
	return string(b), err
}

// countingReader counts the bytes read through it and fails after max bytes,
// so a parser without limits gets an error instead of reading forever.
type countingReader struct {
	r   io.Reader
	n   int
	max int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.max {
		return 0, io.ErrClosedPipe
	}
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// endlessHeaders is a request head that never ends: "X-N: aaaa...\r\n" forever.
type endlessHeaders struct{ started bool }

func (e *endlessHeaders) Read(p []byte) (int, error) {
	line := "X-Filler: " + strings.Repeat("a", 50) + "\r\n"
	if !e.started {
		e.started = true
		line = "GET / HTTP/1.1\r\nHost: example.com\r\n"
	}
	return copy(p, line), nil
}

// endless is a stream of one byte that never ends.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}
