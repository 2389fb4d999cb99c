package tls

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// HandshakeTimeout is how long ServeTLSEcho gives a client to complete the
// TLS handshake. Until the handshake is done the server does not know who
// the client is, so an unknown peer must not hold a goroutine for longer.
const HandshakeTimeout = 2 * time.Second

// ANCHOR: serve

// ServeTLSEcho is lesson 02's echo server behind TLS: it accepts TCP
// connections on ln and serves each one in its own goroutine, which runs
// the server side of a TLS handshake with cfg and then writes back every
// byte it reads until the client closes its sending side (close_notify,
// seen as io.EOF), then closes the connection.
//
// A handshake that fails (a plaintext client, a client that does not trust
// us, a client without a required certificate) or that has not completed
// within HandshakeTimeout only ends that one connection: the server keeps
// serving everybody else, and Accept never waits for a handshake.
//
// Stopping is as in lesson 02: when ctx is cancelled, ServeTLSEcho closes
// ln and every open connection (handshaking or not), waits for its
// goroutines and returns nil; Accept's net.ErrClosed is not a failure; any
// other Accept error is returned after the same cleanup.
func ServeTLSEcho(ctx context.Context, ln net.Listener, cfg *tls.Config) error {
	ctx, stop := context.WithCancel(ctx)
	var conns sync.WaitGroup
	defer func() {
		ln.Close()   // no new clients
		stop()       // closes every open connection (see serveTLSConn)
		conns.Wait() // and waits until their goroutines have returned
	}()
	context.AfterFunc(ctx, func() { ln.Close() })

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		// The handshake happens in the connection's goroutine, never here:
		// one slow client must not keep Accept from the next one.
		conns.Go(func() { serveTLSConn(ctx, tls.Server(conn, cfg)) })
	}
}

// ANCHOR_END: serve

// ANCHOR: serveconn

// serveTLSConn completes the handshake within HandshakeTimeout, then echoes
// until the client's close_notify (io.EOF), then closes the connection.
func serveTLSConn(ctx context.Context, conn *tls.Conn) {
	defer conn.Close() // after a handshake, Close sends our close_notify
	stopWatching := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopWatching()

	// Without this, tls.Conn would handshake lazily inside the first Read,
	// with no time limit at all.
	hctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	err := conn.HandshakeContext(hctx)
	cancel()
	if err != nil {
		return // this client's problem: not trusted, not TLS, too slow
	}
	_, _ = io.Copy(conn, conn)
}

// ANCHOR_END: serveconn
