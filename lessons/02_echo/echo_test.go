package echo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestServeEcho_EchoesWhatTheClientSends(t *testing.T) {
	srv := startServeEcho(t)
	// No garbage collection while we count open sockets below: it would
	// close a leaked connection for you (a finalizer).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before, canCount := openSockets()
	conn := testkit.DialTCP(t, srv.addr)

	_, err := conn.Write([]byte("Hello World!"))
	require.NoError(t, err, "the test client could not send")
	require.NoError(t, conn.CloseWrite(), "the test client could not half-close")

	reply, err := io.ReadAll(conn)
	require.NoError(t, err, "reading the echo: after the client's EOF, ServeEcho should write everything back and close the connection")
	assert.Equal(t, "Hello World!", string(reply), "the server should send back exactly what the client sent")

	// The client read EOF; once it closes its end too, neither end of the
	// connection may hold a file open.
	conn.Close()
	if !canCount {
		return // this system does not list a process's open sockets
	}
	now := before
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if now, _ = openSockets(); now <= before {
			return
		}
	}
	t.Fatalf("the client read EOF, but ServeEcho's end of the connection is still open (%d open sockets, %d before): "+
		"CloseWrite only sends the FIN; close conn when the echo is done", now, before)
}

// ANCHOR: concurrent
func TestServeEcho_ServesClientsConcurrently(t *testing.T) {
	srv := startServeEcho(t)

	// Connect every client first and let each one say something...
	const n = 5
	clients := make([]*net.TCPConn, n)
	for i := range clients {
		clients[i] = testkit.DialTCP(t, srv.addr)
		_, err := fmt.Fprintf(clients[i], "hello from client %d", i)
		require.NoError(t, err, "client %d could not send", i)
	}

	// ...then finish them in reverse order. A server that serves one
	// connection at a time is still busy with client 0, which has not
	// finished, so client 4 would wait forever.
	for i := n - 1; i >= 0; i-- {
		require.NoError(t, clients[i].CloseWrite())
		reply, err := io.ReadAll(clients[i])
		require.NoError(t, err,
			"client %d half-closed and waited for its echo while clients 0..%d were still connected: does every connection get its own goroutine?", i, i-1)
		assert.Equal(t, fmt.Sprintf("hello from client %d", i), string(reply), "client %d got the wrong echo", i)
	}
}

// ANCHOR_END: concurrent

func TestServeEcho_EchoesLargePayloads(t *testing.T) {
	srv := startServeEcho(t)

	// 1 MiB does not fit in one Read: the server must loop until EOF.
	for _, size := range []int{0, 1, 64<<10 + 1, 1<<20 + 13, 4 << 20} {
		t.Run(fmt.Sprintf("%d_bytes", size), func(t *testing.T) {
			payload := testkit.RandomBytes(size)
			conn := testkit.DialTCP(t, srv.addr)

			// Send from another goroutine while this one reads the echo:
			// an echo server answers before we have finished sending.
			sent := make(chan error, 1)
			go func() {
				_, err := conn.Write(payload)
				if err == nil {
					err = conn.CloseWrite()
				}
				sent <- err
			}()

			reply, err := io.ReadAll(conn)
			require.NoError(t, err, "reading the echo of %d bytes (got %d so far)", size, len(reply))
			require.NoError(t, <-sent, "sending %d bytes", size)
			require.Equal(t, size, len(reply),
				"the echo has the wrong length: one Read returns whatever has arrived so far, so ServeEcho must keep reading and writing until EOF (io.Copy does)")
			testkit.RequireSameBytes(t, payload, reply, "the echo")
		})
	}
}

// ANCHOR: halfclose
func TestServeEcho_HalfCloseGetsEveryByteThenEOF(t *testing.T) {
	srv := startServeEcho(t)
	conn := testkit.DialTCP(t, srv.addr)

	// A conversation: each piece must come back while the connection is
	// still open in both directions, before the client says it is done.
	for _, piece := range []string{"ping", "a longer line\n", "x"} {
		_, err := conn.Write([]byte(piece))
		require.NoError(t, err)
		got := readFull(t, conn, len(piece),
			fmt.Sprintf("the echo of %q before the client half-closed (echo what you read right away, do not wait for EOF)", piece))
		require.Equal(t, piece, string(got))
	}

	// The client half-closes: it sends a FIN but can still read.
	_, err := conn.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, conn.CloseWrite())

	rest, err := io.ReadAll(conn) // nil error means it ended with io.EOF
	require.NoError(t, err, "after the client's EOF the server should finish echoing and close the connection (the client then reads io.EOF)")
	assert.Equal(t, "last words", string(rest), "the bytes sent just before the half-close must come back too")

	n, err := conn.Read(make([]byte, 1))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF, "the connection should stay at EOF once the server has closed it")
}

// ANCHOR_END: halfclose

