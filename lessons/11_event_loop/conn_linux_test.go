//go:build linux

package eventloop

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"netlings/tools/testkit"
)

// ---- flush ----

// socketPair returns two connected non-blocking Unix stream sockets; ours
// (the first) has a send buffer of only 16 KiB, so a big write fills it.
func socketPair(t *testing.T) (ours, peer int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	require.NoError(t, unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, 16<<10))
	return fds[0], fds[1]
}

// drain reads everything that is waiting on a non-blocking fd right now.
func drain(t *testing.T, fd int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN || n == 0 {
			return got
		}
		require.NoError(t, err, "the test's peer could not read")
		got = append(got, buf[:n]...)
	}
}

// callFlush calls c.flush(), bounded.
func callFlush(t *testing.T, c *conn) (bool, error) {
	t.Helper()
	return testkit.Returns2(t, "flush",
		"when unix.Write fails with unix.EAGAIN the send buffer is full: return (true, nil) at once, do not try again in a loop",
		c.flush)
}

func flushWritesUntilEAGAINAndKeepsTheRest(t *testing.T) {
	ours, peer := socketPair(t)
	payload := testkit.RandomBytes(1 << 20)
	c := &conn{fd: ours, out: bytes.Clone(payload)}

	var received []byte
	for round := 1; ; round++ {
		pending, err := callFlush(t, c)
		require.NotErrorIs(t, err, unix.EAGAIN,
			"flush returned EAGAIN as an error: EAGAIN only means the socket's send buffer is full for now; keep the rest in c.out and return (true, nil)")
		require.NoError(t, err, "flush into a healthy socket (round %d)", round)

		got := drain(t, peer)
		require.NotEmpty(t, got, "round %d: flush wrote nothing, but %d bytes were pending and the buffer had room", round, len(payload)-len(received))
		if !bytes.Equal(got, payload[len(received):len(received)+min(len(got), len(payload)-len(received))]) || len(received)+len(got) > len(payload) {
			t.Fatalf("round %d: the bytes flush wrote are not the next %d bytes of c.out (offset %d): write from the front of c.out, and drop exactly the n bytes unix.Write accepted",
				round, len(got), len(received))
		}
		received = append(received, got...)

		left := len(payload) - len(received)
		if len(c.out) != left {
			what := "lost"
			if len(c.out) > left {
				what = "kept"
			}
			t.Fatalf("round %d: flush wrote %d bytes in all, so %d should be left in c.out, but it holds %d: it %s bytes. "+
				"unix.Write on a non-blocking socket writes what fits and returns n; drop c.out[:n] and keep the rest for the next flush",
				round, len(received), left, len(c.out), what)
		}
		require.True(t, bytes.Equal(c.out, payload[len(received):]), "round %d: c.out should hold the %d bytes not written yet, in order", round, left)
		if left == 0 {
			require.False(t, pending, "flush wrote everything but reported output still pending")
			require.Empty(t, c.out)
			break
		}
		require.True(t, pending, "round %d: %d bytes are still in c.out but flush reported nothing pending: return true, the loop then waits for EPOLLOUT", round, left)
		require.Less(t, round, 10000, "flush is making no progress")
	}
	require.Greater(t, len(payload)/(16<<10), 1, "sanity")
	testkit.RequireSameBytes(t, payload, received, "what the peer received")
}

func flushWritesNothingWhenEmptyAndReturnsErrors(t *testing.T) {
	ours, peer := socketPair(t)

	c := &conn{fd: ours}
	pending, err := callFlush(t, c)
	require.NoError(t, err, "flush with an empty c.out has nothing to do")
	require.False(t, pending, "flush with an empty c.out: nothing is pending")
	require.Empty(t, drain(t, peer), "flush with an empty c.out wrote something")

	c.out = []byte("hello")
	pending, err = callFlush(t, c)
	require.NoError(t, err)
	require.False(t, pending, "flush wrote all of \"hello\" but reported output pending")
	require.Empty(t, c.out, "c.out should be empty once everything is written")
	require.Equal(t, "hello", string(drain(t, peer)))

	// The peer goes away: the next write fails with EPIPE (or ECONNRESET).
	require.NoError(t, unix.Close(peer))
	c.out = []byte("anyone there?")
	_, err = callFlush(t, c)
	require.Error(t, err, "flush to a socket whose peer has closed must return unix.Write's error (EPIPE), so that the loop closes the connection")
	if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("flush to a closed peer returned %v; return unix.Write's own error (EPIPE), not one of your own", err)
	}
}

