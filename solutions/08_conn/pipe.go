// Package netconn is lesson 08: your own net.Conn, an in-memory pipe with
// deadlines, judged by the Go team's conformance suite
// golang.org/x/net/nettest.
//
// Read book/08_conn.md first, then make the tests in this folder pass:
//
//	make check-lesson N=8
package netconn

import (
	"io"
	"net"
	"os"
	"sync"
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
	ab, ba := newStream(), newStream() // a → b and b → a
	a := newConn(ba, ab, Addr("a"), Addr("b"))
	b := newConn(ab, ba, Addr("b"), Addr("a"))
	return a, b
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
	in, out       *stream // in: bytes from the other end; out: bytes to it
	readDeadline  *deadline
	writeDeadline *deadline
	local, remote Addr

	readMu  sync.Mutex // one Read at a time
	writeMu sync.Mutex // one Write at a time: Writes never interleave

	closeOnce sync.Once
	closed    chan struct{} // closed by Close
}

// ANCHOR_END: conn

func newConn(in, out *stream, local, remote Addr) *Conn {
	return &Conn{
		in: in, out: out,
		readDeadline: newDeadline(), writeDeadline: newDeadline(),
		local: local, remote: remote,
		closed: make(chan struct{}),
	}
}

// ANCHOR: read

// Read reads up to len(p) bytes that the other end has written.
func (c *Conn) Read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	for {
		// Closed and timed out come first, even when data is waiting: a
		// deadline in the past fails the call with n == 0.
		expired := c.readDeadline.done()
		if err := c.check("read", expired); err != nil {
			return 0, err
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, eof := c.in.take(p)
		if n > 0 {
			return n, nil
		}
		if eof {
			return 0, io.EOF // never wrapped: callers compare err == io.EOF
		}
		// Nothing to read: sleep until the writer signals, the deadline
		// passes or we are closed, then look again.
		select {
		case <-c.in.readable:
		case <-expired:
		case <-c.closed:
		}
	}
}

// ANCHOR_END: read

// ANCHOR: write

// Write writes all of p to the other end, waiting for room in the buffer
// as often as it takes.
func (c *Conn) Write(p []byte) (int, error) {
	c.writeMu.Lock() // held until the last byte is in: no interleaving
	defer c.writeMu.Unlock()
	written := 0
	for {
		expired := c.writeDeadline.done()
		if err := c.check("write", expired); err != nil {
			return written, err
		}
		n, broken := c.out.put(p[written:])
		written += n
		if broken {
			return written, c.opError("write", io.ErrClosedPipe)
		}
		if written == len(p) {
			return written, nil
		}
		select {
		case <-c.out.writable:
		case <-expired:
		case <-c.closed:
		}
	}
}

// ANCHOR_END: write

// check returns the error for a call on c whose deadline channel is
// expired: net.ErrClosed once c is closed, os.ErrDeadlineExceeded once the
// deadline has passed, nil otherwise.
func (c *Conn) check(op string, expired <-chan struct{}) error {
	if isClosed(c.closed) {
		return c.opError(op, net.ErrClosed)
	}
	if isClosed(expired) {
		// os.ErrDeadlineExceeded is a net.Error whose Timeout() is true,
		// and *net.OpError passes Timeout() on.
		return c.opError(op, os.ErrDeadlineExceeded)
	}
	return nil
}

// opError wraps err the way the net package does, naming the operation and
// both ends.
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: Network, Source: c.local, Addr: c.remote, Err: err}
}

// ANCHOR: close

// Close closes this end; see Conn.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)    // wakes our own blocked Read and Write
		c.out.closeWrite() // the other end reads what is left, then io.EOF
		c.in.closeRead()   // the other end's Write fails from now on
	})
	if !first {
		return c.opError("close", net.ErrClosed)
	}
	return nil
}

// ANCHOR_END: close

// LocalAddr returns this end's address.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the other end's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// ANCHOR: deadlines

// SetDeadline sets both the read and the write deadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set deadline", net.ErrClosed)
	}
	c.readDeadline.set(t)
	c.writeDeadline.set(t)
	return nil
}

// SetReadDeadline sets the deadline for blocked and future Reads.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set deadline", net.ErrClosed)
	}
	c.readDeadline.set(t)
	return nil
}

// SetWriteDeadline sets the deadline for blocked and future Writes.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set deadline", net.ErrClosed)
	}
	c.writeDeadline.set(t)
	return nil
}

// ANCHOR_END: deadlines

// ANCHOR: stream

// stream is one direction of a Pipe: the bytes one end has written and the
// other has not read yet. Its two signal channels each hold at most one
// wake-up, which is enough because readMu and writeMu let only one Read and
// one Write wait on a stream at a time. A wake-up may be stale (the bytes
// were taken already); the waiter then simply looks again.
type stream struct {
	mu       sync.Mutex
	buf      []byte        // written, not read yet: at most BufferSize bytes
	eof      bool          // the writing end has closed
	broken   bool          // the reading end has closed
	readable chan struct{} // signalled when bytes arrive or eof is set
	writable chan struct{} // signalled when room appears or broken is set
}

func newStream() *stream {
	return &stream{readable: make(chan struct{}, 1), writable: make(chan struct{}, 1)}
}

// put buffers as much of p as fits and returns how much that was, and
// whether the reading end has closed (then nothing is buffered).
func (s *stream) put(p []byte) (n int, broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken {
		return 0, true
	}
	n = min(len(p), BufferSize-len(s.buf))
	if n > 0 {
		s.buf = append(s.buf, p[:n]...) // a copy: the caller may reuse p
		signal(s.readable)
	}
	return n, false
}

// take moves up to len(p) buffered bytes into p. eof is true when nothing
// is buffered and the writing end has closed.
func (s *stream) take(p []byte) (n int, eof bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n = copy(p, s.buf)
	if n > 0 {
		s.buf = s.buf[n:]
		if len(s.buf) == 0 {
			s.buf = nil // let the array go; the next put starts a new one
		}
		signal(s.writable)
	}
	return n, n == 0 && s.eof
}

// closeWrite is the writing end's Close: the reader gets io.EOF after the
// buffered bytes.
func (s *stream) closeWrite() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eof = true
	signal(s.readable)
}

// closeRead is the reading end's Close: nobody will read the buffered bytes,
// so they are dropped, and writers fail from now on.
func (s *stream) closeRead() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken = true
	s.buf = nil
	signal(s.writable)
}

// signal leaves a wake-up in ch unless one is already waiting there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// ANCHOR_END: stream
