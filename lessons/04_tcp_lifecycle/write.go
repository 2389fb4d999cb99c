package tcplife

import (
	"errors"
	"net"
	"time"
)

// ANCHOR: writewithin

// WriteWithin writes data to conn, but for at most d in all: a peer that
// stops reading cannot hold the caller forever. It returns how many bytes
// the kernel took, and:
//
//   - nil when all of data was written;
//   - an error matching os.ErrDeadlineExceeded when d ran out first; the
//     count then says exactly how much of data the peer will receive (the
//     rest was never sent: the caller decides whether to retry it);
//   - any other write error as it is.
//
// d is the budget for the whole call, however slowly the peer reads; with
// d <= 0 nothing is written. WriteWithin keeps nothing: when it returns,
// no byte of data is waiting in the program to be sent later. It leaves
// conn without a write deadline, so later Writes are not cut short.
func WriteWithin(conn net.Conn, data []byte, d time.Duration) (int, error) {
	// TODO: one SetWriteDeadline for the whole call, one conn.Write (it
	// loops until all is written or the deadline passes, and returns the
	// count), and clear the deadline (time.Time{}) before returning.
	return 0, errors.New("TODO: WriteWithin is not written yet")
}

// ANCHOR_END: writewithin
