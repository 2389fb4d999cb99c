package framing

import (
	"context"
	"errors"
	"net"
)

// ANCHOR: serve

// ServeKV serves the key-value protocol (see Store) on ln, over frames,
// with store as the data: each connection in its own goroutine, all of
// them sharing store.
//
// A connection is a loop: read a request frame, answer it with
// store.Handle's reply frame, repeat. Requests may arrive several in one
// segment or one in many; the replies come back in order. What a client
// does wrong ends at most its own connection, never another one and never
// the server:
//
//   - a bad request (unknown command, empty frame, ...) gets an ERR reply
//     and the connection stays open;
//   - a length over MaxFrame (text sent without a length prefix reads as
//     one) gets the reply "ERR frame too large", then the server closes
//     the connection, since the stream is out of step;
//   - a client that closes or resets its connection, between frames or in
//     the middle of one, has its connection closed without a reply.
//
// When ctx is cancelled, ServeKV closes ln, closes every open connection,
// waits until every connection goroutine has returned, and returns nil. A
// listener closed by its owner (Accept's net.ErrClosed) also makes it
// return nil; any other Accept error is returned, after the same cleanup.
// ln is closed when ServeKV returns.
func ServeKV(ctx context.Context, ln net.Listener, store *Store) error {
	// TODO: lesson 02's accept loop and shutdown, with a connection
	// goroutine that loops: ReadFrame (on one bufio.Reader for the whole
	// connection), store.Handle, WriteFrame. On ErrFrameTooLarge, reply
	// "ERR frame too large" and close; on any other read error, just close.
	return errors.New("TODO: ServeKV is not written yet")
}

// ANCHOR_END: serve
