package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	httpparser "netlings/lessons/13_http_parser"
	"netlings/tools/testkit"
)

// ioTimeout bounds every single read, write, dial and wait in these tests:
// nothing waits forever, even when the server under test is wrong.
const ioTimeout = 5 * time.Second

// secret is the content of a file next to the server's Root, never inside
// it: no request may ever get it.
const secret = "TOP SECRET: outside the root"

// testServer is a running Server and what the tests know about it.
type testServer struct {
	*Server
	addr    string           // host:port
	url     string           // http://host:port
	dir     string           // Root's parent, which holds secret.txt
	accepts *atomic.Int64    // connections the server accepted so far
	dials   atomic.Int64     // raw connections dial opened so far
	serve   *testkit.Running // the Serve call
	cancel  context.CancelFunc
}

// newServer returns a Server with a fresh Root directory inside a
// temporary directory that also holds secret.txt, and timeouts short enough
// for tests but long enough for a loaded machine.
func newServer(t testing.TB) *Server {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	require.NoError(t, os.Mkdir(root, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(secret), 0o644))
	return &Server{
		Root:              root,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       2 * time.Second,
		WriteTimeout:      2 * time.Second,
		IdleTimeout:       3 * time.Second,
	}
}

// stopHint is the advice when Serve does not return after its ctx is done.
const stopHint = "when ctx is done, close the listener and every open connection (idle kept-alive ones too: connSet.closeAll), then wait for the connection goroutines"

// start runs s.Serve on a loopback listener until the test ends (or
// ts.stop), and makes sure Serve returns nil when its context is cancelled.
func start(t testing.TB, s *Server) *testServer {
	t.Helper()
	return startOn(t, s, testkit.Listen(t))
}

// startOn is start on the listener ln, which may wrap a loopback listener.
func startOn(t testing.TB, s *Server, ln net.Listener) *testServer {
	t.Helper()
	counted := &countingListener{Listener: ln, n: new(atomic.Int64)}
	ctx, cancel := context.WithCancel(context.Background())
	serve := testkit.Go("Serve", func() error { return s.Serve(ctx, counted) })

	select {
	case <-serve.Done():
		cancel()
		require.FailNow(t, "Serve returned at once", "Serve must keep accepting until its context is cancelled; it returned %v", serve.Err())
	case <-time.After(20 * time.Millisecond):
	}
	addr := ln.Addr().String()
	ts := &testServer{Server: s, addr: addr, url: "http://" + addr, dir: filepath.Dir(s.Root),
		accepts: counted.n, serve: serve, cancel: cancel}
	t.Cleanup(func() {
		if !serve.Returned() {
			ts.stop(t)
		}
	})
	return ts
}

// stop cancels Serve's context and checks that Serve returns nil soon.
func (ts *testServer) stop(t testing.TB) {
	t.Helper()
	ts.cancel()
	err := ts.serve.Wait(t, ioTimeout, "its ctx was cancelled", stopHint)
	assert.NoError(t, err, "a cancelled ctx is a normal stop: Serve should return nil (Accept's net.ErrClosed is expected then)")
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// respReader reads the server's responses on one raw connection, and keeps
// what it needs to explain a failure.
type respReader struct {
	*bufio.Reader
	ts        *testServer
	nth       int64  // this connection was the nth that dial opened
	answers   int64  // responses read from it
	pipelined []bool // for each request sent: was it in the same write as the one before?
}

// conns maps each raw connection to its respReader, for send.
var conns sync.Map

// dial opens a raw TCP connection to the server, with a deadline on
// everything done with it.
func dial(t *testing.T, ts *testServer) (net.Conn, *respReader) {
	t.Helper()
	return dialSending(t, ts, "")
}

// dialSending is dial that sends raw at once, before Serve accepts the
// connection: the server's first wait finds it there even on a machine so
// loaded that the test is slow to run again.
func dialSending(t *testing.T, ts *testServer, raw string) (net.Conn, *respReader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, ioTimeout)
	require.NoError(t, err)
	rr := &respReader{Reader: bufio.NewReader(conn), ts: ts, nth: ts.dials.Add(1)}
	conns.Store(conn, rr)
	t.Cleanup(func() {
		conns.Delete(conn)
		conn.Close()
	})
	conn.SetDeadline(time.Now().Add(ioTimeout))
	if raw != "" {
		send(t, conn, raw)
	}
	// The kernel completes the handshake for Serve; Accept must follow at
	// once, even while other connections are open.
	deadline := time.Now().Add(acceptTimeout)
	for ts.accepts.Load() < rr.nth && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if ts.accepts.Load() < rr.nth {
		require.FailNow(t, "the server did not accept a new connection", "it was not accepted within %v while an earlier connection to the server was still open: the server is busy serving that one. Serve each connection in its own goroutine (go or wg.Go after Accept) and go straight back to Accept", acceptTimeout)
	}
	return conn, rr
}

// acceptTimeout is how long dial waits for Serve to accept its connection.
const acceptTimeout = 3 * time.Second

// requestLine matches the request lines in what a test sends.
var requestLine = regexp.MustCompile(`(?m)^[A-Z]+ \S+ HTTP/1\.[01]\r$`)

