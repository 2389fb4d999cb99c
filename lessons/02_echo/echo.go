// Package echo is lesson 02: a TCP echo server and its client.
//
// Read book/02_echo.md first, then make the tests in this folder pass:
//
//	make check-lesson N=2
package echo

import (
	"context"
	"errors"
	"net"
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
	// TODO: loop on ln.Accept() and serve every connection in a new
	// goroutine: io.Copy(conn, conn) echoes until the client's EOF, then
	// close conn. Close ln and the open connections when ctx is done
	// (context.AfterFunc helps), and wait for the goroutines
	// (sync.WaitGroup) before returning. See "Shutting down" in the chapter.
	return errors.New("TODO: ServeEcho is not written yet")
}

// ANCHOR_END: serve
