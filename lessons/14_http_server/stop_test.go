package httpserver

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestServe_ReturnsNilWhenStoppedAndAcceptErrorsOtherwise(t *testing.T) {
	t.Run("ctx cancelled", func(t *testing.T) {
		ts := start(t, newServer(t))
		ts.stop(t)
		_, err := net.DialTimeout("tcp", ts.addr, ioTimeout)
		require.Error(t, err, "Serve returned but its listener still accepts connections: Serve owns ln and closes it when it returns")
	})
	t.Run("listener closed by its owner", func(t *testing.T) {
		testkit.RequireStopOnClosedListener(t, "Serve", newServer(t).Serve)
	})
	t.Run("another Accept error", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "Serve", newServer(t).Serve)
	})
	t.Run("another Accept error, with a connection open", func(t *testing.T) {
		s := newServer(t)
		s.IdleTimeout = time.Minute // only Serve's own stop can close it in time
		ln := &failingListener{Listener: &testkit.SlowCloseListener{Listener: testkit.Listen(t)}, fail: make(chan struct{}), closed: make(chan struct{})}
		ts := startOn(t, s, ln)
		defer ts.cancel()
		conn, br := dialSending(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_, body := readResponse(t, br, "GET")
		require.Equal(t, Hello, body)

		close(ln.fail) // the next Accept fails
		err := ts.serve.Wait(t, 3*time.Second, "Accept failed with an idle connection open",
			"on every way out, close the listener and every open connection (connSet.closeAll), then wait for the connection goroutines")
		require.ErrorIs(t, err, errAcceptBroken, "when Accept fails and ctx is not cancelled, Serve returns Accept's error")
		assert.Zero(t, ln.Listener.(*testkit.SlowCloseListener).Busy(),
			"Serve returned while connection goroutines were still running: wait for them (sync.WaitGroup) on every way out, the Accept error too")
		expectClosed(t, conn, br, time.Second, "Serve returned Accept's error but left a connection open: close every connection (connSet.closeAll) on every way out, not only when ctx is done")
	})
}

// errAcceptBroken is the error of failingListener's second Accept.
var errAcceptBroken = errors.New("accept: the test broke this listener")

// failingListener accepts one connection; its next Accept fails with
// errAcceptBroken once fail is closed (or net.ErrClosed once it is closed).
type failingListener struct {
	net.Listener
	fail, closed chan struct{}
	once         sync.Once
	accepted     bool
}

func (l *failingListener) Accept() (net.Conn, error) {
	if !l.accepted { // Serve calls Accept from one goroutine
		l.accepted = true
		return l.Listener.Accept()
	}
	select {
	case <-l.fail:
		return nil, errAcceptBroken
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *failingListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func TestServe_ClosesIdleConnectionsWhenStopped(t *testing.T) {
	s := newServer(t)
	s.IdleTimeout = time.Minute // only Serve's own stop can close them in time
	s.ReadHeaderTimeout = time.Minute
	ln := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
	ts := startOn(t, s, ln)

	kept, keptBr := dial(t, ts) // served once, then idle
	send(t, kept, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_, body := readResponse(t, keptBr, "GET")
	require.Equal(t, Hello, body)
	silent, silentBr := dial(t, ts) // never sends a byte

	ts.cancel()
	err := ts.serve.Wait(t, 3*time.Second, "its ctx was cancelled with two idle connections open",
		"close every open connection when ctx is done, idle kept-alive ones too (connSet.closeAll): their goroutines, blocked in Peek or ReadRequest, return only then")
	require.NoError(t, err, "a cancelled ctx is a normal stop: Serve should return nil")
	require.Zero(t, ln.Busy(), "Serve returned while connection goroutines were still running: wait for them (sync.WaitGroup) before returning")
	const why = "Serve returned, but a connection it accepted is still open: close every tracked connection (connSet.closeAll) before Serve returns"
	expectClosed(t, kept, keptBr, time.Second, why+" (an idle kept-alive connection)")
	expectClosed(t, silent, silentBr, time.Second, why+" (a connection that never sent a byte)")
}
