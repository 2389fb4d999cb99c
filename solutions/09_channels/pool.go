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
	"sync"
	"time"
)

// BusyLine is the whole answer a client gets when the pool's queue is
// full: these bytes, then the server closes the connection at once.
const BusyLine = "BUSY\n"

// ErrPoolSize is returned by ServePool when workers < 1 or queue < 0.
var ErrPoolSize = errors.New("channels: a pool needs workers >= 1 and queue >= 0")

// busyTimeout bounds the write of BusyLine. A new connection's send buffer
// is empty, so the write does not block in practice; the deadline makes
// sure the accept loop never does.
const busyTimeout = time.Second

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
	defer ln.Close()
	if workers < 1 || queue < 0 {
		return ErrPoolSize
	}
	// stopping is cancelled by the caller's ctx or when the accept loop
	// ends for any other reason: either way no new handler may start.
	stopping, stop := context.WithCancel(ctx)
	defer stop()
	unwatch := context.AfterFunc(stopping, func() { ln.Close() })
	defer unwatch()

	conns := make(chan net.Conn, queue)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { work(stopping, conns, handle) })
	}

	err := acceptInto(ln, conns)
	stop()
	// Only the accept loop sends on conns, and it has returned: closing
	// the channel now can never make a send panic.
	close(conns)
	// Close what is still queued. The workers take part in this too: a
	// worker that receives a connection after stop closes it unhandled.
	for conn := range conns {
		conn.Close()
	}
	wg.Wait()

	if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// ANCHOR_END: servepool

// ANCHOR: accept

// acceptInto accepts connections and queues them until Accept fails, and
// returns Accept's error. It never blocks on a full queue.
func acceptInto(ln net.Listener, conns chan<- net.Conn) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		select {
		case conns <- conn:
		default:
			// Full: answer now rather than leave the client hanging on a
			// connection that nobody will read for a long time.
			conn.SetWriteDeadline(time.Now().Add(busyTimeout))
			conn.Write([]byte(BusyLine))
			conn.Close()
		}
	}
}

// work is one worker: it serves queued connections one after another
// until the queue is closed. After stopping is done it closes the
// connections it still receives instead of handling them.
func work(stopping context.Context, conns <-chan net.Conn, handle func(net.Conn)) {
	for conn := range conns {
		if stopping.Err() == nil {
			handle(conn)
		}
		conn.Close()
	}
}

// ANCHOR_END: accept
