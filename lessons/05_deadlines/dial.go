// Package deadlines is lesson 05: timeouts, idle limits, heartbeats and
// dialing with a context.
//
// Read book/05_deadlines.md first, then make the tests in this folder pass:
//
//	make check-lesson N=5
package deadlines

import (
	"context"
	"errors"
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
	// TODO: use d (or a zero net.Dialer when d is nil) and its DialContext,
	// so ctx can interrupt the dial. For timeout, wrap ctx with
	// context.WithTimeout (and defer its cancel) instead of writing to
	// d.Timeout: *d belongs to the caller. See "Dialing with a context" in
	// the chapter.
	return nil, errors.New("TODO: Dial is not written yet")
}

// ANCHOR_END: dial
