//go:build linux

package eventloop

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"netlings/tools/testkit"
)

func runEchoesAndClosesAfterEOF(t *testing.T) {
	l := startLoop(t)

	client := dial(t, l.addr)
	for _, msg := range []string{"Hello World!", "a second line\n", "x"} {
		echoOnce(t, client, msg, "the client")
	}
	_, err := client.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, client.CloseWrite())
	readToEOF(t, client, []byte("last words"), "the client") // the bytes sent just before the half-close come back before the close

	// The loop keeps serving others.
	echoOnce(t, dial(t, l.addr), "still there?", "a second client")
}

func runEchoes1MiBBursts(t *testing.T) {
	l := startLoop(t)

	const clients = 4
	payload := testkit.RandomBytes(1 << 20)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		c := dial(t, l.addr)
		wg.Go(func() {
			// One Write of 1 MiB, read back at the same time.
			sent := make(chan error, 1)
			go func() { _, err := c.Write(payload); sent <- err }()
			got := make([]byte, len(payload))
			n, err := io.ReadFull(c, got)
			if err == nil {
				select {
				case err = <-sent:
				case <-time.After(ioTimeout):
					err = fmt.Errorf("the send did not finish")
				}
			}
			if err == nil && string(got) != string(payload) {
				err = fmt.Errorf("the echo differs from what was sent, first at offset %d", testkit.FirstDiff(payload, got))
			}
			if err != nil {
				errs <- fmt.Errorf("client %d, after %d of %d bytes of the echo: %w (%s)", i, n, len(payload), err, explainReadErr(err))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func runSlowReaderGetsEveryByteInOrder(t *testing.T) {
	l := startLoop(t)
	smallSendBuffers(t, l.Loop)
	client := dialSmallWindow(t, l.addr)

	// 4 MiB sent while nothing is read: the loop's writes soon fail with
	// EAGAIN, and it must keep what is left and wait for EPOLLOUT.
	payload := testkit.RandomBytes(4 << 20)
	sent := make(chan error, 1)
	go func() { _, err := client.Write(payload); sent <- err }()
	time.Sleep(300 * time.Millisecond) // enough to fill every buffer on the way

	got := make([]byte, len(payload))
	n, err := io.ReadFull(client, got)
	require.NoError(t, err, "the slow client read %d of %d bytes of its echo, then: %s "+
		"(a write that fails with EAGAIN or writes part: keep the rest in c.out, register EPOLLOUT, flush on EPOLLOUT)", n, len(payload), explainReadErr(err))
	require.NoError(t, received(t, sent, "the client's send of 4 MiB to finish"))
	testkit.RequireSameBytes(t, payload, got, "the echo to the slow client")
	echoOnce(t, client, "and after that?", "the slow client")
}

// ANCHOR: thousand
func runServesAThousandClientsWithoutAGoroutineEach(t *testing.T) {
	const n = 1000
	raiseNoFile(t, 2*n+256) // the clients' fds and the loop's, in this one process
	l := startLoop(t)
	before := openFDs(t)
	goroutines := runtime.NumGoroutine()

	// All connected at once, each says something, then each reads its echo.
	clients := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	deadline := time.Now().Add(4 * ioTimeout)
	for i := range n {
		c, err := net.DialTimeout("tcp", l.addr, ioTimeout)
		require.NoError(t, err, "client %d of %d could not connect: is the loop accepting (acceptAll on the listening socket's event)?", i, n)
		clients = append(clients, c)
		c.SetDeadline(deadline)
		_, err = fmt.Fprintf(c, "client %04d\n", i)
		require.NoError(t, err)
	}
	during := runtime.NumGoroutine()
	for i, c := range clients {
		want := fmt.Sprintf("client %04d\n", i)
		got := make([]byte, len(want))
		_, err := io.ReadFull(c, got)
		require.NoError(t, err, "client %d of %d, with all %d connected: %s", i, n, n, explainReadErr(err))
		require.Equal(t, want, string(got), "client %d got someone else's echo", i)
	}
	require.LessOrEqual(t, during-goroutines, 10,
		"with %d clients connected there were %d goroutines more than before: the event loop serves every connection from its one goroutine (no go statement in Run, acceptAll or handleConn)", n, during-goroutines)

	for _, c := range clients {
		c.Close()
	}
	clients = nil
	waitFDs(t, before, ioTimeout, fmt.Sprintf("%d clients connected and left: the loop should close each fd once its client has gone (read returns 0, or an error)", n))
}

// ANCHOR_END: thousand

func runClosesEveryFDWhenClientsLeave(t *testing.T) {
	l := startLoop(t)
	before := openFDs(t)

	// Ten clients of each kind of goodbye.
	for i := range 10 {
		// Full close after an echo: the loop reads EOF.
		c := dial(t, l.addr)
		echoOnce(t, c, "bye", fmt.Sprintf("closing client %d", i))
		c.Close()

		// Half-close: the loop echoes, then closes, and the client sees EOF.
		h := dial(t, l.addr)
		_, err := h.Write([]byte("half"))
		require.NoError(t, err)
		require.NoError(t, h.CloseWrite())
		readToEOF(t, h, []byte("half"), fmt.Sprintf("half-closing client %d", i))
		h.Close()

		// Reset with bytes in flight: the loop's read fails (ECONNRESET).
		r := dial(t, l.addr)
		_, err = r.Write(testkit.RandomBytes(100 << 10))
		require.NoError(t, err)
		require.NoError(t, r.SetLinger(0))
		r.Close()
	}
	waitFDs(t, before, ioTimeout,
		"30 clients left (10 closed, 10 half-closed, 10 reset): the loop must close a connection's fd (l.closeConn) on EOF once its echo is written, and at once on an error such as ECONNRESET")

	echoOnce(t, dial(t, l.addr), "still serving?", "a client after the others left")
}

func runSleepsWhileNothingHappens(t *testing.T) {
	l := startLoop(t)
	smallSendBuffers(t, l.Loop)

	// A client that was slow to read (so EPOLLOUT was on for a while),
	// one that half-closed and is still connected, and an idle one.
	slow := dialSmallWindow(t, l.addr)
	payload := testkit.RandomBytes(2 << 20)
	go slow.Write(payload)
	time.Sleep(100 * time.Millisecond)
	got := make([]byte, len(payload))
	_, err := io.ReadFull(slow, got)
	require.NoError(t, err, "the slow client's echo: %s", explainReadErr(err))

	half := dialSmallWindow(t, l.addr)
	halfSent := testkit.RandomBytes(768 << 10)
	halfDone := make(chan error, 1)
	go func() {
		_, err := half.Write(halfSent)
		if err == nil {
			err = half.CloseWrite() // and it does not read for now: most of the echo stays pending
		}
		halfDone <- err
	}()
	require.NoError(t, received(t, halfDone, "the half-closing client's send"))

	echoOnce(t, dial(t, l.addr), "ping", "the idle client")
	time.Sleep(100 * time.Millisecond)

	// Now nothing happens for half a second.
	const idle = 500 * time.Millisecond
	wakeups := l.wakeups.Load()
	cpu := cpuTime(t)
	time.Sleep(idle)
	woke := l.wakeups.Load() - wakeups
	used := cpuTime(t) - cpu

	const why = "look for an interest that is always ready: EPOLLOUT with nothing pending (a socket with room to write is writable on every wait), EPOLLIN after the client's EOF (a socket at EOF is readable on every wait), or an EpollWait with a time-out of 0"
	require.Less(t, woke, int64(50), "nothing happened for %v, but EpollWait returned %d times: the loop is spinning; %s", idle, woke, why)
	require.Less(t, used, 200*time.Millisecond, "nothing happened for %v, but the process used %v of CPU: the loop is spinning; %s", idle, used, why)

	readToEOF(t, half, halfSent, "the half-closed client")
}

// cpuTime is the CPU time this process has used so far, user and system.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	require.NoError(t, unix.Getrusage(unix.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func stopReturnsPromptlyAndDisconnectsClients(t *testing.T) {
	before := openFDs(t)
	l := startLoop(t)

	clients := make([]*net.TCPConn, 3)
	for i := range clients {
		clients[i] = dial(t, l.addr)
		echoOnce(t, clients[i], "hello", fmt.Sprintf("client %d", i))
	}
	idle := dial(t, l.addr) // connected, never said anything

	start := time.Now()
	var err error
	testkit.Call(t, "Stop",
		"Run sleeps in EpollWait with no time-out: Stop must wake it by writing to the eventfd the loop watches (8 bytes: a uint64 1), then wait for <-l.done",
		func() { err = l.Stop() })
	require.NoError(t, err, "Stop")
	took := time.Since(start)
	// Right now, with no polling: Stop has waited for Run's closeAll.
	require.LessOrEqual(t, openFDs(t), before+len(clients)+1,
		"Stop returned while the loop's fds were still open (only the 4 test clients' own fds should be left): Stop must wait for <-l.done, which Run closes after closeAll")
	runErr := l.run.Wait(t, 2*time.Second, "Stop returned", "Stop must wait for Run, and Run must return once the eventfd is readable")
	require.NoError(t, runErr, "Run should return nil after Stop: stopping is not a failure")
	require.Less(t, took, 2*time.Second, "Stop took %v: wake EpollWait through the eventfd rather than waiting for a time-out", took)

	for i, c := range append(clients, idle) {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := c.Read(make([]byte, 1))
		require.Error(t, err, "client %d could still read after Stop", i)
		require.False(t, testkit.IsTimeout(err),
			"client %d was still connected 2 s after Stop returned: when Run returns it must close every connection (l.closeAll)", i)
	}

	c, err := net.DialTimeout("tcp", l.addr, time.Second)
	if err == nil {
		c.Close()
	}
	require.Error(t, err, "a new client could still connect after Stop: the listening socket must be closed")

	for _, c := range append(clients, idle) {
		c.Close()
	}
	waitFDs(t, before, ioTimeout, "Stop returned and the clients closed: the loop's listening socket, epoll fd, eventfd and every connection must be closed")

	// The loop closed its connections first, so they wait in TIME_WAIT
	// on its port for a minute: a restarted server must bind it all the same.
	again, err := testkit.Returns2(t, "New", "", func() (*Loop, error) { return New(l.addr) })
	if err == nil {
		stopQuietly(t, again)
	}
	require.NoError(t, err, "New on the address of a loop that has just stopped: set SO_REUSEADDR on the listening socket before Bind, as net.Listen does, or the old connections in TIME_WAIT keep the port taken")
}

func stopIsIdempotentAndRunRefusesToRunTwice(t *testing.T) {
	l := startLoop(t)
	client := dial(t, l.addr)
	echoOnce(t, client, "one", "the client")

	err := testkit.Returns(t, "Run", "a second Run while the first is serving must return ErrRunning at once", l.Run)
	require.ErrorIs(t, err, ErrRunning, "a second Run while the first is serving")
	echoOnce(t, client, "two", "the client, after a second Run was refused")

	// Three Stops at once, then one more: every one returns nil.
	stops := make([]*testkit.Running, 3)
	for i := range stops {
		stops[i] = testkit.Go("Stop", l.Stop)
	}
	for i, s := range stops {
		require.NoError(t, s.Wait(t, testkit.CallTimeout, fmt.Sprintf("three Stops were called at once (#%d)", i+1),
			"every Stop waits for <-l.done; only the first one wakes the loop"), "Stop #%d", i+1)
	}
	require.NoError(t, l.run.Wait(t, 2*time.Second, "Stop returned", ""), "Run after Stop")
	err = testkit.Returns(t, "Stop", "a Stop after the loop has stopped has nothing to do: return nil at once", l.Stop)
	require.NoError(t, err, "a second Stop must return nil: Stop is idempotent")

	err = testkit.Returns(t, "Run", "a Run after Stop must return ErrStopped at once: its fds are closed", l.Run)
	require.ErrorIs(t, err, ErrStopped, "Run after Stop")
}

func stopWithoutRunClosesEveryFD(t *testing.T) {
	before := openFDs(t)
	l := newLoop(t)
	require.Greater(t, openFDs(t), before, "New opened no fds?")

	err := testkit.Returns(t, "Stop", "when Run never ran, Stop closes the fds itself (l.closeAll), closes l.done, and returns", l.Stop)
	require.NoError(t, err, "Stop on a loop that never ran")
	waitFDs(t, before, time.Second, "Stop on a loop that never ran: Stop must close the fds New opened (l.closeAll)")

	err = testkit.Returns(t, "Run", "a Run after Stop must return ErrStopped at once", l.Run)
	require.ErrorIs(t, err, ErrStopped, "Run after Stop, on a loop that never ran")
	require.NoError(t, testkit.Returns(t, "Stop", "", l.Stop), "a second Stop must return nil")
}

func runReturnsTheErrorThatEndsIt(t *testing.T) {
	// Out of fds: Accept4 fails with EMFILE. (A server that must survive
	// that would stop accepting for a while; this loop gives up.)
	before := openFDs(t)
	l := startLoop(t)
	client, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(client)
	port := l.Addr().(*net.TCPAddr).Port
	withNoNewFDs(t, func() {
		err = unix.Connect(client, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port})
		if err == unix.EINPROGRESS {
			err = nil // the kernel finishes the handshake on its own
		}
		require.NoError(t, err, "the test client could not connect")
		err = l.run.Wait(t, ioTimeout, "a client connected while the process could open no more fds",
			"Accept4 fails with EMFILE, which is neither EAGAIN nor one to skip: acceptAll returns it, and so does Run")
	})
	require.ErrorIs(t, err, unix.EMFILE, "Run must return acceptAll's error (here EMFILE), not nil: nil says that Stop was called")
	waitFDs(t, before+1, ioTimeout, "Run returned an error: it must close every fd of the loop all the same (l.closeAll)") // +1: the test's client

	// A broken epoll fd: EpollWait fails with EBADF.
	broken := newLoop(t)
	require.NoError(t, unix.Close(broken.epfd))
	broken.epfd = -1
	err = testkit.Returns(t, "Run", "an error from l.wait other than EINTR (which wait retries) ends the loop: return it", broken.Run)
	require.ErrorIs(t, err, unix.EBADF, "Run must return l.wait's error (here EBADF), not nil: nil says that Stop was called")
}

func runUnlocksItsThreadWhenItReturns(t *testing.T) {
	l := newLoop(t)
	// The goroutine that calls Run holds a lock of its own, so it knows
	// Run's thread. Run's LockOSThread nests inside it, and Run's
	// UnlockOSThread must undo Run's own lock, no more, no less.
	tids := make(chan int, 1)
	run := testkit.Go("Run", func() error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tids <- unix.Gettid()
		return l.Run()
	})
	var tid int
	select {
	case tid = <-tids:
	case <-time.After(ioTimeout):
		t.Fatalf("the test's goroutine did not start within %v", ioTimeout)
	}
	echoOnce(t, dial(t, l.Addr().String()), "serving?", "a client")
	testkit.Call(t, "Stop", "", func() { l.Stop() })
	require.NoError(t, run.Wait(t, 2*time.Second, "Stop returned", ""), "Run after Stop")

	// The goroutine has ended. Unlocked, its thread goes back to Go's pool;
	// still locked, Go ends the thread with it.
	task := fmt.Sprintf("/proc/self/task/%d", tid)
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		_, err := os.Stat(task)
		require.NoError(t, err, "the thread Run ran on ended with the goroutine that called Run: Run returned with its thread still locked; pair runtime.LockOSThread with defer runtime.UnlockOSThread")
	}
}

func stopAfterRunClosedItsFDsLeavesTheEventfdAlone(t *testing.T) {
	l := startLoop(t)
	epfd := l.epfd
	first := testkit.Go("Stop", l.Stop)

	// Wait until Run has closed its epoll fd, the last of its fds, without
	// waiting for Stop or Run themselves: a second Stop comes now.
	for deadline := time.Now().Add(ioTimeout); fdKind(epfd) == "anon_inode:[eventpoll]"; time.Sleep(time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "the loop's epoll fd was still open %v after Stop was called", ioTimeout)
	}
	// Only the first Stop writes to the eventfd. This one must not even
	// read l.wakefd, which closeAll is setting to -1 right now (the race
	// detector reports it), and whose number may name another file already.
	err := testkit.Returns(t, "Stop", "", l.Stop)
	require.NoError(t, err, "a Stop while Run is returning")
	require.NoError(t, first.Wait(t, testkit.CallTimeout, "Stop was called", ""), "the first Stop")
}
