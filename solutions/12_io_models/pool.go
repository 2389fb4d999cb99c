package iomodels

import (
	"context"
	"io"
	"net"

	channels "netlings/lessons/09_channels"
)

// ANCHOR: pool

// Pool is lesson 09's worker pool serving the echo: workers goroutines,
// started up front, each serving one connection at a time, from the first
// byte to the client's EOF; up to queue more connections wait for a free
// worker, and a connection that finds the queue full gets channels.BusyLine
// and is closed.
//
// A worker is busy for as long as its client stays connected, even when
// that client says nothing. So workers is how many clients the pool serves
// at once: client workers+1 waits in the queue until one of them leaves
// (head-of-line blocking), however idle the others are.
type Pool struct {
	ln             net.Listener
	workers, queue int
}

// NewPool listens on addr (TCP) and returns the pool, not serving yet.
// workers < 1 or queue < 0 is channels.ErrPoolSize, before listening.
func NewPool(addr string, workers, queue int) (*Pool, error) {
	if workers < 1 || queue < 0 {
		return nil, channels.ErrPoolSize // before Listen: nothing to close
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Pool{ln: ln, workers: workers, queue: queue}, nil
}

// Addr is the listener's address.
func (p *Pool) Addr() net.Addr { return p.ln.Addr() }

// Serve runs lesson 09's channels.ServePool on UserSpace(listener) (see
// UserSpace) with an echo handler. ServePool does not interrupt a handler
// when ctx is cancelled: it waits for it. So the handler itself must end
// its connection when ctx is done, or one idle client would keep Serve
// from returning.
func (p *Pool) Serve(ctx context.Context) error {
	return channels.ServePool(ctx, UserSpace(p.ln), p.workers, p.queue, func(conn net.Conn) {
		// Closing the connection under a blocked Read is the one way to
		// wake the handler; the pool closes it again afterwards, harmless.
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		io.Copy(conn, conn) // until the client's EOF, or the close above
	})
}

// ANCHOR_END: pool
