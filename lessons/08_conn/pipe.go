// Package netconn is lesson 08: your own net.Conn, an in-memory pipe with
// deadlines, judged by the Go team's conformance suite
// golang.org/x/net/nettest.
//
// Read book/08_conn.md first, then make the tests in this folder pass:
//
//	make check-lesson N=8
package netconn

import (
	"errors"
	"net"
	"time"
)

// ANCHOR: pipe

// BufferSize is how many bytes each direction of a Pipe holds that have
// been written and not read yet, like a socket's buffers.
const BufferSize = 16 << 10

// Pipe returns the two ends of an in-memory, full-duplex connection: what
// is written to one end is read from the other, in order, in both
// directions at once. Both ends are *Conn values (not net.Pipe's: see
// below), and both satisfy net.Conn: any code written for a TCP connection
// runs on them.
//
// Unlike net.Pipe, which is unbuffered (a Write waits until the other end
// has read every byte), each direction holds up to BufferSize bytes:
//
//   - Write copies its bytes into the buffer and returns as soon as the
//     last one is in, without waiting for a reader. While the buffer is
//     full, Write waits for the other end to read; a deadline or Close
//     that interrupts it returns the count of bytes already buffered.
//   - Read returns at once whatever is buffered (at most len(p) bytes,
//     n > 0, leaving the rest for the next Read); with nothing buffered it
//     waits until something is. A Read with an empty p returns 0, nil at
//     once, as a TCP connection's does.
//
// The first end's LocalAddr is Addr("a") and its RemoteAddr Addr("b"); the
// second end's are the other way round.
func Pipe() (net.Conn, net.Conn) {
	// TODO: make the two directions (a → b and b → a), each a buffer of up
	// to BufferSize bytes with a mutex, and return two *Conn that share
	// them crosswise: a's outgoing direction is b's incoming one. Do not
	// return net.Pipe(): write your own (the tests check).
	return nil, nil
}

// ANCHOR_END: pipe

// ANCHOR: conn

// Conn is one end of a Pipe. Its methods are safe for concurrent use by
// any number of goroutines.
//
// Read and Write:
//
//   - A Write is never interleaved with another Write: concurrent writers'
//     bytes arrive one whole Write after the other.
//   - After the other end's Close, Read returns the bytes still buffered
//     and then io.EOF (like TCP's FIN); Write fails with io.ErrClosedPipe.
//
// Deadlines (SetDeadline, SetReadDeadline, SetWriteDeadline) are absolute
// times, and the zero time means none. Once the read (write) deadline has
// passed, Read (Write) returns an error that is os.ErrDeadlineExceeded
// (errors.Is) and a net.Error whose Timeout() is true, including a call
// that was already blocked when it passed or when the deadline was set. A
// deadline now or in the past fails the call at once with n == 0, even if
// it could have gone ahead. The read deadline does not affect Write, nor
// the write deadline Read. Setting a later (or zero) deadline makes the
// Conn usable again; no data is lost by a time-out.
//
// Close:
//
//   - wakes every Read and Write blocked on this Conn and makes them, and
//     every later call, fail with net.ErrClosed;
//   - wakes the other end: its Read returns what is left, then io.EOF, and
//     its Write fails with io.ErrClosedPipe;
//   - returns nil the first time and net.ErrClosed after that;
//   - leaves no goroutine running.
//
// Errors other than io.EOF may be wrapped (in a *net.OpError, say) as long
// as errors.Is finds the named error and, for a time-out, a type assertion
// to net.Error still works.
type Conn struct {
	// TODO: the two directions, a deadline (see deadline.go) for reading
	// and one for writing, both addresses, a mutex that lets one Read run
	// at a time and one for Write, and a channel that Close closes (with a
	// sync.Once).
}

// ANCHOR_END: conn

// errTODO is what the unwritten methods return.
var errTODO = errors.New("TODO: not written yet")

// ANCHOR: read

// Read reads up to len(p) bytes that the other end has written.
func (c *Conn) Read(p []byte) (int, error) {
	// TODO: in a loop: fail if closed or if the read deadline has passed;
	// take what is buffered (n > 0: return it); io.EOF if the other end
	// has closed; otherwise wait in a select for "bytes arrived", the
	// deadline's channel and the closed channel, then look again.
	return 0, errTODO
}

// ANCHOR_END: read

// ANCHOR: write

// Write writes all of p to the other end, waiting for room in the buffer
// as often as it takes.
func (c *Conn) Write(p []byte) (int, error) {
	// TODO: hold the write mutex for the whole call. In a loop: fail if
	// closed or if the write deadline has passed (returning the count
	// written so far); copy as much as fits into the buffer; done when all
	// of p is in; io.ErrClosedPipe if the other end has closed; otherwise
	// wait in a select for "room appeared", the deadline and Close.
	return 0, errTODO
}

// ANCHOR_END: write

// ANCHOR: close

// Close closes this end; see Conn.
func (c *Conn) Close() error {
	// TODO: the first time (sync.Once): close the closed channel, tell the
	// other end's Read "EOF after the buffered bytes" and its Write "the
	// reader is gone", and wake both. Later calls return net.ErrClosed.
	return errTODO
}

// ANCHOR_END: close

// LocalAddr returns this end's address.
func (c *Conn) LocalAddr() net.Addr {
	// TODO: Addr("a") for Pipe's first end, Addr("b") for its second.
	return nil
}

// RemoteAddr returns the other end's address.
func (c *Conn) RemoteAddr() net.Addr {
	// TODO: the other end's LocalAddr.
	return nil
}

// ANCHOR: deadlines

// SetDeadline sets both the read and the write deadline.
func (c *Conn) SetDeadline(t time.Time) error {
	// TODO: net.ErrClosed after Close; otherwise set both deadlines.
	return errTODO
}

// SetReadDeadline sets the deadline for blocked and future Reads.
func (c *Conn) SetReadDeadline(t time.Time) error {
	// TODO: net.ErrClosed after Close; otherwise set the read deadline.
	return errTODO
}

// SetWriteDeadline sets the deadline for blocked and future Writes.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	// TODO: net.ErrClosed after Close; otherwise set the write deadline.
	return errTODO
}

// ANCHOR_END: deadlines
