package testkit

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// SlowCloseListener wraps a listener to judge whether a server waits for
// its connection goroutines. A Read on an accepted connection that fails
// (the connection was closed under it) takes 100 ms more to return, like a
// goroutine that still has some cleaning up to do; Busy counts the Reads
// that have not returned. A server that returns while Busy() > 0 did not
// wait for its goroutines.
type SlowCloseListener struct {
	net.Listener
	busy atomic.Int32
}

// Accept wraps the connection the inner listener accepts. A TCP
// connection keeps its TCP methods (CloseWrite, SetLinger, ...), so a server
// that asks for them with an interface assertion, conn.(interface{
// CloseWrite() error }), still finds them; conn.(*net.TCPConn) does not.
func (l *SlowCloseListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		return &slowCloseTCPConn{TCPConn: tcp, busy: &l.busy}, nil
	}
	return &slowCloseConn{Conn: conn, busy: &l.busy}, nil
}

// Busy is the number of Reads on accepted connections still running.
func (l *SlowCloseListener) Busy() int32 { return l.busy.Load() }

type slowCloseConn struct {
	net.Conn
	busy *atomic.Int32
}

func (c *slowCloseConn) Read(p []byte) (int, error) { return slowRead(c.Conn, c.busy, p) }

type slowCloseTCPConn struct {
	*net.TCPConn
	busy *atomic.Int32
}

func (c *slowCloseTCPConn) Read(p []byte) (int, error) { return slowRead(c.TCPConn, c.busy, p) }

// WriteTo hides the one promoted from *net.TCPConn: io.Copy(w, conn) would
// call it and read the socket directly, past the slow Read, and a server
// that echoes with io.Copy would never look busy.
func (c *slowCloseTCPConn) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, struct{ io.Reader }{c})
}

func slowRead(conn net.Conn, busy *atomic.Int32, p []byte) (int, error) {
	busy.Add(1)
	defer busy.Add(-1)
	n, err := conn.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		time.Sleep(100 * time.Millisecond)
	}
	return n, err
}
