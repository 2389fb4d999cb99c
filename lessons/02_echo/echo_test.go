package echo

import (
	"errors"
	"fmt"
	"io"
	"net"
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
	conn := testkit.DialTCP(t, srv.addr)

	_, err := conn.Write([]byte("Hello World!"))
	require.NoError(t, err, "the test client could not send")
	require.NoError(t, conn.CloseWrite(), "the test client could not half-close")

	reply, err := io.ReadAll(conn)
	require.NoError(t, err, "reading the echo: after the client's EOF, ServeEcho should write everything back and close the connection")
	assert.Equal(t, "Hello World!", string(reply), "the server should send back exactly what the client sent")
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
		testkit.RequireStopOnClosedListener(t, "ServeEcho", ServeEcho)
	})
	t.Run("other Accept errors are returned", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "ServeEcho", ServeEcho)
	})
	t.Run("the listener is closed by the time ServeEcho returns", func(t *testing.T) {
		// This listener's Close takes a while, as a real Close may: one
		// that only starts when ServeEcho has returned (for instance from
		// a goroutine that context.AfterFunc starts) has not finished then.
		ln := &slowCloseBrokenListener{err: errors.New("accept: the test broke this listener")}
		run := testkit.Go("ServeEcho", func() error { return ServeEcho(t.Context(), ln) })
		err := run.Wait(t, ioTimeout, "Accept failed", "return Accept's error after closing the listener")
		require.ErrorIs(t, err, ln.err, "ServeEcho should return Accept's error")
		require.True(t, ln.closed.Load(),
			"ServeEcho returned before its listener's Close had finished: close ln yourself before returning (a deferred ln.Close()); a context.AfterFunc runs its function later, in a goroutine of its own")
	})
	t.Run("an Accept error with clients connected closes them first", func(t *testing.T) {
		errBroken := errors.New("accept: too many open files (the test broke this listener)")
		ln := &breakableListener{Listener: testkit.Listen(t), err: errBroken}
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
		for i, c := range clients {
			_, err := c.Read(make([]byte, 1))
			require.Error(t, err, "client %d could still read after ServeEcho returned", i)
			require.False(t, testkit.IsTimeout(err),
				"client %d was still connected after ServeEcho returned an Accept error: every way out of ServeEcho closes the open connections", i)
		}
	})
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

// slowCloseBrokenListener is a listener whose Accept always fails with err
// and whose Close takes a second before the listener counts as closed.
type slowCloseBrokenListener struct {
	err    error
	closed atomic.Bool
}

func (l *slowCloseBrokenListener) Accept() (net.Conn, error) { return nil, l.err }
func (l *slowCloseBrokenListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
}

func (l *slowCloseBrokenListener) Close() error {
	time.Sleep(time.Second)
	l.closed.Store(true)
	return nil
}
