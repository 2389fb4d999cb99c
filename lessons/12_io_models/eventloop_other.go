//go:build !linux

package iomodels

//netlings:given

import (
	"context"
	"net"

	eventloop "netlings/lessons/11_event_loop"
)

// EventLoop is lesson 11's epoll loop. epoll is Linux only: here
// NewEventLoop returns eventloop.ErrNeedsLinux and the tests skip it.
type EventLoop struct{}

// NewEventLoop returns eventloop.ErrNeedsLinux.
func NewEventLoop(addr string) (*EventLoop, error) { return nil, eventloop.ErrNeedsLinux }

// Addr returns nil.
func (e *EventLoop) Addr() net.Addr { return nil }

// Serve returns eventloop.ErrNeedsLinux.
func (e *EventLoop) Serve(ctx context.Context) error { return eventloop.ErrNeedsLinux }
