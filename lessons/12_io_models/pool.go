package iomodels

import (
	"context"
	"errors"
	"net"
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
	// TODO: check the sizes (return channels.ErrPoolSize), then net.Listen.
	return nil, errors.New("TODO: NewPool is not written yet")
}

// Addr is the listener's address.
func (p *Pool) Addr() net.Addr {
	// TODO: the listener's Addr.
	return nil
}

// Serve runs lesson 09's channels.ServePool on UserSpace(listener) (see
// UserSpace) with an echo handler. ServePool does not interrupt a handler
// when ctx is cancelled: it waits for it. So the handler itself must end
// its connection when ctx is done, or one idle client would keep Serve
// from returning.
func (p *Pool) Serve(ctx context.Context) error {
	// TODO: channels.ServePool(ctx, UserSpace(p.ln), p.workers, p.queue, handler),
	// where handler echoes until the client's EOF (io.Copy) and closes the
	// connection when ctx is done (context.AfterFunc).
	return errors.New("TODO: Pool.Serve is not written yet")
}

// ANCHOR_END: pool
