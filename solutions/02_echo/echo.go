// Package echo is lesson 02: a TCP echo server and its client.
//
// Read book/02_echo.md first, then make the tests in this folder pass:
//
//	make check-lesson N=2
package echo

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
)

// ANCHOR: serve

// ServeEcho accepts connections on ln and serves each one in its own
// goroutine, so that a slow or idle client never delays another one.
//
// Serving a connection means writing back every byte read from it, in
// order, until the client half-closes its side (Read returns io.EOF);
// then the server closes the connection, which the client sees as EOF.
//
// When ctx is cancelled, ServeEcho closes ln, closes every connection it
// still has open (idle clients included), waits until every connection
// goroutine has returned, and returns nil. A closed listener is how a
// server stops, not a failure: Accept's net.ErrClosed makes ServeEcho
// return nil. Any other Accept error is returned, after the same cleanup.
//
// ServeEcho never returns before all of its goroutines have returned, and
// ln is closed when it returns.
func ServeEcho(ctx context.Context, ln net.Listener) error {
	// stop is our own "cancel": however ServeEcho returns, it ends every
	// connection exactly as a cancelled ctx would.
	ctx, stop := context.WithCancel(ctx)
	var conns sync.WaitGroup
	defer func() {
		ln.Close()   // no new clients
		stop()       // closes every open connection (see serveConn)
		conns.Wait() // and waits until their goroutines have returned
	}()

	// Accept blocks and takes no context. Closing the listener is the one
	// way to wake it up: Accept then fails with net.ErrClosed.
	context.AfterFunc(ctx, func() { ln.Close() })

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil // we are shutting down: not a failure
			}
			return err
		}
		conns.Go(func() { serveConn(ctx, conn) })
	}
}

// ANCHOR_END: serve

// ANCHOR: serveconn

// serveConn echoes conn until the client's EOF, then closes it. If ctx is
// cancelled first, the connection is closed under the blocked Read, which
// then fails and ends the copy.
func serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stopWatching := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopWatching()

	// io.Copy loops Read -> Write until Read returns io.EOF (the client's
	// FIN), so payloads of any size come back whole. Its error only tells
	// why this one client went away; there is nobody to report it to.
	_, _ = io.Copy(conn, conn)
}

// ANCHOR_END: serveconn
