package framing

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single read, write, dial and wait in these tests:
// nothing waits forever, even when the code under test is wrong.
const ioTimeout = testkit.IOTimeout

// errBroken is what the tests' broken readers and writers fail with.
var errBroken = errors.New("test: this reader/writer is broken on purpose")

// ---- frames, the test's own way (so the server tests do not depend on
// your WriteFrame and ReadFrame) ----

// frameOf encodes payload as a frame: a big-endian uint32 length, then
// the payload.
func frameOf(payload string) []byte {
	return append(header(uint32(len(payload))), payload...)
}

// header is a bare length prefix that claims n bytes of payload.
func header(n uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, n)
}

// readTestFrame reads one frame the test's own way, with a limit of
// MaxFrame+64 bytes so that a wrong server cannot make the test allocate
// much either.
func readTestFrame(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > MaxFrame+64 {
		return nil, fmt.Errorf("the server sent a frame header % x that claims %d bytes: is the length big-endian, and written before the payload?", h, n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("the server's reply frame was cut short after its header claimed %d bytes: %w", n, err)
	}
	return p, nil
}

// ---- calling your code, bounded ----

// readFrame calls ReadFrame(r), bounded: a ReadFrame that never returns
// fails the test within seconds.
func readFrame(t *testing.T, r io.Reader) ([]byte, error) {
	t.Helper()
	return testkit.Returns2(t, "ReadFrame", "read exactly 4 bytes of length, then exactly that many bytes of payload (io.ReadFull)",
		func() ([]byte, error) { return ReadFrame(r) })
}

// writeFrame calls WriteFrame(w, p), bounded.
func writeFrame(t *testing.T, w io.Writer, p []byte) error {
	t.Helper()
	return testkit.Returns(t, "WriteFrame", "", func() error { return WriteFrame(w, p) })
}

// handle calls store.Handle(req), bounded, and turns a panic into a test
// failure that names the request.
func handle(t *testing.T, s *Store, req string) string {
	t.Helper()
	reply, panicked := testkit.Returns2(t, "Store.Handle", "does a lock stay locked (defer mu.Unlock())?", func() (reply []byte, panicked any) {
		defer func() { panicked = recover() }()
		return s.Handle([]byte(req)), nil
	})
	if panicked != nil {
		t.Fatalf("Store.Handle(%q) panicked: %v. Bad requests get an ERR reply, never a panic", req, panicked)
	}
	return string(reply)
}

// scanLines runs a bufio.Scanner with SplitCRLF(maxLen) over r, with a
// buffer that starts at bufSize bytes (and may grow to 4 KiB), and returns
// the lines it gave and Scanner.Err(). It is bounded, and a panic in the
// split func comes back as an error.
func scanLines(t *testing.T, r io.Reader, maxLen, bufSize int) (lines []string, err error) {
	t.Helper()
	return testkit.Returns2(t, "Scanner.Scan with SplitCRLF", "", func() (lines []string, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("the Scanner panicked: %v (a split func that returns (0, nil, nil) must not be called again with the same data at EOF)", p)
			}
		}()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, bufSize), 4<<10)
		sc.Split(SplitCRLF(maxLen))
		lines = []string{}
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		return lines, sc.Err()
	})
}

// ---- test readers and writers ----

// recordingWriter remembers every Write call it gets, as a separate copy.
type recordingWriter struct{ writes [][]byte }

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

// all is everything written, joined.
func (w *recordingWriter) all() []byte {
	var b []byte
	for _, p := range w.writes {
		b = append(b, p...)
	}
	return b
}

// failingWriter fails every Write with errBroken.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errBroken }

// tripwireReader gives data, then fails every later Read with errTripped
// and counts them: a test reader for "ReadFrame must not read further".
type tripwireReader struct {
	data    []byte
	tripped atomic.Int32
}

var errTripped = errors.New("test: read past the point where ReadFrame should have stopped")

func (r *tripwireReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		r.tripped.Add(1)
		return 0, errTripped
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// endlessReader gives one 'a' per Read, forever, but fails with errTripped
// once limit bytes are out: the test's way to say "you read too far".
type endlessReader struct{ given, limit int }

func (r *endlessReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.given >= r.limit {
		return 0, errTripped
	}
	r.given++
	p[0] = 'a'
	return 1, nil
}

// ---- the key-value server ----

// kvServer is a ServeKV started by startKV.
type kvServer struct {
	addr   string
	store  *Store
	cancel context.CancelFunc
	run    *testkit.Running
}

// startKV runs ServeKV(ctx, ln, store) on ln. When the test ends it closes
// ln, cancels ctx and waits for ServeKV to return. It fails the test at
// once if ServeKV returns on its own.
func startKV(t *testing.T, ln net.Listener, store *Store) *kvServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &kvServer{addr: ln.Addr().String(), store: store, cancel: cancel}
	s.run = testkit.Go("ServeKV", func() error { return ServeKV(ctx, ln, store) })
	t.Cleanup(func() {
		// Closing the listener first lets even a server that ignores ctx
		// return; TestServeKV_CancelStopsServerAndClosesConnections
		// judges ctx.
		ln.Close()
		cancel()
		s.run.Wait(t, ioTimeout, "its listener was closed and its ctx cancelled", "close every connection and wait for their goroutines")
	})
	select {
	case <-s.run.Done():
		t.Fatalf("ServeKV returned right after it started (error: %v); it must keep accepting connections until its ctx is cancelled", s.run.Err())
	case <-time.After(50 * time.Millisecond):
	}
	return s
}

// requireRunning fails the test if ServeKV has returned.
func (s *kvServer) requireRunning(t *testing.T, after string) {
	t.Helper()
	if s.run.Returned() {
		t.Fatalf("ServeKV returned (error: %v) after %s: one client's mistake must end at most that client's connection, never the server", s.run.Err(), after)
	}
}

// kvClient is a test client of the key-value protocol. It writes frames
// and reads replies the test's own way.
type kvClient struct {
	conn *net.TCPConn
	r    *bufio.Reader
}

func dialKV(t *testing.T, addr string) *kvClient {
	t.Helper()
	conn := testkit.DialTCP(t, addr)
	return &kvClient{conn: conn, r: bufio.NewReader(conn)}
}

// do sends req as one frame and returns the reply frame's payload. It
// returns errors instead of failing the test, so goroutines can use it.
func (c *kvClient) do(req string) (string, error) {
	if _, err := c.conn.Write(frameOf(req)); err != nil {
		return "", fmt.Errorf("sending %q: %w", req, err)
	}
	reply, err := readTestFrame(c.r)
	if err != nil {
		return "", fmt.Errorf("reading the reply to %q: %w", req, err)
	}
	return string(reply), nil
}

// mustDo is do that fails the test on an error, explaining it.
func (c *kvClient) mustDo(t *testing.T, req string) string {
	t.Helper()
	reply, err := c.do(req)
	if testkit.IsTimeout(err) {
		t.Fatalf("no reply to %q within %v: does every request frame get one reply frame, written with WriteFrame? (%v)", req, ioTimeout, err)
	}
	require.NoError(t, err, "request %q: the server should answer with one frame and keep the connection open", req)
	return reply
}
