//go:build linux

package iomodels

import (
	"context"
	"errors"
	"net"

	eventloop "netlings/lessons/11_event_loop"
)

// ANCHOR: eventloop

// EventLoop is lesson 11's epoll loop as a Server: one goroutine, locked
// to one thread, serves every connection; no goroutine per connection.
type EventLoop struct {
	loop *eventloop.Loop
}

// NewEventLoop makes lesson 11's loop on addr (eventloop.New), not
// serving yet.
func NewEventLoop(addr string) (*EventLoop, error) {
	// TODO: eventloop.New(addr).
	return nil, errors.New("TODO: NewEventLoop is not written yet")
}

// Addr is the loop's address.
func (e *EventLoop) Addr() net.Addr {
	// TODO: the loop's Addr.
	return nil
}

// Serve runs the loop until ctx is cancelled. The loop's Run blocks and
// takes no ctx: run it in a goroutine, Stop the loop when ctx is done,
// and return only once Run has returned. If Run fails on its own first,
// Serve returns its error (after stopping the loop, which closes its fds).
func (e *EventLoop) Serve(ctx context.Context) error {
	// TODO: go Run; wait for ctx.Done() or Run's end; Stop; wait for Run.
	return errors.New("TODO: EventLoop.Serve is not written yet")
}

// ANCHOR_END: eventloop
