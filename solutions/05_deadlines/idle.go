package deadlines

import (
	"net"
	"time"
)

// ANCHOR: idlereader

// IdleReader reads from Conn, and fails a Read that waits longer than Idle
// for data. The limit is on silence, not on the whole stream: a peer that
// sends one byte every Idle/2 can stream for hours.
//
// Every Read first sets Conn's read deadline to time.Now().Add(Idle) (with
// SetReadDeadline: the write deadline is left alone), then calls Conn.Read
// once and returns what it returned. So a Read that times out returns an
// error that matches os.ErrDeadlineExceeded and whose Timeout() is true,
// never io.EOF: silence is not the end of the stream. io.EOF means the
// peer closed its side.
//
// Idle <= 0 means no limit: Read clears the read deadline (the zero
// time.Time), so a deadline set earlier by someone else does not apply.
type IdleReader struct {
	Conn net.Conn
	Idle time.Duration
}

// ANCHOR_END: idlereader

// ANCHOR: read

// Read renews the read deadline, then reads from r.Conn once.
func (r *IdleReader) Read(p []byte) (int, error) {
	// A deadline is an absolute time, not a duration: set once, it would
	// also end a stream that is slow but never silent for Idle. Renewing
	// it before each Read turns it into an idle limit.
	var deadline time.Time // zero: no deadline
	if r.Idle > 0 {
		deadline = time.Now().Add(r.Idle)
	}
	if err := r.Conn.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	// The error, timeout or not, is returned as it is: the caller needs
	// to tell a silent peer (os.ErrDeadlineExceeded) from a finished one
	// (io.EOF).
	return r.Conn.Read(p)
}

// ANCHOR_END: read