// ANCHOR: cancel
func TestServeEcho_CancelStopsServerAndClosesIdleConnections(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ln := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
	srv := startServeEchoOn(t, ln)

	// Three clients that have been served once and now sit idle: their
	// connection goroutines are blocked in Read.
	clients := make([]*net.TCPConn, 3)
	for i := range clients {
		clients[i] = testkit.DialTCP(t, srv.addr)
		_, err := clients[i].Write([]byte("hi"))
		require.NoError(t, err)
		readFull(t, clients[i], 2, fmt.Sprintf("the echo for client %d", i))
	}

	srv.cancel()
	select {
	case <-srv.done:
	case <-time.After(ioTimeout):
		t.Fatalf("ServeEcho did not return within %v of the cancel: close the listener and every open connection, then wait for the goroutines", ioTimeout)
	}
	require.NoError(t, srv.err, "a cancelled ctx is a normal stop: ServeEcho should return nil (Accept's net.ErrClosed is expected then)")
	require.Zero(t, ln.Busy(),
		"ServeEcho returned while connection goroutines were still running: wait for them (sync.WaitGroup) before returning")

	for i, c := range clients {
		_, err := c.Read(make([]byte, 1))
		require.Error(t, err, "client %d could still read after the server stopped", i)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("idle client %d was still connected after ServeEcho returned: close every open connection when ctx is cancelled", i)
		}
	}

	conn, err := net.DialTimeout("tcp", srv.addr, ioTimeout)
	if err == nil {
		conn.Close()
	}
	require.Error(t, err, "a new client could still connect after ServeEcho returned: close the listener when ctx is cancelled")
	// goleak.VerifyNone (deferred above) now checks that no goroutine
	// started by ServeEcho is still running.
}

// ANCHOR_END: cancel

func TestServeEcho_ReturnsAcceptErrors(t *testing.T) {
	t.Run("listener closed by its owner is not a failure", func(t *testing.T) {
		opt := goleak.IgnoreCurrent()
		testkit.RequireStopOnClosedListener(t, "ServeEcho", ServeEcho) // ctx is never cancelled here
		requireNoGoroutineLeft(t, opt, "its listener was closed")
	})
	t.Run("listener closed by its owner with a client connected", func(t *testing.T) {
		opt := goleak.IgnoreCurrent()
		ln := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
		srv := startServeEchoOn(t, ln)
		client := testkit.DialTCP(t, srv.addr)
		_, err := client.Write([]byte("hi"))
		require.NoError(t, err)
		readFull(t, client, 2, "the echo")

		ln.Close() // the owner stops the server; its ctx is not cancelled
		select {
		case <-srv.done:
		case <-time.After(ioTimeout):
			t.Fatalf("ServeEcho did not return within %v after its owner closed the listener with a client connected: "+
				"do the same cleanup as a cancel, close the open connections and wait for their goroutines", ioTimeout)
		}
		require.NoError(t, srv.err, "a listener closed by its owner is a stop: ServeEcho should return nil")
		require.Zero(t, ln.Busy(),
			"ServeEcho returned while connection goroutines were still running: wait for them (sync.WaitGroup) on every way out, not only on a cancel")
		_, err = client.Read(make([]byte, 1))
		require.Error(t, err, "the client could still read after ServeEcho returned")
		require.False(t, testkit.IsTimeout(err),
			"the client was still connected after ServeEcho returned: every way out of ServeEcho closes the open connections")
		requireNoGoroutineLeft(t, opt, "its listener was closed")
	})
	t.Run("other Accept errors are returned", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "ServeEcho", ServeEcho)
	})
	t.Run("an Accept error with clients connected closes them first", func(t *testing.T) {
		errBroken := errors.New("accept: too many open files (the test broke this listener)")
		slow := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
		ln := &breakableListener{Listener: slow, err: errBroken}
		opt := goleak.IgnoreCurrent()
		run := testkit.Go("ServeEcho", func() error { return ServeEcho(t.Context(), ln) })
		defer ln.Close()

		clients := make([]*net.TCPConn, 2)
		for i := range clients {
			clients[i] = testkit.DialTCP(t, ln.Addr().String())
			_, err := clients[i].Write([]byte("hi"))
			require.NoError(t, err)
			readFull(t, clients[i], 2, fmt.Sprintf("the echo for client %d", i))
		}

		ln.breakNow() // the next Accept fails with errBroken, and ctx is not cancelled
		err := run.Wait(t, ioTimeout, "Accept failed with clients still connected",
			"return Accept's error after the same cleanup as a cancel: close the open connections and wait for their goroutines")
		require.ErrorIs(t, err, errBroken, "ServeEcho should return Accept's error")
		require.Zero(t, slow.Busy(),
			"ServeEcho returned Accept's error while connection goroutines were still running: wait for them (sync.WaitGroup) before returning, on every way out")
		for i, c := range clients {
			_, err := c.Read(make([]byte, 1))
			require.Error(t, err, "client %d could still read after ServeEcho returned", i)
			require.False(t, testkit.IsTimeout(err),
				"client %d was still connected after ServeEcho returned an Accept error: every way out of ServeEcho closes the open connections", i)
		}
		requireNoGoroutineLeft(t, opt, "Accept failed") // ctx is cancelled only when the test ends
	})
}

