package tls

import (
	"context"
	"crypto/tls"
	"io"
	"net"
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
	done   chan struct{} // closed when ServeTLSEcho has returned
	err    error         // what it returned; read it after <-done
}

// startServeTLSEcho runs your ServeTLSEcho with cfg on a fresh loopback
// listener, and stops it when the test ends. It fails the test at once if
// ServeTLSEcho returns on its own.
func startServeTLSEcho(t *testing.T, cfg *tls.Config) *runningServer {
	t.Helper()
	ln := testkit.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningServer{addr: ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = ServeTLSEcho(ctx, ln, cfg)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(ioTimeout):
			t.Errorf("ServeTLSEcho did not return within %v after its ctx was cancelled", ioTimeout)
		}
		ln.Close()
	})
	select {
	case <-s.done:
		t.Fatalf("ServeTLSEcho returned right after it started (error: %v); it must keep accepting connections until its ctx is cancelled", s.err)
	case <-time.After(100 * time.Millisecond):
	}
	return s
}
