// Package deadlines is lesson 05: timeouts, idle limits, heartbeats and
// dialing with a context.
//
// Read book/05_deadlines.md first, then make the tests in this folder pass:
//
//	make check-lesson N=5
package deadlines

import (
	"context"
	"net"
	"time"
)

// ANCHOR: dial

// Dial opens a TCP connection to addr (host:port) with the dialer d, and
// gives up when the first of these ends:
//
//   - timeout, counted from the call (timeout <= 0 adds no limit),
//   - ctx (its deadline, or a cancel),
//   - d's own limits (d.Timeout, d.Deadline), which still apply.
//
// d carries the caller's settings (LocalAddr, KeepAlive, Control and
// ControlContext hooks, ...), and Dial must use it, not a dialer of its
// own; a nil d means a zero net.Dialer. Dial does not modify *d.
//
// When a time limit ended the dial, the error is a net.Error whose
// Timeout() reports true, and it matches context.DeadlineExceeded or
// os.ErrDeadlineExceeded (errors.Is; net returns either, depending on
// which of its clocks noticed first). When ctx was cancelled, the error
// matches context.Canceled.
// A cancel interrupts a dial that is in progress at once; it does not
// wait for timeout.
func Dial(ctx context.Context, d *net.Dialer, addr string, timeout time.Duration) (net.Conn, error) {
	if d == nil {
		d = &net.Dialer{}
	}
	if timeout > 0 {
		// A context of our own rather than d.Timeout: writing to d would
		// change the caller's dialer, and a copy would override the
		// caller's own d.Timeout. Nested contexts keep the earliest limit.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel() // releases the timer; the connection outlives ctx
	}
	// DialContext watches ctx during the whole dial (DNS, connect) and
	// maps its end to errors that match context.DeadlineExceeded or
	// context.Canceled.
	return d.DialContext(ctx, "tcp", addr)
}

// ANCHOR_END: dial
