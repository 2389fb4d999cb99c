package tls

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

// ANCHOR: dial

// DialTLS connects to addr (host:port) over TCP and completes the client
// side of a TLS handshake with cfg before it returns. ctx bounds the dial
// and the handshake; once DialTLS has returned, ctx no longer matters.
//
// If the handshake fails, for example because the server's certificate
// cannot be verified, DialTLS closes the TCP connection and returns the
// handshake's error (a *tls.CertificateVerificationError for a certificate
// problem).
func DialTLS(ctx context.Context, addr string, cfg *tls.Config) (*tls.Conn, error) {
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr) // dial + handshake, closed on failure
	if err != nil {
		return nil, err
	}
	return conn.(*tls.Conn), nil
}

// ANCHOR_END: dial

// ANCHOR: roundtrip

// Roundtrip is lesson 02's Roundtrip over TLS: it connects with DialTLS,
// sends msg, closes its sending side (CloseWrite sends a close_notify
// alert), and returns every byte the server sends until it closes the
// connection.
//
// ctx bounds the whole exchange: its deadline becomes the connection's
// deadline, and cancelling it interrupts a blocked Read or Write. The error
// then matches ctx.Err() or os.ErrDeadlineExceeded.
//
// Roundtrip always closes the connection it opened.
func Roundtrip(ctx context.Context, addr string, cfg *tls.Config, msg []byte) ([]byte, error) {
	conn, err := DialTLS(ctx, addr, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	// From here on it is lesson 02's Roundtrip: a *tls.Conn is a net.Conn.
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stopWatching := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stopWatching()

	sent := make(chan error, 1)
	go func() { sent <- send(conn, msg) }()

	reply, readErr := io.ReadAll(conn) // until the server's close_notify
	if readErr != nil {
		conn.Close() // wakes the sender if it is still blocked
	}
	sendErr := <-sent

	err = readErr
	if err == nil {
		err = sendErr
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("roundtrip to %s: %w (%w)", addr, ctx.Err(), err)
	}
	return reply, err
}

// send writes msg, then closes our sending side. For TLS that is a
// close_notify alert, and the peer's Read returns io.EOF. Unlike a bare TCP
// FIN it is authenticated: nobody on the path can forge it. (The TCP
// connection itself stays open in both directions until Close.)
func send(conn *tls.Conn, msg []byte) error {
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	return conn.CloseWrite()
}

// ANCHOR_END: roundtrip