// ---- acceptAll ----

func acceptAllAcceptsEveryWaitingClient(t *testing.T) {
	l := newTestLoop(t)
	const n = 5
	clients := make([]*net.TCPConn, n)
	for i := range clients {
		clients[i] = dial(t, l.addr.String())
		_, err := fmt.Fprintf(clients[i], "hi from %d", i)
		require.NoError(t, err)
	}
	waitAcceptQueue(t, l.lfd, n)

	err := testkit.Returns(t, "acceptAll", "stop at the first unix.EAGAIN from Accept4: the queue is empty", l.acceptAll)
	require.NotErrorIs(t, err, unix.EAGAIN, "acceptAll returned EAGAIN: that is how Accept4 says the queue is empty, the normal end of the loop; return nil")
	require.NoError(t, err, "acceptAll with %d clients waiting", n)
	require.Len(t, l.conns, n,
		"%d clients were waiting but acceptAll recorded %d in l.conns: call Accept4 in a loop until EAGAIN, and store each conn", n, len(l.conns))

	for fd, c := range l.conns {
		require.NotNil(t, c)
		require.Equal(t, fd, c.fd, "l.conns[%d] holds a conn whose fd is %d", fd, c.fd)
		require.Equal(t, uint32(unix.EPOLLIN), c.events, "a new connection's events should be EPOLLIN (what it is registered for), got %s", interest(c.events))
		requireFlags(t, fd, "an accepted connection", "unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)", true)
	}

	// Every client has sent something: epoll must report all n readable.
	ready := map[int]uint32{}
	deadline := time.Now().Add(ioTimeout)
	for len(ready) < n && time.Now().Before(deadline) {
		for fd, ev := range readyNow(t, l) {
			if l.conns[fd] != nil && ev&unix.EPOLLIN != 0 {
				ready[fd] = ev
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.Len(t, ready, n, "every client has sent bytes, but epoll reports only %d of the %d connections readable: register each new fd with EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})", len(ready), n)

	// Nobody waiting: acceptAll returns nil at once and changes nothing.
	err = testkit.Returns(t, "acceptAll", "with nobody waiting Accept4 fails with EAGAIN at once (the listening socket is non-blocking): return nil", l.acceptAll)
	require.NoError(t, err, "acceptAll with nobody waiting: the empty queue (EAGAIN) is not an error")
	require.Len(t, l.conns, n)

	// One more, later.
	dial(t, l.addr.String())
	waitAcceptQueue(t, l.lfd, 1)
	require.NoError(t, testkit.Returns(t, "acceptAll", "", l.acceptAll))
	require.Len(t, l.conns, n+1, "a client that connects later is accepted by the next acceptAll")

	// An epoll set that refuses the new fd, as a real one does once the
	// kernel's max_user_watches is reached (ENOSPC). Here: no epoll set at
	// all (EBADF). Nobody but acceptAll knows the accepted fd.
	dial(t, l.addr.String())
	waitAcceptQueue(t, l.lfd, 1)
	before := openFDs(t)
	epfd := l.epfd
	l.epfd = -1
	err = testkit.Returns(t, "acceptAll", "", l.acceptAll)
	l.epfd = epfd
	require.ErrorIs(t, err, unix.EBADF, "EpollCtl ADD failed with EBADF: acceptAll must return that error, not nil, so that Run can stop")
	require.Len(t, l.conns, n+1, "a connection that epoll refused must not go into l.conns: the loop would never hear of it")
	require.LessOrEqual(t, openFDs(t), before, "EpollCtl ADD failed and the accepted fd is still open: close it (unix.Close(fd)) before returning the error, or it leaks")

	// A listening socket that is broken: Accept4 fails with an error that
	// is neither EAGAIN nor one to skip, and acceptAll must say so.
	notASocket, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	require.NoError(t, err)
	defer unix.Close(notASocket)
	lfd := l.lfd
	l.lfd = notASocket
	err = testkit.Returns(t, "acceptAll", "any error of Accept4 other than EAGAIN, ECONNABORTED and EINTR ends the loop and is returned", l.acceptAll)
	l.lfd = lfd
	require.ErrorIs(t, err, unix.ENOTSOCK, "Accept4 on an fd that is not a socket fails with ENOTSOCK: acceptAll must return that error, not nil, so that Run can stop")
}

// waitAcceptQueue waits until n connections wait in lfd's accept queue.
// For a listening socket, TCP_INFO's unacked field is that queue's length.
func waitAcceptQueue(t *testing.T, lfd, n int) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		info, err := unix.GetsockoptTCPInfo(lfd, unix.IPPROTO_TCP, unix.TCP_INFO)
		require.NoError(t, err)
		if int(info.Unacked) >= n {
			return
		}
		require.True(t, time.Now().Before(deadline), "the test waited %v for %d clients in the accept queue, %d are there", ioTimeout, n, info.Unacked)
		time.Sleep(2 * time.Millisecond)
	}
}

// ---- handleConn ----

func handleConnEchoesAndWatchesOnlyForInput(t *testing.T) {
	l := newTestLoop(t)
	c, client := acceptOne(t, l, dial)

	for _, size := range []int{11, 150 << 10} {
		// Many small writes: 150 KiB arrive as many segments, more than
		// one read of readChunk (64 KiB) can take.
		msg := testkit.RandomBytes(size)
		for rest := msg; len(rest) > 0; {
			n, err := client.Write(rest[:min(len(rest), 1000)])
			require.NoError(t, err)
			rest = rest[n:]
		}
		waitUnread(t, c.fd, size)

		handle(t, l, c, unix.EPOLLIN)
		require.Same(t, c, l.conns[c.fd], "handleConn closed (or forgot) a connection that had only sent data: close only on EOF (a read of 0 bytes) or a real error; EAGAIN is not one")
		require.Zero(t, unread(t, c.fd),
			"handleConn left %d of %d bytes unread in the socket: read in a loop until unix.Read fails with unix.EAGAIN (with level-triggered epoll the loop would come back, but one event should drain the socket)", unread(t, c.fd), size)
		require.Empty(t, c.out, "%d bytes are still in c.out, yet the socket had room to write them all: call c.flush() after reading", len(c.out))
		require.Equal(t, uint32(unix.EPOLLIN), c.events,
			"with nothing pending the interest should be EPOLLIN alone, got %s: EPOLLOUT only while output is pending (level-triggered epoll reports a writable socket on every EpollWait: the loop would spin)", interest(c.events))

		got := make([]byte, size)
		_, err := io.ReadFull(client, got)
		require.NoError(t, err, "the client waited for the echo of %d bytes: %s", size, explainReadErr(err))
		testkit.RequireSameBytes(t, msg, got, "the echo")

		// What epoll itself was told: nothing to read, nothing wanted.
		require.NotContains(t, readyNow(t, l), c.fd,
			"epoll still reports the connection ready with nothing to read: was EPOLLOUT registered (EpollCtl MOD) but not cleared? It must be MODified back to EPOLLIN once c.out is empty")
	}
}

// waitUnread waits until n bytes wait unread on the server side of fd.
func waitUnread(t *testing.T, fd, n int) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for unread(t, fd) < n {
		require.True(t, time.Now().Before(deadline), "the test waited %v for its %d bytes to reach the server's socket", ioTimeout, n)
		time.Sleep(2 * time.Millisecond)
	}
}

