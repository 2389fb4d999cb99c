// Package channels is lesson 09: a bounded worker pool and a
// per-connection pipeline, both built from goroutines and channels.
//
// Read book/09_channels.md first, then make the tests in this folder pass:
//
//	make check-lesson N=9
package channels

import (
	"context"
	"errors"
	"net"
)

// BusyLine is the whole answer a client gets when the pool's queue is
// full: these bytes, then the server closes the connection at once.
const BusyLine = "BUSY\n"

// ErrPoolSize is returned by ServePool when workers < 1 or queue < 0.
var ErrPoolSize = errors.New("channels: a pool needs workers >= 1 and queue >= 0")

// ANCHOR: servepool

// ServePool accepts connections on ln and serves them with a fixed pool of
// workers goroutines instead of one goroutine per connection.
//
// The accept loop hands every connection to a queue, a channel with room
// for queue connections, and each worker takes connections from it one at
// a time and calls handle. So at most workers handlers run at once, and at
// most queue connections wait for a worker. When the queue is full, the
// new connection gets BusyLine and is closed straight away: it is never
// left waiting for a worker.
//
// The pool owns every connection it accepts: it closes conn after handle
// returns (handle may close it too), and it closes the BUSY ones.
//
// When ctx is cancelled, ServePool closes ln, closes the connections still
// waiting in the queue without handling them, lets the handlers that are
// already running finish (it does not interrupt them: a handler that may
// block on an idle client should set deadlines of its own), waits for
// every goroutine it started, and returns nil. Accept's net.ErrClosed (the
// listener was closed by its owner) is a stop too: the same cleanup and
// nil. Any other Accept error is returned after the same cleanup. ln is
// closed when ServePool returns.
//
// workers < 1 or queue < 0 is ErrPoolSize, returned at once.
func ServePool(ctx context.Context, ln net.Listener, workers, queue int, handle func(conn net.Conn)) error {
	// TODO: make a channel of net.Conn with room for queue, start workers
	// goroutines that range over it, call handle and close the conn. The
	// accept loop sends with a select that has a default case (full: write
	// BusyLine, close). Only the accept loop sends, so only it closes the
	// channel, after its loop. See "Shutting a pool down" in the chapter.
	return errors.New("TODO: ServePool is not written yet")
}

// ANCHOR_END: servepool
