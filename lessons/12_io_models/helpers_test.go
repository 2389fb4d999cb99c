package iomodels

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ioTimeout bounds every read, write and dial of a test client.
const ioTimeout = 5 * time.Second

// stopTimeout is how long Serve has to return once its ctx is cancelled.
const stopTimeout = 3 * time.Second

// hints name what to look at when a model's Serve does not stop.
var stopHints = map[string]string{
	"GoroutinePerConn": "Serve is echo.ServeEcho(ctx, listener): lesson 02 closes the listener and every connection when ctx is cancelled",
	"Pool":             "channels.ServePool waits for running handlers: the echo handler must close its conn when ctx is done (context.AfterFunc)",
	"EventLoop":        "Run takes no ctx: when ctx is done call the loop's Stop, then wait until Run has returned",
}

// served is one model's Server, made on 127.0.0.1:0 and serving.
type served struct {
	name   string
	addr   string
	cancel context.CancelFunc
	run    *testkit.Running
}

// forEachModel runs test as a subtest for each of the three models, in
// the order of the chapter. The event loop is skipped outside Linux.
func forEachModel(t *testing.T, test func(t *testing.T, m Model)) {
	for _, m := range Models() {
		t.Run(m.Name, func(t *testing.T) {
			if m.Name == "EventLoop" && runtime.GOOS != "linux" {
				t.Skip("EventLoop needs Linux (epoll): skipped on " + runtime.GOOS)
			}
			test(t, m)
		})
	}
}

// newServer calls m.New("127.0.0.1:0"), bounded, and fails the test when it
// fails. A server that is never served is closed by serving it with a
// cancelled ctx when the test ends.
func newServer(t *testing.T, m Model) Server {
	t.Helper()
	return newServerOn(t, m.Name, m.New, "127.0.0.1:0")
}

func newServerOn(t *testing.T, name string, newFn func(string) (Server, error), addr string) Server {
	t.Helper()
	srv, err := testkit.Returns2(t, "New"+name, "", func() (Server, error) { return newFn(addr) })
	require.NoError(t, err, "New%s(%q) failed: it listens on addr and returns the server, not serving yet", name, addr)
	require.NotNil(t, srv, "New%s returned a nil server and no error", name)
	return srv
}

// start makes m's server and serves it until the test ends (or stop).
func start(t *testing.T, m Model) *served {
	t.Helper()
	return serve(t, m.Name, newServer(t, m))
}

func serve(t *testing.T, name string, srv Server) *served {
	t.Helper()
	a := testkit.Returns(t, name+".Addr", "", srv.Addr)
	require.NotNil(t, a, "%s.Addr returned nil: return the address the server listens on", name)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{name: name, addr: a.String(), cancel: cancel}
	s.run = testkit.Go(name+".Serve", func() error { return srv.Serve(ctx) })
	t.Cleanup(func() {
		cancel()
		s.run.Wait(t, stopTimeout, "its ctx was cancelled", stopHints[name])
	})
	// A Serve that returns at once serves nobody: say so now, not after
	// every client has waited for its deadline.
	select {
	case <-s.run.Done():
		t.Fatalf("%s.Serve returned right after it started (error: %v); it serves until its ctx is cancelled", name, s.run.Err())
	case <-time.After(50 * time.Millisecond):
	}
	return s
}

// stop cancels Serve's ctx and returns what Serve returned.
func (s *served) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	return s.run.Wait(t, stopTimeout, "its ctx was cancelled", stopHints[s.name])
}

// dial connects a client with a deadline of ioTimeout for everything.
func (s *served) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.addr, ioTimeout)
	require.NoError(t, err, "%s: a client could not connect to %s", s.name, s.addr)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioTimeout))
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads len(msg) bytes back, or says why not.
func roundTrip(c net.Conn, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if n, err := io.ReadFull(c, got); err != nil {
		return errors.Join(err, errors.New("got "+string(got[:n])))
	}
	if string(got) != string(msg) {
		return errors.New("the echo differs from what was sent: got " + string(got))
	}
	return nil
}

// expectClosed reads c until EOF or a reset within d; a timeout means the
// server left the connection open.
func expectClosed(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if testkit.IsTimeout(err) {
		return err
	}
	return nil // EOF (nil from io.Copy) or a reset: closed either way
}

// openFDs counts this process's open file descriptors (Linux only: -1
// elsewhere).
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// settledFDs empties the runtime's pool of splice pipes (io.Copy keeps the
// pipes of finished copies in a sync.Pool, which two garbage collections
// clear; a finalizer then closes their fds) and returns the fd count once
// it has stopped falling.
func settledFDs() int {
	n := openFDs()
	for range 50 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		m := openFDs()
		if m == n {
			return m
		}
		n = m
	}
	return n
}
