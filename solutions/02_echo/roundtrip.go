package echo

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"
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
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr) // ctx bounds the dial...
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	// ...but a net.Conn knows nothing about contexts. Its deadline is the
	// tool: once it passes, every blocked Read and Write returns
	// os.ErrDeadlineExceeded. Cancelling sets the deadline to "now".
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	stopWatching := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stopWatching()

	// Send from another goroutine: the server echoes while we are still
	// sending, and if nobody read the echo, both ends' buffers would fill
	// up and both writers would block forever (see "Flow control").
	sent := make(chan error, 1)
	go func() { sent <- send(conn.(*net.TCPConn), msg) }()

	reply, readErr := io.ReadAll(conn) // until the server's FIN (io.EOF)
	if readErr != nil {
		conn.Close() // wakes the sender if it is still blocked
	}
	sendErr := <-sent

	err = readErr
	if err == nil {
		err = sendErr
	}
	if err != nil && ctx.Err() != nil {
		// Say why in the caller's terms: the context ended the exchange.
		err = fmt.Errorf("roundtrip to %s: %w (%w)", addr, ctx.Err(), err)
	}
	return reply, err
}

// send writes msg and then half-closes: CloseWrite sends a FIN, so the
// server's Read returns io.EOF, while our side can still read the reply.
func send(conn *net.TCPConn, msg []byte) error {
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	return conn.CloseWrite()
}

// ANCHOR_END: roundtrip
