package deadlines

import (
	"errors"
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
	// TODO: set the read deadline to time.Now().Add(r.Idle) (or clear it
	// with the zero time.Time when r.Idle <= 0) with r.Conn.SetReadDeadline,
	// then return r.Conn.Read(p) as it is. A deadline set once is absolute:
	// it must be renewed before every Read to limit silence, not the stream.
	return 0, errors.New("TODO: IdleReader.Read is not written yet")
}

// ANCHOR_END: read
