package echo

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single read, write, dial and wait in these tests:
// nothing waits forever, even when the code under test is wrong.
const ioTimeout = 5 * time.Second

// runningServer is a ServeEcho started by startServeEcho.
type runningServer struct {
	addr   string
	cancel context.CancelFunc
	done   chan struct{} // closed when ServeEcho has returned
	err    error         // what ServeEcho returned; read it after <-done
}

// startServeEcho runs ServeEcho on a fresh loopback listener. When the
// test ends, it cancels the server's context and waits for ServeEcho to
// return. It fails the test at once if ServeEcho returns on its own.
func startServeEcho(t *testing.T) *runningServer {
	t.Helper()
	return startServeEchoOn(t, testkit.Listen(t))
}

// startServeEchoOn is startServeEcho on a listener the test made.
func startServeEchoOn(t *testing.T, ln net.Listener) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &runningServer{addr: ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = ServeEcho(ctx, ln)
	}()
	t.Cleanup(func() {
		// Closing the listener first lets even a server that ignores ctx
		// return (its Accept fails), so the echo tests judge echoing alone;
		// TestServeEcho_CancelStopsServerAndClosesIdleConnections judges ctx.
		ln.Close()
		cancel()
		select {
		case <-s.done:
		case <-time.After(ioTimeout):
			t.Errorf("ServeEcho did not return within %v after its listener was closed and its ctx cancelled", ioTimeout)
		}
	})

	// A server that returns straight away serves nobody: say so now rather
	// than after every client has waited for its deadline.
	select {
	case <-s.done:
		t.Fatalf("ServeEcho returned right after it started (error: %v); it must keep accepting connections until its ctx is cancelled", s.err)
	case <-time.After(100 * time.Millisecond):
	}
	return s
}

// readFull reads exactly n bytes from conn.
func readFull(t *testing.T, conn net.Conn, n int, what string) []byte {
	t.Helper()
	buf := make([]byte, n)
	got, err := io.ReadFull(conn, buf)
	require.NoError(t, err, "reading %s: got %d of %d bytes (%q) before the error", what, got, n, buf[:got])
	return buf
}
