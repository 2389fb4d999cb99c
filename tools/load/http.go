package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"time"
)

// Bounds on a response head, so a broken server cannot make us buffer forever.
const (
	maxLineBytes   = 8 << 10  // one status or header line
	maxHeaderBytes = 64 << 10 // all header lines of one response
)

// worker owns one keep-alive connection and sends one request at a time on it.
type worker struct {
	addr    string
	request []byte // the whole request, written with one Write

	link
}

// roundTrip sends one request and reads its response, dialing first if the
// worker has no connection. gotResponse reports whether a whole response
// arrived (even one with an error status).
func (w *worker) roundTrip(ctx context.Context) (gotResponse bool, err error) {
	if err := w.ready(ctx, w.dial); err != nil {
		return false, err
	}
	if _, err := w.conn.Write(w.request); err != nil {
		w.hangUp()
		return false, err
	}
	status, mustClose, err := readResponse(w.br)
	if err != nil {
		w.hangUp()
		return false, err
	}
	if mustClose { // the server said Connection: close; the next request redials
		w.hangUp()
	}
	if status < 200 || status > 299 {
		return true, fmt.Errorf("%w: %d", errStatus, status)
	}
	return true, nil
}

// link is a worker's connection: conn, a reader on it, and the watcher that
// moves conn's deadline into the past when the run's ctx is done, so that
// no Read or Write outlives the run.
type link struct {
	conn net.Conn
	br   *bufio.Reader
	stop func() bool // unregisters the ctx watcher of conn
}

// open dials addr and watches ctx for the new connection.
func (l *link) open(ctx context.Context, addr string, bufSize int) error {
	d := net.Dialer{Timeout: IOTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	l.conn, l.br = c, bufio.NewReaderSize(c, bufSize)
	l.stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return nil
}

// ready makes sure there is a connection, dialling with dial if there is
// none, and gives it one deadline for the whole exchange. The ctx watcher
// moves that deadline into the past when ctx is done; checking ctx after
// setting it closes the window where the watcher ran just before.
func (l *link) ready(ctx context.Context, dial func(context.Context) error) error {
	if l.conn == nil {
		if err := dial(ctx); err != nil {
			pause(ctx, 10*time.Millisecond) // a refused dial returns at once: do not spin
			return err
		}
	}
	l.conn.SetDeadline(time.Now().Add(IOTimeout))
	return ctx.Err()
}

// close closes the connection, if there is one.
func (l *link) close() {
	if l.conn == nil {
		return
	}
	l.stop()
	l.conn.Close()
	l.conn, l.br, l.stop = nil, nil, nil
}

func (w *worker) dial(ctx context.Context) error { return w.open(ctx, w.addr, 16<<10) }

func (w *worker) hangUp() { w.close() }

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

var (
	errMalformed = errors.New("malformed response")
	errTooLong   = errors.New("response head too long")
)

// readResponse reads one HTTP/1.1 response to a GET from br, skipping 1xx
// interim responses, and discards its body. mustClose reports whether the
// connection cannot carry another request: the server said Connection:
// close, spoke HTTP/1.0 without keep-alive, or delimited the body by
// closing the connection.
func readResponse(br *bufio.Reader) (status int, mustClose bool, err error) {
	for {
		h, err := readHead(br)
		if err != nil {
			return 0, false, err
		}
		if h.status >= 100 && h.status <= 199 {
			continue // 100 Continue and friends: the real response follows
		}
		closeAfter, err := discardBody(br, h)
		return h.status, closeAfter || h.close, err
	}
}

// head is what readResponse needs from a status line and header block.
type head struct {
	status        int
	close         bool
	chunked       bool
	contentLength int64 // -1 when absent
}

func readHead(br *bufio.Reader) (head, error) {
	line, err := readLine(br)
	if err != nil {
		return head{}, err
	}
	h, err := parseStatusLine(line)
	if err != nil {
		return head{}, err
	}
	total := 0
	for {
		line, err := readLine(br)
		if err != nil {
			return head{}, err
		}
		if len(line) == 0 {
			return h, nil
		}
		if total += len(line); total > maxHeaderBytes {
			return head{}, errTooLong
		}
		if err := h.field(line); err != nil {
			return head{}, err
		}
	}
}

// parseStatusLine parses "HTTP/1.1 200 OK".
func parseStatusLine(line []byte) (head, error) {
	h := head{contentLength: -1}
	version, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(rest) < 3 || (len(rest) > 3 && rest[3] != ' ') {
		return h, fmt.Errorf("%w: status line %q", errMalformed, line)
	}
	switch string(version) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		h.close = true // unless the server says keep-alive
	default:
		return h, fmt.Errorf("%w: version %q", errMalformed, version)
	}
	code, err := strconv.Atoi(string(rest[:3]))
	if err != nil || code < 100 {
		return h, fmt.Errorf("%w: status code %q", errMalformed, rest[:3])
	}
	h.status = code
	return h, nil
}

// field records the header fields that frame the body or the connection.
func (h *head) field(line []byte) error {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return fmt.Errorf("%w: header line %q", errMalformed, line)
	}
	value = bytes.TrimSpace(value)
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := strconv.ParseUint(string(value), 10, 62)
		if err != nil || (h.contentLength >= 0 && int64(n) != h.contentLength) {
			return fmt.Errorf("%w: Content-Length %q", errMalformed, value)
		}
		h.contentLength = int64(n)
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		h.chunked = hasToken(value, "chunked")
	case bytes.EqualFold(name, []byte("Connection")):
		if hasToken(value, "close") {
			h.close = true
		} else if hasToken(value, "keep-alive") {
			h.close = false
		}
	}
	return nil
}

func hasToken(list []byte, token string) bool {
	for t := range bytes.SplitSeq(list, []byte(",")) {
		if bytes.EqualFold(bytes.TrimSpace(t), []byte(token)) {
			return true
		}
	}
	return false
}

// discardBody reads and drops the body that h announces. readToEOF reports
// a body delimited by the end of the connection.
func discardBody(br *bufio.Reader, h head) (readToEOF bool, err error) {
	switch {
	case h.status == 204 || h.status == 304:
		return false, nil // never a body (RFC 9112, section 6.3)
	case h.chunked:
		if _, err := io.Copy(io.Discard, httputil.NewChunkedReader(br)); err != nil {
			return false, err
		}
		return false, discardTrailers(br)
	case h.contentLength >= 0:
		_, err := br.Discard(int(h.contentLength))
		return false, err
	default:
		_, err := io.Copy(io.Discard, br)
		return true, err
	}
}

// discardTrailers reads the trailer section after the last chunk, up to and
// including its empty line; NewChunkedReader stops before it.
func discardTrailers(br *bufio.Reader) error {
	total := 0
	for {
		line, err := readLine(br)
		if err != nil || len(line) == 0 {
			return err
		}
		if total += len(line); total > maxHeaderBytes {
			return errTooLong
		}
	}
}

// readLine returns one line without its CRLF (or bare LF). The slice is only
// valid until the next read from br.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxLineBytes {
		return nil, errTooLong
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	return bytes.TrimSuffix(line, []byte("\r")), nil
}
