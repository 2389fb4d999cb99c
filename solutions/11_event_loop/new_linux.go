//go:build linux

package eventloop

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// ANCHOR: new

// New makes a Loop that will serve the echo on addr, an IPv4 address and
// port such as "127.0.0.1:0" (port 0: the kernel picks a free port, which
// Addr then reports). It does not serve yet: Run does.
//
// New opens every fd the loop needs, each one close-on-exec:
//   - a listening TCP socket, non-blocking, bound to addr (unix.Socket with
//     SOCK_NONBLOCK|SOCK_CLOEXEC, Bind, Listen), with SO_REUSEADDR set
//     before Bind as net.Listen does: a new Loop can then bind the port of
//     a stopped one whose connections are still in TIME_WAIT;
//   - an epoll instance (unix.EpollCreate1);
//   - an eventfd (unix.Eventfd), non-blocking, that Stop writes to;
//
// and registers the listening socket and the eventfd with epoll for
// EPOLLIN. On any failure New closes what it opened and returns the error
// (errors.Is(err, unix.EADDRINUSE) when the port is taken). A Loop that
// is never run must still be stopped, to close its fds.
func New(addr string) (*Loop, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("eventloop: %q is not an IPv4 address and port such as 127.0.0.1:0", addr)
	}
	l := &Loop{
		epfd: -1, lfd: -1, wakefd: -1,
		conns: make(map[int]*conn),
		buf:   make([]byte, readChunk),
		done:  make(chan struct{}),
	}
	if err := l.open(&unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}); err != nil {
		l.closeAll() // whatever open managed to open
		return nil, err
	}
	return l, nil
}

// ANCHOR_END: new

// ANCHOR: open

// open opens the loop's three fds and registers two of them with epoll.
func (l *Loop) open(sa *unix.SockaddrInet4) error {
	var err error
	// SOCK_NONBLOCK: Accept4 on an empty queue fails with EAGAIN instead of
	// blocking the loop. SOCK_CLOEXEC: a child process (os/exec) does not
	// inherit our sockets.
	l.lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("eventloop: socket: %w", err)
	}
	// As net.Listen does: a restarted server can bind its port again
	// while connections of the old one are still in TIME_WAIT.
	if err := unix.SetsockoptInt(l.lfd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fmt.Errorf("eventloop: SO_REUSEADDR: %w", err)
	}
	if err := unix.Bind(l.lfd, sa); err != nil {
		return fmt.Errorf("eventloop: bind %v:%d: %w", netip.AddrFrom4(sa.Addr), sa.Port, err)
	}
	// The backlog: how many finished handshakes may wait for Accept4.
	if err := unix.Listen(l.lfd, unix.SOMAXCONN); err != nil {
		return fmt.Errorf("eventloop: listen: %w", err)
	}
	bound, err := unix.Getsockname(l.lfd) // the port the kernel chose for port 0
	if err != nil {
		return fmt.Errorf("eventloop: getsockname: %w", err)
	}
	b := bound.(*unix.SockaddrInet4)
	l.addr = &net.TCPAddr{IP: net.IP(b.Addr[:]).To16(), Port: b.Port}

	if l.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fmt.Errorf("eventloop: epoll_create1: %w", err)
	}
	// An eventfd is a counter in the kernel: writing 8 bytes adds to it and
	// makes it readable, which wakes an EpollWait that watches it.
	if l.wakefd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return fmt.Errorf("eventloop: eventfd: %w", err)
	}
	for _, fd := range []int{l.lfd, l.wakefd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fmt.Errorf("eventloop: epoll_ctl add: %w", err)
		}
	}
	return nil
}

// ANCHOR_END: open
