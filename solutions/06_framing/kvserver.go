package framing

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
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
	ctx, stop := context.WithCancel(ctx)
	var conns sync.WaitGroup
	defer func() {
		ln.Close()
		stop()       // closes every open connection (see serveKVConn)
		conns.Wait() // and waits for their goroutines
	}()
	context.AfterFunc(ctx, func() { ln.Close() }) // wakes Accept

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		conns.Go(func() { serveKVConn(ctx, conn, store) })
	}
}

// ANCHOR_END: serve

// ANCHOR: serveconn

// serveKVConn answers the requests of one client until it goes away, sends
// a frame the server cannot read, or ctx is cancelled.
func serveKVConn(ctx context.Context, conn net.Conn, store *Store) {
	defer conn.Close()
	stopWatching := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopWatching()

	// One bufio.Reader for the whole connection: it may hold the start of
	// the next frame, so a new one per frame would lose bytes.
	r := bufio.NewReader(conn)
	for {
		req, err := ReadFrame(r)
		if errors.Is(err, ErrFrameTooLarge) {
			_ = WriteFrame(conn, []byte("ERR frame too large"))
			return // we do not know where the next frame starts
		}
		if err != nil {
			return // io.EOF: the client is done; anything else: it is gone
		}
		if err := WriteFrame(conn, store.Handle(req)); err != nil {
			return
		}
	}
}

// ANCHOR_END: serveconn
