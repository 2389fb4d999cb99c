//go:build linux

package eventloop

import "golang.org/x/sys/unix"

// ANCHOR: flush

// flush writes c.out to c.fd until c.out is empty or the socket's send
// buffer is full, which a non-blocking write reports as EAGAIN. It removes
// what it wrote from the front of c.out, keeps the rest for later, and
// reports whether bytes are still pending. EAGAIN is not an error; any
// other error (EPIPE, ECONNRESET: the client is gone) is returned, and
// the caller closes the connection. An empty c.out writes nothing.
func (c *conn) flush() (pending bool, err error) {
	for len(c.out) > 0 {
		n, err := unix.Write(c.fd, c.out)
		switch err {
		case nil:
			c.out = c.out[n:]
		case unix.EINTR:
			// A signal arrived before anything was written: try again.
		case unix.EAGAIN:
			return true, nil // full: wait for EPOLLOUT
		default:
			return true, err
		}
	}
	c.out = nil // an idle connection holds no buffer at all
	return false, nil
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
	for {
		fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
		case unix.EAGAIN:
			return nil
		case unix.ECONNABORTED, unix.EINTR:
			continue
		default:
			return err
		}
		c := &conn{fd: fd, events: unix.EPOLLIN}
		ev := unix.EpollEvent{Events: c.events, Fd: int32(fd)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(fd)
			return err
		}
		l.conns[fd] = c
	}
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
	// EPOLLHUP and EPOLLERR are reported whatever the interest; a read
	// then returns the EOF or the error.
	if !c.eof && events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		if err := l.readAvailable(c); err != nil {
			l.closeConn(c)
			return
		}
	}
	pending, err := c.flush()
	if err != nil || (c.eof && !pending) {
		l.closeConn(c) // gone, or done: the close sends the client our FIN
		return
	}
	if err := l.setInterest(c); err != nil {
		l.closeConn(c)
	}
}

// ANCHOR_END: handle

// ANCHOR: read

// readAvailable reads from c into the loop's shared buffer and appends to
// c.out until EAGAIN, EOF, or c.out is full.
func (l *Loop) readAvailable(c *conn) error {
	for len(c.out) < maxPending {
		room := min(len(l.buf), maxPending-len(c.out))
		n, err := unix.Read(c.fd, l.buf[:room])
		switch {
		case err == unix.EAGAIN:
			return nil // drained: epoll tells us when more arrives
		case err == unix.EINTR:
			continue
		case err != nil:
			return err
		case n == 0:
			c.eof = true // the client half-closed: echo what we have, then close
			return nil
		}
		c.out = append(c.out, l.buf[:n]...)
	}
	return nil // full: stop reading until the client reads its echo
}

// setInterest tells epoll what c waits for now, if that changed.
func (l *Loop) setInterest(c *conn) error {
	var want uint32
	if !c.eof && len(c.out) < maxPending {
		want |= unix.EPOLLIN
	}
	if len(c.out) > 0 {
		want |= unix.EPOLLOUT
	}
	if want == c.events {
		return nil // one system call saved
	}
	ev := unix.EpollEvent{Events: want, Fd: int32(c.fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		return err
	}
	c.events = want
	return nil
}

// ANCHOR_END: read
