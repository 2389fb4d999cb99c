//go:build linux

package eventloop

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"netlings/tools/testkit"
)

// ioTimeout bounds every read, write, dial and wait of the tests' clients.
const ioTimeout = 5 * time.Second

// ---- the Loop under test, made by New and run by Run ----

// runningLoop is a Loop made by New and served by Run in the background.
type runningLoop struct {
	*Loop
	addr string
	run  *testkit.Running
}

// newLoop calls New("127.0.0.1:0"), bounded, and stops the loop when the
// test ends.
func newLoop(t *testing.T) *Loop {
	t.Helper()
	l, err := testkit.Returns2(t, "New", "New only opens fds, it never waits for anything", func() (*Loop, error) {
		return New("127.0.0.1:0")
	})
	require.NoError(t, err, "New(\"127.0.0.1:0\")")
	require.NotNil(t, l, "New returned a nil *Loop and no error")
	t.Cleanup(func() { stopQuietly(t, l) })
	return l
}

// startLoop is newLoop plus Run in its own goroutine. It fails at once if
// Run returns on its own.
func startLoop(t *testing.T) *runningLoop {
	t.Helper()
	l := newLoop(t)
	addr := l.Addr()
	require.NotNil(t, addr, "Addr returned nil after New succeeded")
	r := &runningLoop{Loop: l, addr: addr.String()}
	r.run = testkit.Go("Run", l.Run)
	select {
	case <-r.run.Done():
		t.Fatalf("Run returned right after it started (error: %v); it must serve until Stop is called", r.run.Err())
	case <-time.After(50 * time.Millisecond):
	}
	return r
}

// stopQuietly is the tests' cleanup: Stop, bounded, whatever the test did
// before (a second Stop must be harmless: it is idempotent).
func stopQuietly(t *testing.T, l *Loop) {
	t.Helper()
	// Once a Stop has hung, the next tests need not wait 5 s each to say
	// so again: the first report named the problem.
	within, returned := testkit.CallTimeout, false
	if stopHung.Load() {
		within = time.Second
	}
	defer func() { stopHung.Store(stopHung.Load() || !returned) }()
	testkit.CallWithin(t, within, "Stop", "wake EpollWait through the eventfd, then wait for Run to return", func() { l.Stop() })
	returned = true
}

// stopHung records that a Stop in an earlier test never returned.
var stopHung atomic.Bool

// smallSendBuffers caps the send buffer of every connection the loop
// accepts from now on at 32 KiB (an accepted socket inherits the listening
// socket's SO_SNDBUF), so that a client that does not read soon makes the
// loop's writes fail with EAGAIN: the partial-write path, for sure.
func smallSendBuffers(t *testing.T, l *Loop) {
	t.Helper()
	require.NoError(t, unix.SetsockoptInt(l.lfd, unix.SOL_SOCKET, unix.SO_SNDBUF, 32<<10), "the test could not shrink the listening socket's SO_SNDBUF")
}

// dial connects a test client to addr, with a deadline of ioTimeout.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	return testkit.DialTCP(t, addr)
}

// dialSmallWindow is dial for a client whose receive buffer is only 32 KiB:
// when it does not read, the server's writes soon fail with EAGAIN. The
// buffer size must be set before connect (it decides the TCP window scale).
func dialSmallWindow(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: ioTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 32<<10)
		})
		return errors.Join(err, serr)
	}}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err, "the test client could not connect to the loop")
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(2*ioTimeout)))
	return c.(*net.TCPConn)
}

// echoOnce sends msg and reads the same number of bytes back.
func echoOnce(t *testing.T, c net.Conn, msg, who string) {
	t.Helper()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err, "%s could not send", who)
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	require.NoError(t, err, "%s waited for the echo of %q and got %q: %s", who, msg, got[:n], explainReadErr(err))
	require.Equal(t, msg, string(got), "%s got the wrong echo", who)
}

// readToEOF reads from a client that has half-closed until the loop closes
// the connection, and checks that what came back is want.
func readToEOF(t *testing.T, c *net.TCPConn, want []byte, who string) {
	t.Helper()
	got, err := io.ReadAll(c)
	if testkit.IsTimeout(err) && len(got) == len(want) {
		t.Fatalf("%s half-closed and got its whole echo (%d bytes), but then no EOF: once the client's EOF is read (c.eof) and c.out is written out, close the connection (l.closeConn)", who, len(got))
	}
	require.NoError(t, err, "%s half-closed and read its echo until EOF, got %d of %d bytes: %s", who, len(got), len(want), explainReadErr(err))
	if len(got) < len(want) && bytes.Equal(got, want[:len(got)]) {
		t.Fatalf("%s half-closed, and the loop closed the connection after %d of the %d bytes of its echo: after the client's EOF, write out everything still pending in c.out, and close only then", who, len(got), len(want))
	}
	testkit.RequireSameBytes(t, want, got, who+"'s echo")
}

