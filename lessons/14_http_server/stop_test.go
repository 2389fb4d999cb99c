package httpserver

import (
	"net"
	"testing"
	"time"

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
}

func TestServe_ClosesIdleConnectionsWhenStopped(t *testing.T) {
	s := newServer(t)
	s.IdleTimeout = time.Minute // only Serve's own stop can close them in time
	s.ReadHeaderTimeout = time.Minute
	ts := start(t, s)

	kept, keptBr := dial(t, ts) // served once, then idle
	send(t, kept, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_, body := readResponse(t, keptBr, "GET")
	require.Equal(t, Hello, body)
	silent, silentBr := dial(t, ts) // never sends a byte

	ts.cancel()
	err := ts.serve.Wait(t, 3*time.Second, "its ctx was cancelled with two idle connections open",
		"close every open connection when ctx is done, idle kept-alive ones too (connSet.closeAll): their goroutines, blocked in Peek or ReadRequest, return only then")
	require.NoError(t, err, "a cancelled ctx is a normal stop: Serve should return nil")
	const why = "Serve returned, but a connection it accepted is still open: close every tracked connection (connSet.closeAll) before Serve returns"
	expectClosed(t, kept, keptBr, time.Second, why+" (an idle kept-alive connection)")
	expectClosed(t, silent, silentBr, time.Second, why+" (a connection that never sent a byte)")
}
