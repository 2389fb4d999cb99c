package tls

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
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
	// TODO: the accept loop of lesson 02's ServeEcho. In each connection's
	// goroutine: tlsConn := tls.Server(conn, cfg), then
	// tlsConn.HandshakeContext with a context that times out after
	// HandshakeTimeout, then io.Copy(tlsConn, tlsConn), then Close.
	return errors.New("TODO: ServeTLSEcho is not written yet")
}

// ANCHOR_END: serve
