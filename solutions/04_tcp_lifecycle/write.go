package tcplife

import (
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
	// A deadline is a point in time, set once: it bounds the whole Write,
	// however many times the kernel's buffer fills up and drains.
	if err := conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
		return 0, err
	}
	defer conn.SetWriteDeadline(time.Time{}) // no deadline: later Writes are the caller's

	// Write blocks while the socket's send buffer is full, and that is the
	// backpressure: the program holds no copy, the kernel holds at most its
	// buffer, and the peer's receive window says when there is room again.
	return conn.Write(data)
}

// ANCHOR_END: writewithin
