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
	"errors"
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
	// TODO: copy each direction in its own goroutine (io.Copy(dst, src)
	// returns nil at src's EOF), then dst.CloseWrite() to pass the FIN on.
	// Collect both results on a channel. On the first real error, Abort
	// both connections (that also wakes the other copy). Close both when
	// ctx is done (context.AfterFunc), and before returning.
	return errors.New("TODO: Proxy is not written yet")
}

// ANCHOR_END: proxy
