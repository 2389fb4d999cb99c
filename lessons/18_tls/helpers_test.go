package tls

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single dial, handshake, read, write and wait in
// these tests: nothing waits forever, even when the code under test is wrong.
const ioTimeout = 5 * time.Second

// The tests check each of your functions against peers written here, so
// that one unfinished exercise does not make the others fail. These are
// the test's own configurations: what a correct ServerConfig and
// ClientConfig return.

func referenceServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
}

func referenceClientConfig(p *testPKI, clientCert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{RootCAs: p.ca.Pool(), ServerName: "localhost", MinVersion: tls.VersionTLS13}
	if clientCert != nil {
		cfg.Certificates = []tls.Certificate{*clientCert}
	}
	return cfg
}

// testDial connects to addr and completes a TLS handshake with cfg, within
// ioTimeout. The connection gets a deadline and is closed when the test ends.
func testDial(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(ioTimeout))
	return conn.(*tls.Conn), nil
}

// exchange sends msg, closes the sending side, and reads until EOF.
func exchange(conn *tls.Conn, msg []byte) ([]byte, error) {
	sent := make(chan error, 1)
	go func() {
		_, err := conn.Write(msg)
		if err == nil {
			err = conn.CloseWrite()
		}
		sent <- err
	}()
	reply, err := io.ReadAll(conn)
	if err != nil {
		conn.Close()
	}
	if serr := <-sent; err == nil {
		err = serr
	}
	return reply, err
}

// waitForPeer is how long the small-buffer echo server waits, idle, for the
// next bytes of a message or for room to send its echo. After that long it
// gives up and resets the connection.
const waitForPeer = 2 * time.Second

// smallBufferTLSEcho is a TLS echo server written for the tests, with socket
// buffers capped at 64 KiB, so that a client that does not read while it
// writes gets stuck soon. It echoes records as they arrive.
type smallBufferTLSEcho struct {
	addr        string
	noHalfClose atomic.Bool // a client went quiet for waitForPeer without its close_notify
	notReading  atomic.Bool // a client read none of the echo for waitForPeer
}

func startSmallBufferTLSEcho(t *testing.T, cfg *tls.Config) *smallBufferTLSEcho {
	t.Helper()
	e := &smallBufferTLSEcho{}
	e.addr = testkit.StartTCPServer(t, func(raw *net.TCPConn) {
		raw.SetReadBuffer(64 << 10)
		raw.SetWriteBuffer(64 << 10)
		conn := tls.Server(raw, cfg)
		buf := make([]byte, 32<<10)
		for {
			raw.SetReadDeadline(time.Now().Add(waitForPeer))
			n, err := conn.Read(buf) // the first Read also completes the handshake
			if n > 0 {
				raw.SetWriteDeadline(time.Now().Add(waitForPeer))
				if _, werr := conn.Write(buf[:n]); werr != nil {
					if testkit.IsTimeout(werr) {
						e.notReading.Store(true)
						raw.SetLinger(0) // a reset: the client's blocked Write fails now
					}
					return
				}
			}
			switch {
			case err == io.EOF: // the client's close_notify
				raw.SetWriteDeadline(time.Now().Add(waitForPeer))
				conn.Close() // our close_notify, then the TCP connection
				return
			case testkit.IsTimeout(err):
				e.noHalfClose.Store(true)
				raw.SetLinger(0) // a reset: the client must not take it for the end of the echo
				return
			case err != nil:
				return
			}
		}
	})
	return e
}

// handshakeResult is what a test server saw of one client's handshake.
type handshakeResult struct {
	state tls.ConnectionState
	err   error
}

// testTLSServer is an echo server written for the tests, with cfg, that
// reports every handshake on results.
type testTLSServer struct {
	addr    string
	results chan handshakeResult
}

func startTestTLSServer(t *testing.T, cfg *tls.Config) *testTLSServer {
	t.Helper()
	s := &testTLSServer{results: make(chan handshakeResult, 64)}
	s.addr = testkit.StartTCPServer(t, func(raw *net.TCPConn) {
		conn := tls.Server(raw, cfg)
		defer conn.Close()
		err := conn.Handshake() // the connection has a deadline: this cannot hang
		select {
		case s.results <- handshakeResult{conn.ConnectionState(), err}:
		default:
		}
		if err == nil {
			io.Copy(conn, conn)
		}
	})
	return s
}

// nextHandshake waits for the server side of the next handshake.
func (s *testTLSServer) nextHandshake(t *testing.T) handshakeResult {
	t.Helper()
	select {
	case r := <-s.results:
		return r
	case <-time.After(ioTimeout):
		t.Fatalf("the test server saw no handshake within %v", ioTimeout)
		return handshakeResult{}
	}
}

// runningServer is a ServeTLSEcho started by startServeTLSEcho.
type runningServer struct {
	addr   string
	cancel context.CancelFunc
	run    *testkit.Running // ServeTLSEcho, running
}

// startServeTLSEcho runs your ServeTLSEcho with cfg on a fresh loopback
// listener, and stops it when the test ends. It fails the test at once if
// ServeTLSEcho returns on its own.
func startServeTLSEcho(t *testing.T, cfg *tls.Config) *runningServer {
	t.Helper()
	return startServeTLSEchoOn(t, testkit.Listen(t), cfg)
}

// startServeTLSEchoOn is startServeTLSEcho on the listener ln.
func startServeTLSEchoOn(t *testing.T, ln net.Listener, cfg *tls.Config) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningServer{addr: ln.Addr().String(), cancel: cancel}
	s.run = testkit.Go("ServeTLSEcho", func() error { return ServeTLSEcho(ctx, ln, cfg) })
	t.Cleanup(func() {
		cancel()
		s.run.Wait(t, ioTimeout, "its ctx was cancelled (at the end of the test)",
			"close the listener and every connection, then wait for the connection goroutines")
		ln.Close()
	})
	select {
	case <-s.run.Done():
		t.Fatalf("ServeTLSEcho returned right after it started (error: %v); it must keep accepting connections until its ctx is cancelled", s.run.Err())
	case <-time.After(100 * time.Millisecond):
	}
	return s
}

// trackingListener wraps a listener and remembers every connection it
// accepted, so that a test can check what a server did with them: closed
// or not, still being read or not.
type trackingListener struct {
	net.Listener
	closed atomic.Bool

	mu    sync.Mutex
	conns []*trackedConn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c}
	l.mu.Lock()
	l.conns = append(l.conns, tc)
	l.mu.Unlock()
	return tc, nil
}

func (l *trackingListener) Close() error {
	l.closed.Store(true)
	return l.Listener.Close()
}

func (l *trackingListener) accepted() []*trackedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.conns)
}

// trackedConn is a connection that knows whether it was closed and how many
// Reads are in progress. A Read that fails because the connection was
// closed returns only after lingerAfterClose, like a goroutine that still
// has some cleaning up to do: a server that does not wait for its
// connection goroutines returns while they are still here.
type trackedConn struct {
	net.Conn
	closed  atomic.Bool
	reading atomic.Int32
}

const lingerAfterClose = 300 * time.Millisecond

func (c *trackedConn) Read(b []byte) (int, error) {
	c.reading.Add(1)
	defer c.reading.Add(-1)
	n, err := c.Conn.Read(b)
	if err != nil && c.closed.Load() {
		time.Sleep(lingerAfterClose)
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}