// explainReadErr says what a client's failed read means for the loop.
func explainReadErr(err error) string {
	switch {
	case testkit.IsTimeout(err):
		return "nothing came back before the deadline: does Run dispatch the client's EPOLLIN to handleConn, and does handleConn write back (flush) what it read? Or is the loop stuck in a call that blocks (a blocking fd: SOCK_NONBLOCK)?"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, unix.ECONNRESET):
		return "the loop closed the connection: close only on the client's EOF (a read of 0 bytes) or a real error, and EAGAIN is not an error"
	}
	return "unexpected error"
}

// ---- file descriptors ----

var warmOnce sync.Once

// openFDs counts this process's open fds (/proc/self/fd). The first call
// makes Go's own netpoller open its fds, so they are in every count.
func openFDs(t *testing.T) int {
	t.Helper()
	warmOnce.Do(func() {
		if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			ln.Close()
		}
	})
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err, "the test could not list /proc/self/fd")
	return len(entries)
}

// waitFDs waits up to within until at most want fds are open, and fails
// with what, the count and why otherwise.
func waitFDs(t *testing.T, want int, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := openFDs(t)
		if got <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d fds still open %v after %s (%d expected, %d too many)", got, within, what, want, got-want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fdKind is what /proc says fd is: "socket:[…]", "anon_inode:[eventpoll]"…
func fdKind(fd int) string {
	s, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "not open"
	}
	return s
}

// requireFlags checks that fd is close-on-exec and, if nonBlocking, that
// it is non-blocking. what names the fd for the learner.
func requireFlags(t *testing.T, fd int, what, how string, nonBlocking bool) {
	t.Helper()
	fdFlags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err, "%s (fd %d) is not an open fd", what, fd)
	require.NotZero(t, fdFlags&unix.FD_CLOEXEC, "%s (fd %d) is not close-on-exec: %s", what, fd, how)
	if nonBlocking {
		flFlags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		require.NoError(t, err)
		require.NotZero(t, flFlags&unix.O_NONBLOCK, "%s (fd %d) is blocking: a blocking read, write or accept would stop the whole loop; %s", what, fd, how)
	}
}

// raiseNoFile makes sure this process may open n fds, raising the soft
// RLIMIT_NOFILE up to the hard limit for the rest of the test if needed.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var old unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &old))
	if old.Cur >= n {
		return
	}
	if old.Max < n {
		t.Skipf("this test needs %d open files and the hard limit (ulimit -Hn) is %d", n, old.Max)
	}
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: n, Max: old.Max}))
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// withNoNewFDs runs f while this process may not open a single new fd:
// RLIMIT_NOFILE's soft limit is 0, so every call that would make one
// (socket, accept4, epoll_create1, eventfd) fails with EMFILE. The fds
// already open stay usable.
func withNoNewFDs(t *testing.T, f func()) {
	t.Helper()
	var old unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &old))
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 0, Max: old.Max}))
	defer func() { require.NoError(t, unix.Setrlimit(unix.RLIMIT_NOFILE, &old)) }()
	f()
}

// ---- a Loop built by the tests, to test the pieces one at a time ----

// newTestLoop builds a Loop by hand, without New: a listening socket on
// 127.0.0.1 (non-blocking), an epoll instance that watches nothing yet, and
// no eventfd. Its fds are closed when the test ends.
func newTestLoop(t *testing.T) *Loop {
	t.Helper()
	l := &Loop{epfd: -1, lfd: -1, wakefd: -1, conns: map[int]*conn{}, buf: make([]byte, readChunk), done: make(chan struct{})}
	t.Cleanup(func() {
		for fd := range l.conns {
			unix.Close(fd)
		}
		for _, fd := range []int{l.lfd, l.epfd} {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	})
	var err error
	l.lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	// Room for 1 MiB of unread bytes in each accepted socket, so the tests
	// can line up more than one read's worth before calling handleConn.
	require.NoError(t, unix.SetsockoptInt(l.lfd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20))
	require.NoError(t, unix.Bind(l.lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, unix.Listen(l.lfd, 128))
	sa, err := unix.Getsockname(l.lfd)
	require.NoError(t, err)
	l.addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}
	l.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	require.NoError(t, err)
	return l
}

// acceptOne connects client (made by dialer) to the test loop, accepts the
// connection itself (not with your acceptAll), registers it with epoll for
// EPOLLIN and adds it to l.conns, as acceptAll would.
func acceptOne(t *testing.T, l *Loop, dialer func(*testing.T, string) *net.TCPConn) (*conn, *net.TCPConn) {
	t.Helper()
	client := dialer(t, l.addr.String())
	requirePoll(t, l.lfd, unix.POLLIN, "the test's listening socket to have a client waiting")
	fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	require.NoError(t, err, "the test could not accept its client")
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		t.Fatalf("the test could not register its connection with epoll: %v", err)
	}
	c := &conn{fd: fd, events: unix.EPOLLIN}
	l.conns[fd] = c
	return c, client
}

