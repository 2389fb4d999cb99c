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

// Accept wraps the connection the inner listener accepts.
func (l *SlowCloseListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &slowCloseConn{Conn: conn, busy: &l.busy}, nil
}

// Busy is the number of Reads on accepted connections still running.
func (l *SlowCloseListener) Busy() int32 { return l.busy.Load() }

type slowCloseConn struct {
	net.Conn
	busy *atomic.Int32
}

func (c *slowCloseConn) Read(p []byte) (int, error) {
	c.busy.Add(1)
	defer c.busy.Add(-1)
	n, err := c.Conn.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		time.Sleep(100 * time.Millisecond)
	}
	return n, err
}
