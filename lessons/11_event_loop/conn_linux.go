//go:build linux

package eventloop

import "errors"

// ANCHOR: flush

// flush writes c.out to c.fd until c.out is empty or the socket's send
// buffer is full, which a non-blocking write reports as EAGAIN. It removes
// what it wrote from the front of c.out, keeps the rest for later, and
// reports whether bytes are still pending. EAGAIN is not an error; any
// other error (EPIPE, ECONNRESET: the client is gone) is returned, and
// the caller closes the connection. An empty c.out writes nothing.
func (c *conn) flush() (pending bool, err error) {
	// TODO: loop while c.out is not empty: unix.Write(c.fd, c.out), drop
	// the n bytes written from the front of c.out; on unix.EAGAIN return
	// (true, nil); retry unix.EINTR; return any other error. Once empty,
	// set c.out = nil and return (false, nil).
	return false, errors.New("TODO: flush is not written yet")
}

// ANCHOR_END: flush

// ANCHOR: accept

// acceptAll accepts every connection waiting in the listening socket's
// queue, until Accept4 reports EAGAIN (the queue is empty), then returns
// nil. Each new fd is non-blocking and close-on-exec (Accept4's flags),
// registered with epoll for EPOLLIN, and recorded in l.conns with
// events == EPOLLIN; a new fd that epoll refuses is closed, and EpollCtl's
// error returned. ECONNABORTED (a client that gave up while it waited in
// the queue) and EINTR are skipped; any other error is returned.
func (l *Loop) acceptAll() error {
	// TODO: loop: unix.Accept4(l.lfd, SOCK_NONBLOCK|SOCK_CLOEXEC); return
	// nil on unix.EAGAIN; for each new fd, EpollCtl(EPOLL_CTL_ADD) it for
	// EPOLLIN (close it if that fails) and store &conn{fd, events: EPOLLIN}
	// in l.conns.
	return errors.New("TODO: acceptAll is not written yet")
}

// ANCHOR_END: accept

// ANCHOR: handle

// handleConn serves c after EpollWait reported events for it. It
//
//  1. reads until EAGAIN, appending to c.out, but never beyond maxPending
//     bytes in c.out; a read of 0 bytes is the client's EOF (set c.eof);
//  2. writes c.out back (flush);
//  3. closes c (closeConn) once the client has half-closed and every byte
//     has been written back, or at once on any error other than EAGAIN
//     (ECONNRESET, EPIPE: the client is gone);
//  4. otherwise makes c's epoll interest (EpollCtl MOD, and c.events) say
//     what c now waits for: EPOLLIN while it may read (no EOF yet and
//     c.out below maxPending), EPOLLOUT only while output is pending.
//
// epoll here is level-triggered: an fd is reported on every EpollWait for
// as long as it is readable (or writable), so an interest that is not
// needed any more makes the loop spin.
func (l *Loop) handleConn(c *conn, events uint32) {
	// TODO: if !c.eof and events has EPOLLIN (or EPOLLHUP/EPOLLERR), read
	// into l.buf with unix.Read and append to c.out until EAGAIN, EOF
	// (n == 0: c.eof = true) or len(c.out) reaches maxPending; then
	// c.flush(); l.closeConn(c) on an error or when c.eof and nothing is
	// pending; else compute the interest (EPOLLIN, EPOLLOUT, as above) and
	// EpollCtl(EPOLL_CTL_MOD) it when it differs from c.events.
}

// ANCHOR_END: handle