func handleConnClosesTheConnectionWhenTheClientLeaves(t *testing.T) {
	t.Run("half-close: echo, then close", func(t *testing.T) {
		l := newTestLoop(t)
		c, client := acceptOne(t, l, dial)
		_, err := client.Write([]byte("last words"))
		require.NoError(t, err)
		require.NoError(t, client.CloseWrite())
		requirePoll(t, c.fd, unix.POLLRDHUP, "the client's FIN")

		handle(t, l, c, unix.EPOLLIN)
		if l.conns[c.fd] != nil {
			t.Fatalf("the client sent \"last words\" and half-closed (a read returns 0 bytes: EOF); handleConn did not close the connection: " +
				"once c.eof is set and nothing is pending, l.closeConn(c). Left open, the client never sees EOF and the fd leaks")
		}
		readToEOF(t, client, []byte("last words"), "the client") // the echo comes before the close
	})

	t.Run("reset: close at once", func(t *testing.T) {
		l := newTestLoop(t)
		c, client := acceptOne(t, l, dial)
		echoThroughHandle(t, l, c, client, "hello")
		require.NoError(t, client.SetLinger(0)) // Close sends RST
		require.NoError(t, client.Close())
		requirePoll(t, c.fd, unix.POLLIN, "the client's RST")

		handle(t, l, c, unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP)
		require.Nil(t, l.conns[c.fd],
			"the client reset the connection (unix.Read fails with ECONNRESET): handleConn should close it at once (l.closeConn), it is gone")
	})
}

