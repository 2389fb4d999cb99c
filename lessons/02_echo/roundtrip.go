package echo

import (
	"context"
	"errors"
)

// ANCHOR: roundtrip

// Roundtrip connects to the echo server at addr (host:port), sends msg,
// half-closes its sending side to say "that is all", and returns every
// byte the server sends back until the server closes the connection.
//
// ctx bounds the whole exchange, not just the dial: when ctx has a
// deadline it becomes the connection's deadline, and cancelling ctx
// interrupts a Read or Write that is blocked. The error then matches
// ctx.Err() (errors.Is(err, context.DeadlineExceeded) or
// errors.Is(err, context.Canceled)) or os.ErrDeadlineExceeded.
//
// Roundtrip always closes the connection it opened.
func Roundtrip(ctx context.Context, addr string, msg []byte) ([]byte, error) {
	// TODO: dial with a net.Dialer's DialContext, copy ctx's deadline onto
	// the connection (SetDeadline), write msg, call CloseWrite on the
	// *net.TCPConn, then read until EOF (io.ReadAll).
	return nil, errors.New("TODO: Roundtrip is not written yet")
}

// ANCHOR_END: roundtrip
