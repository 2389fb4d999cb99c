//go:build linux

package eventloop

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"netlings/tools/testkit"
)

func newListensOnLoopbackWithNonBlockingFDs(t *testing.T) {
	l := newLoop(t)

	addr, ok := l.Addr().(*net.TCPAddr)
	require.True(t, ok, "Addr should return a *net.TCPAddr, got %T (%v)", l.Addr(), l.Addr())
	require.Equal(t, "127.0.0.1", addr.IP.String(), "Addr's IP: New was asked for 127.0.0.1")
	require.NotZero(t, addr.Port, "Addr's port is 0: after binding to port 0, ask the kernel which port it chose (unix.Getsockname)")

	// The three fds, each what it claims to be.
	require.True(t, strings.HasPrefix(fdKind(l.lfd), "socket:"), "l.lfd (fd %d) should be the listening socket, but it is %q", l.lfd, fdKind(l.lfd))
	accepting, err := unix.GetsockoptInt(l.lfd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	require.NoError(t, err)
	require.Equal(t, 1, accepting, "l.lfd is a socket but does not listen: unix.Listen(l.lfd, unix.SOMAXCONN)")
	require.Equal(t, "anon_inode:[eventpoll]", fdKind(l.epfd), "l.epfd (fd %d) should be an epoll instance (unix.EpollCreate1)", l.epfd)
	require.Equal(t, "anon_inode:[eventfd]", fdKind(l.wakefd), "l.wakefd (fd %d) should be an eventfd (unix.Eventfd)", l.wakefd)

	requireFlags(t, l.lfd, "the listening socket", "unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)", true)
	requireFlags(t, l.epfd, "the epoll fd", "unix.EpollCreate1(unix.EPOLL_CLOEXEC)", false)
	requireFlags(t, l.wakefd, "the eventfd", "unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)", true)

	// Both must be in the epoll set: adding them again is then EEXIST.
	for _, fd := range []struct {
		fd   int
		name string
	}{{l.lfd, "the listening socket"}, {l.wakefd, "the eventfd"}} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd.fd)}
		err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd.fd, &ev)
		require.ErrorIs(t, err, unix.EEXIST,
			"%s is not registered with epoll: unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})", fd.name)
	}

	// The kernel does the handshake, Run or not: a client can connect, and
	// the listening socket is then reported readable by the epoll set.
	client := dial(t, addr.String())
	defer client.Close()
	var ready map[int]uint32
	for range 100 {
		if ready = readyNow(t, l); len(ready) > 0 {
			break
		}
		pollFor(l.lfd, unix.POLLIN, 20*time.Millisecond)
	}
	if ready[l.lfd]&unix.EPOLLIN == 0 {
		if len(ready) > 0 {
			t.Fatalf("a client connected and epoll reported fds %v, not the listening socket's fd %d: set EpollEvent.Fd to the fd you register, it is what EpollWait gives back", ready, l.lfd)
		}
		t.Fatalf("a client connected, but epoll does not report the listening socket readable: register it for EPOLLIN")
	}
}

func newRejectsBadAddressesWithoutLeakingFDs(t *testing.T) {
	before := openFDs(t)

	for _, bad := range []string{"", "nonsense", "127.0.0.1", "127.0.0.1:99999", "[::1]:0", "300.0.0.1:0"} {
		l, err := testkit.Returns2(t, "New", "", func() (*Loop, error) { return New(bad) })
		if err == nil {
			l.Stop()
		}
		require.Error(t, err, "New(%q) should fail: addr is an IPv4 address and a port (netip.ParseAddrPort)", bad)
		require.Nil(t, l, "New(%q) failed but returned a Loop too", bad)
	}

	// A port that another socket listens on already. New fails before it
	// has opened its epoll fd and its eventfd.
	taken := testkit.Listen(t)
	before++ // the test's own listener
	// fd 0 is open in every Go program (the runtime opens /dev/null there
	// if it was closed); New never opens it, so it must not close it.
	stdin := fdKind(0)
	l, err := testkit.Returns2(t, "New", "", func() (*Loop, error) { return New(taken.Addr().String()) })
	if err == nil {
		l.Stop()
	}
	require.ErrorIs(t, err, unix.EADDRINUSE,
		"New on a port that is taken should return unix.Bind's error, wrapped with %w so errors.Is finds unix.EADDRINUSE")
	require.Nil(t, l)
	require.Equal(t, stdin, fdKind(0),
		"New failed and closed fd 0 (stdin), which it never opened: 0 is a valid fd, so l.epfd, l.lfd and l.wakefd must be -1 until opened (closeAll closes only the fds >= 0)")

	// No fd left at all: the very first one, unix.Socket's, fails with
	// EMFILE, and New must say so (not report a later call's EBADF).
	withNoNewFDs(t, func() {
		l, err = testkit.Returns2(t, "New", "", func() (*Loop, error) { return New("127.0.0.1:0") })
	})
	if err == nil {
		l.Stop()
	}
	require.ErrorIs(t, err, unix.EMFILE,
		"New when the process may open no more fds: check unix.Socket's error at once and return it, wrapped with %w (EMFILE: too many open files)")

	waitFDs(t, before, ioTimeout/5, "New failed: on every error New must close the fds it had opened already (the socket, perhaps the epoll fd): l.closeAll()")
}
