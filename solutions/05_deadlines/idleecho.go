package deadlines

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// Goodbye is what EchoIdle writes to a client before it drops it for
// being silent too long.
const Goodbye = "idle timeout, bye\n"

// ANCHOR: echoidle

// EchoIdle serves one client of an echo server that drops idle clients:
// every byte read from conn is written back, in order, as soon as it has
// arrived.
//
//   - Reading has an idle limit (use IdleReader): the client may send as
//     slowly as it likes as long as no gap between its bytes lasts idle.
//   - A client silent for idle is dropped: EchoIdle writes Goodbye, closes
//     conn, and returns the Read's timeout error (it matches
//     os.ErrDeadlineExceeded).
//   - Writing has a limit too: each Write (of an echo, or of Goodbye) must
//     finish within idle. A client that stops reading what it is sent is
//     dropped: EchoIdle closes conn and returns an error that matches
//     os.ErrDeadlineExceeded.
//   - A client that closes its side (Read returns io.EOF) is done: EchoIdle
//     closes conn and returns nil, without Goodbye.
//   - Any other error closes conn and is returned.
//
// idle <= 0 means no limit, on reading or writing (as for IdleReader).
// EchoIdle always closes conn before it returns.
func EchoIdle(conn net.Conn, idle time.Duration) error {
	defer conn.Close()
	r := &IdleReader{Conn: conn, Idle: idle}
	buf := make([]byte, 4<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			// Use the bytes before looking at err: a Read may return both.
			if werr := writeWithin(conn, buf[:n], idle); werr != nil {
				return werr // the client does not read: drop it
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return nil // the client is done: a normal end
		case errors.Is(err, os.ErrDeadlineExceeded):
			// Silence, not the end of the stream: say why we hang up. The
			// read deadline has passed, but the write direction has its
			// own deadline, so the connection can still send.
			_ = writeWithin(conn, []byte(Goodbye), idle)
			return err
		default:
			return err
		}
	}
}

// ANCHOR_END: echoidle

// writeWithin writes p to conn, giving up after d (no limit if d <= 0).
func writeWithin(conn net.Conn, p []byte, d time.Duration) error {
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	if err := conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := conn.Write(p)
	return err
}
