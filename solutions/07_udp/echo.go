// Package udp is lesson 07: UDP datagrams, and a reliable transfer built
// on top of them.
//
// Read book/07_udp.md first, then make the tests in this folder pass:
//
//	make check-lesson N=7
package udp

import (
	"context"
	"errors"
	"net"
)

// TooLarge is what ServeEcho sends back, instead of an echo, to the
// sender of a datagram longer than its maxSize.
const TooLarge = "ERROR datagram too large"

// ANCHOR: serve

// ServeEcho answers every datagram that arrives on pc with a datagram of
// the same bytes, sent to the address that datagram came from (the one
// ReadFrom returns), so one socket serves any number of clients, each of
// them getting its own answers.
//
// Datagrams of 0 to maxSize bytes are echoed whole; the empty datagram is
// a datagram too, and is answered with an empty one. A datagram longer
// than maxSize is not echoed, not even in part: its sender gets one
// datagram with the bytes of TooLarge instead, and the server goes on.
// (On Linux, ReadFrom into a buffer too small for the datagram returns the
// first len(buf) bytes and no error: the rest is lost without a word.)
//
// A WriteTo that fails (the client went away) does not stop the server.
// When ctx is cancelled, ServeEcho closes pc and returns nil; so does a pc
// closed by its owner (ReadFrom fails with net.ErrClosed). Any other
// ReadFrom error is returned. pc is closed when ServeEcho returns.
func ServeEcho(ctx context.Context, pc net.PacketConn, maxSize int) error {
	defer pc.Close()
	// ReadFrom takes no context: closing pc is what wakes it up.
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()

	// One byte more than the largest datagram we accept: if ReadFrom
	// fills it, the datagram was longer than maxSize. With a buffer of
	// exactly maxSize, a longer datagram would look like a full one.
	buf := make([]byte, maxSize+1)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil // we were told to stop: not a failure
			}
			return err
		}
		reply := buf[:n]
		if n > maxSize {
			reply = []byte(TooLarge)
		}
		// UDP has no connection to lose: a failed reply concerns this one
		// client, and the next datagram may come from someone else.
		_, _ = pc.WriteTo(reply, from)
	}
}

// ANCHOR_END: serve
