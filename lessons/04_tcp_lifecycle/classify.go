package tcplife

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
	// TODO: a switch of errors.Is(err, ...) cases, one per Kind, and
	// errors.As for the Timeout() method. Never compare err.Error() text.
	return Other
}

// ANCHOR_END: classify