// echoThroughHandle sends msg from client and has handleConn echo it.
func echoThroughHandle(t *testing.T, l *Loop, c *conn, client *net.TCPConn, msg string) {
	t.Helper()
	_, err := client.Write([]byte(msg))
	require.NoError(t, err)
	waitUnread(t, c.fd, len(msg))
	handle(t, l, c, unix.EPOLLIN)
	require.Zero(t, unread(t, c.fd), "handleConn left bytes unread in the socket: read until unix.EAGAIN")
	got := make([]byte, len(msg))
	_, err = io.ReadFull(client, got)
	require.NoError(t, err, "the echo of %q: %s", msg, explainReadErr(err))
}

func handleConnPendingOutputWaitsForEPOLLOUT(t *testing.T) {
	l := newTestLoop(t)
	c, client := acceptOne(t, l, dialSmallWindow)
	require.NoError(t, unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 32<<10))

	// The client sends 3 MiB and reads nothing for now.
	payload := testkit.RandomBytes(3 << 20)
	sent := make(chan error, 1)
	go func() {
		_, err := client.Write(payload)
		sent <- err
	}()

	// Play Run until nothing happens on c for 300 ms: the client's window
	// and the server's send buffer are full, and c.out holds the rest.
	drive(t, l, c, 2*ioTimeout, 300*time.Millisecond, func() bool { return c.events&unix.EPOLLIN == 0 && len(c.out) > 0 })
	require.Same(t, c, l.conns[c.fd], "handleConn closed a connection whose client is only slow to read")
	require.NotEmpty(t, c.out,
		"the client has not read anything, so the echo cannot all fit in the socket buffers; yet c.out is empty: the bytes unix.Write did not take must stay in c.out (were they dropped?)")
	require.LessOrEqual(t, len(c.out), maxPending,
		"c.out holds %d bytes, more than maxPending (%d): stop reading once c.out is full, and drop EPOLLIN from the interest until the client reads its echo (backpressure)", len(c.out), maxPending)
	require.NotZero(t, c.events&unix.EPOLLOUT,
		"%d bytes are pending but the interest is %s: add EPOLLOUT (EpollCtl MOD), or the loop never learns when the client makes room", len(c.out), interest(c.events))
	if len(c.out) == maxPending {
		require.Zero(t, c.events&unix.EPOLLIN, "c.out is full (maxPending) but the interest still has EPOLLIN: a full connection must not be read from, and level-triggered epoll would report it readable on every wait")
	}

	// Now the client reads everything; the loop must finish the echo.
	var got []byte
	read := make(chan error, 1)
	go func() {
		var err error
		got, err = io.ReadAll(io.LimitReader(client, int64(len(payload))))
		read <- err
	}()
	var readErr error
	finished := drive(t, l, c, 3*ioTimeout, 0, func() bool {
		select {
		case readErr = <-read:
			return true
		default:
			return false
		}
	})
	require.Same(t, c, l.conns[c.fd],
		"handleConn closed the connection before the echo was finished: close only on an error or once the client's EOF is read and c.out is empty (a read of 0 bytes is EOF only when the buffer you read into was not empty)")
	require.True(t, finished, "the client read for %v but the echo did not finish: when epoll reports EPOLLOUT, handleConn must flush c.out (and read more once there is room)", 3*ioTimeout)
	require.NoError(t, readErr, "the client reading its echo: %s", explainReadErr(readErr))
	require.NoError(t, received(t, sent, "the client's send of 3 MiB"), "the client sending 3 MiB")
	testkit.RequireSameBytes(t, payload, got, "the echo")

	// Everything written: back to EPOLLIN alone.
	drive(t, l, c, ioTimeout, 0, func() bool { return len(c.out) == 0 && c.events == unix.EPOLLIN })
	require.Empty(t, c.out)
	require.Equal(t, uint32(unix.EPOLLIN), c.events,
		"all output is written but the interest is %s: drop EPOLLOUT (EpollCtl MOD back to EPOLLIN), or the loop spins on a writable socket", interest(c.events))
	require.NotContains(t, readyNow(t, l), c.fd,
		"c.events says EPOLLIN, but epoll still reports the idle connection ready: the kernel's interest is what EpollCtl(EPOLL_CTL_MOD) last set; update c.events only after the MOD, and MOD whenever the interest changes")
}

