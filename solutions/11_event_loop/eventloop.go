// Package eventloop is lesson 11: an echo server on one thread, written by
// hand on Linux's epoll, with non-blocking sockets and no goroutine per
// connection.
//
// Read book/11_event_loop.md first, then make the tests in this folder pass:
//
//	make check-lesson N=11
//
// The exercises are in new_linux.go, conn_linux.go and run_linux.go.
// loop_linux.go (the types and a few helpers) is given, and so is
// loop_other.go: on macOS and Windows the package compiles, but New says
// that it needs Linux and the tests skip. This file is given too.
//
//netlings:given
package eventloop

import "errors"

var (
	// ErrNeedsLinux is what New returns on every system but Linux: epoll is
	// a Linux system call (macOS and the BSDs have kqueue instead).
	ErrNeedsLinux = errors.New("the epoll event loop needs Linux")

	// ErrRunning is what a second Run returns while the first one is
	// still serving: one loop, one thread.
	ErrRunning = errors.New("eventloop: Run is already running")

	// ErrStopped is what Run returns once Stop has been called (or an
	// earlier Run has returned): its sockets are closed, so there is
	// nothing left to run. Make a new Loop with New.
	ErrStopped = errors.New("eventloop: the loop is stopped")
)