// send writes raw request bytes.
func send(t *testing.T, conn net.Conn, raw string) {
	t.Helper()
	if rr, ok := conns.Load(conn); ok {
		for i := range requestLine.FindAllString(raw, -1) {
			rr.(*respReader).pipelined = append(rr.(*respReader).pipelined, i > 0)
		}
	}
	_, err := io.WriteString(conn, raw)
	require.NoError(t, err, "writing the request")
}

// readResponse reads one response with net/http's parser (method tells it
// whether a body follows) and returns it with its whole body.
func readResponse(t *testing.T, rr *respReader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(rr.Reader, &http.Request{Method: method})
	if err != nil {
		require.Fail(t, "no response to "+method, rr.explain(err))
	}
	rr.answers++
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the body of a response to %s: is Content-Length the body's length in bytes?", method)
	resp.Body.Close()
	return resp, string(body)
}

// explain says why reading a response failed with err, in the learner's terms.
func (rr *respReader) explain(err error) string {
	pipelined := rr.answers < int64(len(rr.pipelined)) && rr.pipelined[rr.answers]
	switch {
	case testkit.IsTimeout(err) && rr.ts.accepts.Load() < rr.nth:
		return fmt.Sprintf("no response within %v, and the server has not even accepted this connection: it is still busy with an earlier one. Serve each connection in its own goroutine (go or wg.Go after Accept)", ioTimeout)
	case testkit.IsTimeout(err):
		return fmt.Sprintf("no response within %v: the server read the request (or waits for more of it) and sent nothing (%v)", ioTimeout, err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Sprintf("the server reset the connection (%v) before its response could be read. Closing a socket with unread bytes in it (say, the rest of a refused body) makes the kernel send a reset, which destroys the response: close lingering (CloseWrite, read and discard within LingerTimeout and LingerBytes, then Close)", err)
	case (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) && pipelined:
		return fmt.Sprintf("the server closed the connection (%v) without answering request %d, which was sent in the same write as request %d, already answered. Requests sent together arrive in one Read: the bufio.Reader that read the first one holds the next ones too. Create ONE bufio.Reader per connection, before the loop, and read every request from it", err, rr.answers+1, rr.answers)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the server closed the connection (%v) without a whole response", err)
	}
	return fmt.Sprintf("the server's bytes are not a valid HTTP/1.1 response: %v", err)
}

// expectClosed checks that the server closes conn: a read returns EOF (or a
// reset) before the deadline, after at most the bytes of what remains. Then
// it closes conn too, which ends a lingering close at once.
func expectClosed(t *testing.T, conn net.Conn, rr *respReader, within time.Duration, why string) {
	t.Helper()
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, rr)
	if testkit.IsTimeout(err) {
		require.Fail(t, "the server kept the connection open", "%s: it was still open after %v", why, within)
	}
}

// client is a net/http client with a timeout and its own connection pool.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: ioTimeout, Transport: tr}
}

// get does a GET with c and returns the response and its body.
func get(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(t, err, "GET %s", url)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the body of GET %s", url)
	return resp, string(body)
}

// put does a PUT of body with c; chunked sends it without a Content-Length.
func put(t *testing.T, c *http.Client, url, body string, chunked bool) *http.Response {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // hides the length: net/http sends it chunked
	}
	req, err := http.NewRequest("PUT", url, r)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err, "PUT %s", url)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// needCurl returns curl's path. Without curl the test is skipped locally, and
// fails in CI, which installs it.
func needCurl(t *testing.T) string {
	path, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("needs curl, and CI installs it: is `make tools` part of the CI job?")
		}
		t.Skip("needs curl: run `make tools`")
	}
	return path
}

// runCurl runs curl with args and returns its stdout and stderr (-v output).
func runCurl(t *testing.T, curl string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*ioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, append([]string{"--silent", "--show-error", "--verbose", "--http1.1", "--max-time", "5"}, args...)...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(t, err, "curl %s failed:\n%s", strings.Join(args, " "), errOut.String())
	return out.String(), errOut.String()
}

// trickle writes data to conn one byte every 20 ms, calling each (if not nil)
// after byte i, until it is all sent or the server closes conn. It returns how
// long the connection lasted from the first byte, at most ioTimeout.
func trickle(conn net.Conn, br io.Reader, data string, each func(i int)) time.Duration {
	begin := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, br) // until the server closes (or the 5 s deadline)
		closed <- time.Since(begin)
	}()
	for i := 0; i < len(data); i++ {
		conn.Write([]byte{data[i]})
		if each != nil {
			each(i)
		}
		select {
		case lasted := <-closed:
			return lasted
		case <-time.After(20 * time.Millisecond):
		}
	}
	select {
	case lasted := <-closed:
		return lasted
	case <-time.After(ioTimeout):
		return ioTimeout
	}
}

// writeDirectly calls writeResponse itself, for a GET / that keeps its
// connection, and returns what it wrote: what a client cannot see through
// the server.
func writeDirectly(t *testing.T, resp *Response) string {
	t.Helper()
	req := &httpparser.Request{Method: "GET", Target: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: httpparser.Header{"Host": {"x"}}, Host: "x"}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	err := testkit.Returns(t, "writeResponse", "", func() error { return writeResponse(bw, req, resp, false) })
	require.NoError(t, err, "writeResponse into a bufio.Writer on a bytes.Buffer")
	require.NoError(t, bw.Flush())
	return buf.String()
}
