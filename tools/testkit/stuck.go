package testkit

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// StuckListener's connections can be told to stop taking writes, as if the
// peer had stopped reading and every TCP buffer were full: after Stick, a
// Write waits for the write deadline (without one, until Close) and fails
// with os.ErrDeadlineExceeded. The kernel, whose buffers let a few more
// bytes through now and then, would make that moment hard to pin down.
//
// Scale, when set, maps every deadline the server sets, so a test can turn
// a 10 s write deadline into half a second.
type StuckListener struct {
	net.Listener
	Scale func(time.Time) time.Time
}

// Accept wraps the connection the inner listener accepts in a *StuckConn.
func (l StuckListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	scale := l.Scale
	if scale == nil {
		scale = func(t time.Time) time.Time { return t }
	}
	return &StuckConn{Conn: c, scale: scale, closed: make(chan struct{})}, nil
}

// StuckConn is a connection accepted by a StuckListener. It embeds the
// interface, not *net.TCPConn, so that every write goes through Write
// (net.Buffers would find the TCP connection's writev).
type StuckConn struct {
	net.Conn
	scale     func(time.Time) time.Time
	stuck     atomic.Bool
	attempts  atomic.Int32              // writes tried while stuck
	deadline  atomic.Pointer[time.Time] // the write deadline, scaled
	closeOnce sync.Once
	closed    chan struct{}
}

// Stick makes every later Write wait for the write deadline and fail.
func (c *StuckConn) Stick() { c.stuck.Store(true) }

// Attempts counts the writes tried since Stick.
func (c *StuckConn) Attempts() int { return int(c.attempts.Load()) }

func (c *StuckConn) SetDeadline(t time.Time) error {
	t = c.scale(t)
	c.deadline.Store(&t)
	return c.Conn.SetDeadline(t)
}

func (c *StuckConn) SetWriteDeadline(t time.Time) error {
	t = c.scale(t)
	c.deadline.Store(&t)
	return c.Conn.SetWriteDeadline(t)
}

func (c *StuckConn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.scale(t)) }

// CloseWrite half-closes the TCP connection underneath.
func (c *StuckConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *StuckConn) Write(p []byte) (int, error) {
	if !c.stuck.Load() {
		return c.Conn.Write(p)
	}
	c.attempts.Add(1)
	var expired <-chan time.Time
	if d := c.deadline.Load(); d != nil && !d.IsZero() {
		timer := time.NewTimer(time.Until(*d))
		defer timer.Stop()
		expired = timer.C
	}
	select {
	case <-expired:
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *StuckConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
