package iomodels

import (
	"context"
	"errors"
	"net"
)

// ANCHOR: goroutine

// GoroutinePerConn is lesson 02's echo server as a Server: one goroutine
// per connection, each blocked in Read or Write while Go's netpoller
// waits for its socket.
type GoroutinePerConn struct {
	ln net.Listener
}

// NewGoroutinePerConn listens on addr (TCP) and returns the server,
// not serving yet.
func NewGoroutinePerConn(addr string) (*GoroutinePerConn, error) {
	// TODO: net.Listen on addr; return the error if that fails.
	return nil, errors.New("TODO: NewGoroutinePerConn is not written yet")
}

// Addr is the listener's address.
func (s *GoroutinePerConn) Addr() net.Addr {
	// TODO: the listener's Addr.
	return nil
}

// Serve is lesson 02's echo.ServeEcho on UserSpace(listener): ServeEcho
// does everything Server.Serve promises already, and UserSpace makes its
// io.Copy copy through a buffer (see UserSpace).
func (s *GoroutinePerConn) Serve(ctx context.Context) error {
	// TODO: call echo.ServeEcho (import "netlings/lessons/02_echo") on
	// UserSpace(s.ln).
	return errors.New("TODO: GoroutinePerConn.Serve is not written yet")
}

// ANCHOR_END: goroutine
