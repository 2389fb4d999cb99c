package testkit

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ServerConnTimeout is how long a connection accepted by StartTCPServer may
// live: its deadline, set when it is accepted. It is longer than IOTimeout
// so the client under test always gives up first.
const ServerConnTimeout = 2 * IOTimeout

// Listen opens a TCP listener on a free loopback port (127.0.0.1:0, never
// a fixed port). It is closed when the test ends; closing it earlier is
// fine.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "the test could not open a listener")
	t.Cleanup(func() { ln.Close() })
	return ln
}

// DialTCP connects a test client to addr within IOTimeout, and sets the
// connection's deadline to IOTimeout from now, so every later read and
// write ends by then too. The connection is closed when the test ends.
func DialTCP(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, IOTimeout)
	require.NoError(t, err, "the test client could not connect to the server")
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(IOTimeout)))
	return conn.(*net.TCPConn)
}

// IsTimeout reports whether err is a deadline that expired: the peer did
// not close the connection, it just said nothing.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// StartTCPServer runs a test server on a loopback listener and returns its
// address. It calls handle for each connection in its own goroutine and
// closes the connection when handle returns. Every connection gets a
// deadline ServerConnTimeout after it is accepted, so a handle that blocks
// in Read or Write returns by then. When the test ends StartTCPServer closes
// the listener and every connection, and waits for the goroutines.
func StartTCPServer(t testing.TB, handle func(*net.TCPConn)) string {
	t.Helper()
	ln := Listen(t)
	var wg sync.WaitGroup
	var conns connSet
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // the listener was closed: the test is over
			}
			if !conns.add(conn) {
				return
			}
			conn.SetDeadline(time.Now().Add(ServerConnTimeout))
			wg.Go(func() {
				defer conn.Close()
				handle(conn.(*net.TCPConn))
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		conns.closeAll()
		wg.Wait()
	})
	return ln.Addr().String()
}

// connSet is the open connections of a test server, so that the test's
// cleanup can close them.
type connSet struct {
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

// add records conn, or closes it and returns false if closeAll has run
// already (a connection accepted just before the listener closed).
func (s *connSet) add(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return false
	}
	s.conns = append(s.conns, conn)
	return true
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
}

// StartSilentServer runs a test server that accepts connections and reads
// everything sent to it, but never answers and never closes a connection
// before the test ends: a client that waits for a reply waits until its
// own deadline.
func StartSilentServer(t testing.TB) string {
	t.Helper()
	return StartTCPServer(t, func(conn *net.TCPConn) {
		io.Copy(io.Discard, conn)
		<-t.Context().Done() // hold the connection open until the test ends
	})
}

// BrokenListener is a net.Listener whose Accept always fails with Err, as
// a real one does when the process runs out of file descriptors. Close
// takes 200 ms, as a real one may, then records that it finished, for
// Closed to report: a server that leaves the Close to a goroutine (a
// context.AfterFunc) has not closed its listener when it returns. Addr is
// 127.0.0.1.
type BrokenListener struct {
	Err    error
	closed atomic.Bool
}

func (l *BrokenListener) Accept() (net.Conn, error) { return nil, l.Err }
func (l *BrokenListener) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *BrokenListener) Close() error {
	time.Sleep(200 * time.Millisecond)
	l.closed.Store(true)
	return nil
}

// Closed reports whether a Close has finished.
func (l *BrokenListener) Closed() bool { return l.closed.Load() }
