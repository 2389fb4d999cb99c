//go:build linux

package eventloop

import (
	"errors"
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
	// TODO: parse addr (netip.ParseAddrPort; IPv4 only), make the Loop
	// (epfd, lfd and wakefd -1 until opened, conns, buf of readChunk bytes,
	// done), then open its fds: unix.Socket(AF_INET, SOCK_STREAM|
	// SOCK_NONBLOCK|SOCK_CLOEXEC, 0), SO_REUSEADDR, unix.Bind, unix.Listen,
	// unix.Getsockname for l.addr; unix.EpollCreate1(EPOLL_CLOEXEC);
	// unix.Eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC); EpollCtl ADD lfd and
	// wakefd for EPOLLIN. On any error, l.closeAll() and return it.
	return nil, errors.New("TODO: New is not written yet")
}

// ANCHOR_END: new
