package http_server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	addr    string        // host:port
	url     string        // http://host:port
	dir     string        // Root's parent, which holds secret.txt
	accepts *atomic.Int64 // connections accepted so far
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

// start runs s.Serve on a loopback listener until the test ends, and makes
// sure Serve returns when its context is cancelled.
func start(t testing.TB, s *Server) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	counted := &countingListener{Listener: ln, n: new(atomic.Int64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, counted) }()

	select {
	case err := <-done:
		cancel()
		require.FailNow(t, "Serve returned at once", "Serve must keep accepting until its context is cancelled; it returned %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(ioTimeout):
			t.Errorf("Serve did not return within %v of its context being cancelled: close the listener and every connection, then wait for the connection goroutines", ioTimeout)
		}
	})
	addr := ln.Addr().String()
	return &testServer{Server: s, addr: addr, url: "http://" + addr, dir: filepath.Dir(s.Root), accepts: counted.n}
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

// dial opens a raw TCP connection to the server, with a deadline on
// everything done with it.
func dial(t *testing.T, ts *testServer) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, ioTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(ioTimeout))
	return conn, bufio.NewReader(conn)
}

// send writes raw request bytes.
func send(t *testing.T, conn net.Conn, raw string) {
	t.Helper()
	_, err := io.WriteString(conn, raw)
	require.NoError(t, err, "writing the request")
}

// readResponse reads one response with net/http's parser (method tells it
// whether a body follows) and returns it with its whole body.
func readResponse(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	require.NoError(t, err, "reading a response to %s: the server's bytes are not a valid HTTP/1.1 response (or it sent none)", method)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the body of a response to %s: is Content-Length the body's length in bytes?", method)
	resp.Body.Close()
	return resp, string(body)
}

// expectClosed checks that the server closes conn: a read returns EOF (or a
// reset) before the deadline, after at most the bytes of what remains.
func expectClosed(t *testing.T, conn net.Conn, br *bufio.Reader, within time.Duration, why string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(within))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
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
func trickle(conn net.Conn, br *bufio.Reader, data string, each func(i int)) time.Duration {
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