func TestServeEcho_CancelClosesEveryConnection(t *testing.T) {
	t.Run("a client that does not read its echo", func(t *testing.T) {
		srv := startServeEcho(t)
		c := testkit.DialTCP(t, srv.addr)
		require.NoError(t, c.SetReadBuffer(64<<10))

		// The client sends and never reads: once the socket buffers are
		// full, the server's echo Write blocks, and with it the server's
		// reading, so the client's writes stop getting through too.
		var sent atomic.Int64
		go func() {
			chunk := testkit.RandomBytes(64 << 10)
			for {
				n, err := c.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return // the deadline DialTCP set, or the connection closed
				}
			}
		}()
		last, still := int64(-1), time.Now()
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && time.Since(still) < 300*time.Millisecond; time.Sleep(20 * time.Millisecond) {
			if n := sent.Load(); n != last {
				last, still = n, time.Now()
			}
		}

		srv.cancel()
		select {
		case <-srv.done:
		case <-time.After(ioTimeout):
			t.Fatalf("ServeEcho did not return within %v of the cancel while a client that does not read its echo was connected: "+
				"that connection's goroutine is blocked in Write, which only closing the connection wakes (conn.Close, not a read deadline)", ioTimeout)
		}
		require.NoError(t, srv.err, "a cancelled ctx is a normal stop: ServeEcho should return nil")
	})

	t.Run("a connection accepted as the cancel runs", func(t *testing.T) {
		ln := &heldListener{Listener: testkit.Listen(t), release: make(chan struct{})}
		t.Cleanup(ln.releaseNow) // never leave Accept stranded, even when the test fails
		srv := startServeEchoOn(t, ln)
		c := testkit.DialTCP(t, srv.addr)

		// Accept has this connection, but does not hand it over until the
		// cancel has done its work: closing ln, and the connections it
		// knew of (none yet).
		time.Sleep(100 * time.Millisecond)
		srv.cancel()
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline) && !ln.closed.Load(); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		ln.releaseNow()

		select {
		case <-srv.done:
		case <-time.After(ioTimeout):
			t.Fatalf("ServeEcho did not return within %v of the cancel: a connection Accept returned just as ctx was cancelled was never closed, "+
				"so its goroutine still waits in Read; check ctx after Accept, or close each conn from its own context.AfterFunc", ioTimeout)
		}
		require.NoError(t, srv.err, "a cancelled ctx is a normal stop: ServeEcho should return nil")
		_, err := c.Read(make([]byte, 1))
		require.Error(t, err, "the client could still read after ServeEcho returned")
		require.False(t, testkit.IsTimeout(err),
			"the client accepted during the cancel was still connected after ServeEcho returned: close every connection you get, even after ctx is done")
	})
}

// heldListener is a real listener whose first accepted connection is held
// back until releaseNow, so a test can cancel ServeEcho's ctx while Accept
// has a connection in hand.
type heldListener struct {
	net.Listener
	release chan struct{}
	once    sync.Once
	held    atomic.Bool
	closed  atomic.Bool
}

func (l *heldListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil && l.held.CompareAndSwap(false, true) {
		<-l.release
	}
	return conn, err
}

func (l *heldListener) Close() error {
	l.closed.Store(true)
	return l.Listener.Close()
}

func (l *heldListener) releaseNow() { l.once.Do(func() { close(l.release) }) }

// requireNoGoroutineLeft fails the test if a goroutine started after opt
// was taken (goleak.IgnoreCurrent) is still running once ServeEcho has
// returned because event happened while its ctx was not cancelled.
func requireNoGoroutineLeft(t *testing.T, opt goleak.Option, event string) {
	t.Helper()
	if err := goleak.Find(opt); err != nil {
		t.Fatalf("ServeEcho returned after %s but left a goroutine running (one waiting on ctx.Done(), which never comes?): "+
			"never return before all of your goroutines have; use context.AfterFunc and call its stop function, "+
			"or a ctx you cancel yourself, before returning\n%v", event, err)
	}
}

// breakableListener is a real listener whose Accept starts failing with err
// once breakNow is called, as a listener does when the process runs out of
// file descriptors.
type breakableListener struct {
	net.Listener
	err    error
	broken atomic.Bool
}

func (l *breakableListener) breakNow() {
	l.broken.Store(true)
	l.Listener.Close() // wakes the Accept that is waiting
}

func (l *breakableListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if l.broken.Load() {
		if conn != nil {
			conn.Close()
		}
		return nil, l.err
	}
	return conn, err
}
