//go:build linux

package eventloop

//netlings:given

import (
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// ANCHOR: types

// Loop is an echo server on one epoll instance, served by one goroutine
// locked to one thread. Every socket it owns is a plain file descriptor
// (an int), non-blocking: a read or write that would have to wait fails
// with EAGAIN instead, and epoll says when it is worth trying again.
type Loop struct {
	epfd   int          // the epoll instance: the set of fds we watch
	lfd    int          // the listening socket (non-blocking)
	wakefd int          // an eventfd: Stop writes to it to wake EpollWait
	addr   *net.TCPAddr // where lfd listens

	// conns is every open client connection, by fd. Only the goroutine
	// in Run touches it (and Stop, when Run never ran): no lock needed.
	conns map[int]*conn

	// buf is the one read buffer of the whole loop: only one connection
	// is served at a time, so they can all share it. (A goroutine per
	// connection needs a buffer per connection.)
	buf []byte

	// wakeups counts the returns from EpollWait (see wait). An idle loop
	// sleeps; a loop that wakes up thousands of times a second while
	// nothing happens is busy-looping, and the tests look at this.
	wakeups atomic.Int64

	mu            sync.Mutex    // guards running and stopRequested
	running       bool          // Run has started
	stopRequested bool          // Stop has been called, or Run has returned
	done          chan struct{} // closed once every fd is closed
}

// conn is one client connection.
type conn struct {
	fd     int
	out    []byte // read from fd, not yet written back: the output buffer
	events uint32 // the interest registered for fd with epoll (EPOLLIN, EPOLLOUT)
	eof    bool   // the client has half-closed: read no more, close once out is empty
}

// ANCHOR_END: types

// ANCHOR: limits

const (
	// readChunk is how much one read asks for.
	readChunk = 64 << 10

	// maxPending caps a connection's output buffer. A client that sends
	// but does not read would otherwise make the server buffer everything
	// it sends: past this much, stop reading from it (drop EPOLLIN) until
	// it has read some of its echo. That is backpressure, done by hand.
	maxPending = 1 << 20

	// maxEvents is how many ready fds one EpollWait reports at most.
	maxEvents = 128
)

// ANCHOR_END: limits

// Addr returns the address the loop listens on, with the port the kernel
// chose when New was given port 0.
func (l *Loop) Addr() net.Addr { return l.addr }

// ANCHOR: wait

// wait blocks in EpollWait until at least one fd is ready, and fills events.
// Go's runtime interrupts threads with signals (SIGURG, for preemption), so
// EpollWait often fails with EINTR: that is not an error, just try again.
func (l *Loop) wait(events []unix.EpollEvent) (int, error) {
	for {
		n, err := unix.EpollWait(l.epfd, events, -1) // -1: no time-out
		l.wakeups.Add(1)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

// ANCHOR_END: wait

// closeConn forgets c and closes its fd. Closing an fd also removes it from
// every epoll set it was in (we never dup it), so no EpollCtl DEL is needed.
func (l *Loop) closeConn(c *conn) {
	delete(l.conns, c.fd)
	unix.Close(c.fd)
}

// closeAll closes every connection and then the loop's own fds. A client
// still connected sees its connection end (EOF, or a reset if it had sent
// bytes the server never read).
func (l *Loop) closeAll() {
	for _, c := range l.conns {
		l.closeConn(c)
	}
	for _, fd := range []int{l.lfd, l.wakefd, l.epfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	l.lfd, l.wakefd, l.epfd = -1, -1, -1
}
