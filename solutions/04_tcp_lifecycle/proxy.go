// Package tcplife is lesson 04: TCP's life, from the handshake to the
// close, the reset and the full buffer.
//
// Read book/04_tcp_lifecycle.md first, then make the tests in this folder
// pass:
//
//	make check-lesson N=4
package tcplife

import (
	"context"
	"io"
	"net"
)

// ANCHOR: proxy

// Proxy joins two TCP connections: every byte read from client is written
// to upstream and every byte read from upstream is written to client, both
// directions at the same time, until both have ended.
//
// Half-close: when one side's Read returns io.EOF (that peer sent its
// FIN), Proxy calls CloseWrite on the other connection, passing the FIN
// on, and keeps copying the other direction. So a client that sends its
// request and half-closes still receives the whole reply.
//
// Reset: when any Read or Write fails with an error other than io.EOF (a
// peer reset its connection: ECONNRESET), Proxy resets both connections
// with Abort, so each peer learns that the conversation broke, and
// returns that first error (errors.Is(err, syscall.ECONNRESET) holds).
//
// When ctx is cancelled, Proxy closes both connections and returns
// ctx.Err(). It returns nil when both directions ended with EOF.
//
// Proxy owns both connections: they are closed when it returns, and no
// goroutine it started is still running.
func Proxy(ctx context.Context, client, upstream *net.TCPConn) error {
	defer client.Close()
	defer upstream.Close()

	// A blocked Read takes no context: closing the connection under it is
	// how a cancel reaches it.
	stop := context.AfterFunc(ctx, func() {
		client.Close()
		upstream.Close()
	})
	defer stop()

	// One goroutine per direction: each blocks in its own Read, so neither
	// direction waits for the other.
	errc := make(chan error, 2)
	go func() { errc <- forward(upstream, client) }()
	go func() { errc <- forward(client, upstream) }()

	var first error
	for range 2 {
		err := <-errc
		if err == nil || first != nil {
			continue
		}
		first = err
		if ctx.Err() == nil {
			// One direction broke: the whole conversation is over. The
			// RST tells both peers so (a FIN would say "all is well"), and
			// closing also wakes the other direction's blocked Read.
			Abort(client)
			Abort(upstream)
		}
	}
	if first != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// ANCHOR_END: proxy

// ANCHOR: forward

// forward copies src to dst until src's EOF, then passes the FIN on with
// CloseWrite: dst's peer reads io.EOF, while the other direction stays
// open.
func forward(dst, src *net.TCPConn) error {
	// io.Copy returns nil at src's io.EOF; any other error is a failure.
	if _, err := io.Copy(dst, src); err != nil {
		return err
	}
	return dst.CloseWrite()
}

// ANCHOR_END: forward
