package httpparser

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
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

// readWithin parses raw with ReadRequest and lim, and fails the test if
// ReadRequest does not return within testkit.CallTimeout.
func readWithin(t *testing.T, raw string, lim Limits) (*Request, error) {
	t.Helper()
	return testkit.Returns2(t, "ReadRequest", "every loop must end: at the empty line, at a limit or at an error",
		func() (*Request, error) { return ReadRequest(bufio.NewReader(strings.NewReader(raw)), lim) })
}

// readAllStrict reads r to its end like io.ReadAll, within
// testkit.CallTimeout, and fails the test if a Read returns 0 bytes and no
// error: io.Reader's contract says to return the error (io.EOF,
// io.ErrUnexpectedEOF, ...) from the Read that meets it.
func readAllStrict(t *testing.T, what string, r io.Reader) (string, error) {
	t.Helper()
	var (
		out      []byte
		err      error
		zeroRead bool
	)
	testkit.Call(t, what+".Read", "Read must return data or an error; at the end of the input, io.EOF", func() {
		buf := make([]byte, 7) // small and odd: many Reads, some across chunk boundaries
		for {
			n, rerr := r.Read(buf)
			out = append(out, buf[:n]...)
			if rerr != nil {
				err = rerr
				return
			}
			if n == 0 {
				zeroRead = true
				return
			}
		}
	})
	require.False(t, zeroRead,
		"%s.Read returned 0 bytes and no error (after %q): return the error from the Read that meets it (io.EOF, io.ErrUnexpectedEOF), not one call later", what, out)
	if err == io.EOF {
		err = nil
	}
	return string(out), err
}
