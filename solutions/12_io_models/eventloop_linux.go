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
	l, err := eventloop.New(addr)
	if err != nil {
		return nil, err
	}
	return &EventLoop{loop: l}, nil
}

// Addr is the loop's address.
func (e *EventLoop) Addr() net.Addr { return e.loop.Addr() }

// Serve runs the loop until ctx is cancelled. The loop's Run blocks and
// takes no ctx: run it in a goroutine, Stop the loop when ctx is done,
// and return only once Run has returned. If Run fails on its own first,
// Serve returns its error (after stopping the loop, which closes its fds).
func (e *EventLoop) Serve(ctx context.Context) error {
	ran := make(chan error, 1)
	go func() { ran <- e.loop.Run() }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-ran: // Run failed on its own: nothing to wait for below
		ran = nil
	}
	e.loop.Stop() // wakes Run, or closes the fds if Run never got to run
	if ran != nil {
		err = <-ran
	}
	if errors.Is(err, eventloop.ErrStopped) {
		return nil // ctx was cancelled before Run started: Stop came first
	}
	return err
}

// ANCHOR_END: eventloop
