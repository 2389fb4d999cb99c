package tcplife

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// ANCHOR: classify

// Classify tells what kind of ending err describes (see Kind). It looks
// through any wrapping (fmt.Errorf's %w, *net.OpError, *os.SyscallError,
// your own types with an Unwrap method), never at the error's text:
//
//   - EOF: io.EOF, and only io.EOF (io.ErrUnexpectedEOF is a message cut
//     short, not a clean end: Other).
//   - Timeout: os.ErrDeadlineExceeded, context.DeadlineExceeded, or any
//     error with a Timeout() bool method that returns true.
//   - Reset: syscall.ECONNRESET or syscall.EPIPE.
//   - Refused: syscall.ECONNREFUSED.
//   - Closed: net.ErrClosed.
//   - Other: anything else, nil included.
func Classify(err error) Kind {
	switch {
	case err == nil:
		return Other
	case errors.Is(err, io.EOF):
		return EOF
	case errors.Is(err, net.ErrClosed):
		return Closed
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return Reset
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case isTimeout(err):
		return Timeout
	}
	return Other
}

// ANCHOR_END: classify

// isTimeout reports whether err says it timed out. os.ErrDeadlineExceeded
// does, through its Timeout method; so do the net package's own timeouts
// and syscall.ETIMEDOUT.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