// connWithFullSendBuffer puts in l.conns a conn on one end of a Unix socket
// pair whose send buffer is full: its peer has read nothing yet, so a write
// of even one byte fails with EAGAIN until the peer reads. The conn is
// registered with l's epoll for EPOLLIN when registered is true.
func connWithFullSendBuffer(t *testing.T, l *Loop, registered bool) (c *conn, peer int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fds[1]) }) // fds[0] is in l.conns: closed by handleConn or newTestLoop's cleanup
	c = &conn{fd: fds[0], events: unix.EPOLLIN}
	l.conns[c.fd] = c
	for junk := make([]byte, 64<<10); ; {
		_, err := unix.Write(c.fd, junk)
		if err == unix.EAGAIN {
			break
		}
		require.NoError(t, err, "the test could not fill its socket's send buffer")
	}
	if registered {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}
		require.NoError(t, unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev))
	}
	return c, fds[1]
}

func handleConnOneBytePendingWaitsForEPOLLOUT(t *testing.T) {
	l := newTestLoop(t)
	c, peer := connWithFullSendBuffer(t, l, true)

	// The client sends one byte; its echo does not fit in the full buffer.
	_, err := unix.Write(peer, []byte("!"))
	require.NoError(t, err)
	handle(t, l, c, unix.EPOLLIN)
	require.Same(t, c, l.conns[c.fd], "handleConn closed a connection whose send buffer is only full: EAGAIN is not an error")
	require.Equal(t, "!", string(c.out), "the client sent one byte: handleConn must read it into c.out, and keep it there when unix.Write fails with EAGAIN (the send buffer is full)")
	require.Equal(t, uint32(unix.EPOLLIN|unix.EPOLLOUT), c.events,
		"one byte is pending but the interest is %s: EPOLLOUT whenever c.out is not empty, however short, or the byte waits until the client sends something else", interest(c.events))

	// The peer reads: epoll reports room to write, and handleConn writes the byte.
	drain(t, peer)
	require.NotZero(t, readyNow(t, l)[c.fd]&unix.EPOLLOUT, "the peer made room, but epoll does not report the connection writable: EpollCtl MOD with EPOLLOUT")
	handle(t, l, c, unix.EPOLLOUT)
	require.Equal(t, "!", string(drain(t, peer)), "on EPOLLOUT, handleConn must write what is pending in c.out (flush)")
	require.Equal(t, uint32(unix.EPOLLIN), c.events, "everything is written: the interest goes back to EPOLLIN alone, got %s", interest(c.events))
}

func handleConnClosesTheConnectionWhenEpollCtlFails(t *testing.T) {
	l := newTestLoop(t)
	// Never added to the epoll set, so EpollCtl MOD fails (ENOENT); in a
	// real loop MOD can fail with ENOMEM. Either way epoll does not watch
	// for what the connection needs, and it would stall or spin.
	c, peer := connWithFullSendBuffer(t, l, false)

	_, err := unix.Write(peer, []byte("!"))
	require.NoError(t, err)
	handle(t, l, c, unix.EPOLLIN)
	require.Nil(t, l.conns[c.fd],
		"the client sent a byte whose echo does not fit in the full send buffer, so the interest had to become EPOLLIN|EPOLLOUT, and EpollCtl MOD fails here (the fd was never added to epoll): on that error handleConn must close the connection (l.closeConn), as on any error but EAGAIN")
}