// pollFor waits up to d for events (POLLIN, POLLRDHUP…) on fd and returns
// the events that are there.
func pollFor(fd int, events int16, d time.Duration) int16 {
	deadline := time.Now().Add(d)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, 20)
		if n > 0 && fds[0].Revents&(events|unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			return fds[0].Revents
		}
		if (err != nil && err != unix.EINTR) || time.Now().After(deadline) {
			return 0
		}
	}
}

// requirePoll fails the test unless events show up on fd within ioTimeout.
func requirePoll(t *testing.T, fd int, events int16, what string) {
	t.Helper()
	require.NotZero(t, pollFor(fd, events, ioTimeout), "the test waited %v for %s", ioTimeout, what)
}

// unread is how many bytes wait in fd's receive buffer.
func unread(t *testing.T, fd int) int {
	t.Helper()
	n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	require.NoError(t, err, "SIOCINQ on fd %d", fd)
	return n
}

// handle calls l.handleConn(c, events), bounded.
func handle(t *testing.T, l *Loop, c *conn, events uint32) {
	t.Helper()
	testkit.Call(t, "handleConn",
		"read until EAGAIN, write until EAGAIN, then return: never wait in a loop for a socket to become ready (epoll does the waiting)",
		func() { l.handleConn(c, events) })
}

// drive plays Run's part for one connection of a test loop: it waits for
// epoll events and hands c's to handleConn, until stop() is true, c has
// been closed, or nothing happens on c for quiet (when quiet > 0). It
// gives up after within and reports whether stop() became true.
func drive(t *testing.T, l *Loop, c *conn, within, quiet time.Duration, stop func() bool) bool {
	t.Helper()
	events := make([]unix.EpollEvent, 8)
	deadline := time.Now().Add(within)
	lastEvent := time.Now()
	idle := 0 // handleConn calls in a row that changed nothing
	for time.Now().Before(deadline) {
		if stop != nil && stop() {
			return true
		}
		if l.conns[c.fd] != c {
			return false
		}
		if quiet > 0 && time.Since(lastEvent) >= quiet {
			return false
		}
		n, err := unix.EpollWait(l.epfd, events, 10)
		if err != nil && err != unix.EINTR {
			t.Fatalf("EpollWait on the test loop: %v", err)
		}
		for _, ev := range events[:max(n, 0)] {
			if int(ev.Fd) != c.fd || l.conns[c.fd] != c {
				continue
			}
			lastEvent = time.Now()
			before := snapshot(t, c)
			handle(t, l, c, ev.Events)
			if l.conns[c.fd] != c || snapshot(t, c) != before {
				idle = 0
				continue
			}
			if idle++; idle == 100 {
				t.Fatalf("epoll reported %s for the connection %d times in a row, and each time handleConn changed nothing "+
					"(unread in the socket: %d bytes, in c.out: %d, interest: %s): level-triggered epoll repeats an event until you act on it; "+
					"read on EPOLLIN, flush on EPOLLOUT, and drop an interest you have no use for",
					interest(ev.Events), idle, before.unread, before.out, interest(before.events))
			}
		}
	}
	return stop != nil && stop()
}

// connState is what drive compares before and after a handleConn.
type connState struct {
	unread, out int
	events      uint32
	eof         bool
}

func snapshot(t *testing.T, c *conn) connState {
	t.Helper()
	return connState{unread(t, c.fd), len(c.out), c.events, c.eof}
}

// readyNow lists the fds that l's epoll reports right now, without waiting.
func readyNow(t *testing.T, l *Loop) map[int]uint32 {
	t.Helper()
	events := make([]unix.EpollEvent, 64)
	var n int
	var err error
	for {
		n, err = unix.EpollWait(l.epfd, events, 0)
		if err != unix.EINTR {
			break
		}
	}
	require.NoError(t, err)
	ready := map[int]uint32{}
	for _, ev := range events[:n] {
		ready[int(ev.Fd)] = ev.Events
	}
	return ready
}

// interest spells an epoll event mask as the learner writes it.
func interest(ev uint32) string {
	s := ""
	for _, f := range []struct {
		bit  uint32
		name string
	}{{unix.EPOLLIN, "EPOLLIN"}, {unix.EPOLLOUT, "EPOLLOUT"}, {unix.EPOLLRDHUP, "EPOLLRDHUP"}, {unix.EPOLLET, "EPOLLET"}} {
		if ev&f.bit != 0 {
			if s != "" {
				s += "|"
			}
			s += f.name
		}
	}
	if s == "" {
		return "0"
	}
	return s
}

// received waits up to ioTimeout for the error of a test client's
// goroutine (a send, say) on ch, which has room for one value.
func received(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(ioTimeout):
		t.Fatalf("the test waited %v for %s", ioTimeout, what)
		return nil
	}
}
