package tls

import (
	"context"
	"crypto/tls"
	"errors"
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
	// TODO: a tls.Dialer with Config: cfg does all of it: DialContext,
	// then the returned net.Conn is a *tls.Conn.
	return nil, errors.New("TODO: DialTLS is not written yet")
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
	// TODO: DialTLS, then as in lesson 02: copy the deadline, send from a
	// goroutine (Write, then CloseWrite), io.ReadAll the reply.
	return nil, errors.New("TODO: Roundtrip is not written yet")
}

// ANCHOR_END: roundtrip
