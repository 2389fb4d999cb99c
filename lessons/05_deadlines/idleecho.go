package deadlines

import (
	"errors"
	"net"
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
	// TODO: defer conn.Close(); read through an IdleReader into a buffer;
	// write every n > 0 bytes back with a write deadline of
	// time.Now().Add(idle). Then look at the Read's error: io.EOF returns
	// nil, os.ErrDeadlineExceeded (errors.Is) writes Goodbye and returns
	// the error, anything else is returned. See "Idle limits" in the
	// chapter.
	return errors.New("TODO: EchoIdle is not written yet")
}

// ANCHOR_END: echoidle
