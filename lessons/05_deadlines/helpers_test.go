package deadlines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single dial, read, write and wait in the tests
// that use the real clock: nothing waits forever, even when the code under
// test is wrong.
const ioTimeout = 5 * time.Second

// fakeLimit bounds every wait in the tests that run on synctest's fake
// clock. Fake time costs nothing, so it is generous; a function that is
// still blocked after a fake minute would block forever.
const fakeLimit = time.Minute

// inBubble runs f in a synctest bubble: time.Now, timers, tickers and
// net.Pipe deadlines use a fake clock that jumps ahead whenever every
// goroutine of the bubble is blocked, so a test of a 10 s idle limit takes
// microseconds and is exact to the nanosecond.
//
// synctest panics when goroutines of the bubble are still blocked after f
// has returned; inBubble turns that into a test failure that names what
// leaked, so that the other tests still run.
func inBubble(t *testing.T, what string, f func(t *testing.T)) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if err, ok := r.(error); ok && strings.Contains(err.Error(), "deadlock") {
			t.Fatalf("%s left goroutines blocked after the test ended (%v): every goroutine you start must return when your function does", what, err)
		}
		panic(r)
	}()
	synctest.Test(t, f)
}

// pipe returns the two ends of a net.Pipe, closed when the test (or the
// bubble) ends. net.Pipe is synchronous: a Write blocks until the other
// end has read all of it, so "the peer stopped reading" is immediate.
func pipe(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &tcpLikePipe{Conn: a}, &tcpLikePipe{Conn: b}
}

// tcpLikePipe is one end of a net.Pipe whose deadline setters behave as a
// TCP connection's do. net.Pipe's fail with io.ErrClosedPipe as soon as
// the other end is closed; a TCP conn's only fail once it is closed
// itself, and the next Read then reports io.EOF. Without this, a correct
// Read that sets a deadline first would sometimes see the peer's Close as
// an error instead of io.EOF.
type tcpLikePipe struct {
	net.Conn
	closed atomic.Bool
}

func (c *tcpLikePipe) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

func (c *tcpLikePipe) deadlineErr(err error) error {
	if errors.Is(err, io.ErrClosedPipe) && !c.closed.Load() {
		return nil // only the peer has closed: the next Read or Write says so
	}
	return err
}

func (c *tcpLikePipe) SetDeadline(t time.Time) error {
	return c.deadlineErr(c.Conn.SetDeadline(t))
}

func (c *tcpLikePipe) SetReadDeadline(t time.Time) error {
	return c.deadlineErr(c.Conn.SetReadDeadline(t))
}

func (c *tcpLikePipe) SetWriteDeadline(t time.Time) error {
	return c.deadlineErr(c.Conn.SetWriteDeadline(t))
}

// isTimeout reports whether err is an expired deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// readWithin reads once from conn, giving up after d.
func readWithin(conn net.Conn, p []byte, d time.Duration) (int, error) {
	conn.SetReadDeadline(time.Now().Add(d))
	return conn.Read(p)
}

// writeWithin writes p to conn, giving up after d.
func writeAllWithin(conn net.Conn, p []byte, d time.Duration) error {
	conn.SetWriteDeadline(time.Now().Add(d))
	_, err := conn.Write(p)
	return err
}

// deadlineCall is one call of SetDeadline, SetReadDeadline or
// SetWriteDeadline that a recordingConn saw.
type deadlineCall struct {
	method string    // "SetDeadline", "SetReadDeadline" or "SetWriteDeadline"
	at     time.Time // when it was called
	value  time.Time // the deadline it set
}

// recordingConn is a net.Conn that logs the deadlines set on it and the
// Reads made through it, in order, as strings such as
// "SetReadDeadline(+10s)" (relative to the moment of the call) and "Read".
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	log []string
}

func (c *recordingConn) record(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, s)
}

func (c *recordingConn) deadline(method string, d time.Time) {
	if d.IsZero() {
		c.record(method + "(none)")
		return
	}
	c.record(fmt.Sprintf("%s(%+v)", method, time.Until(d)))
}

func (c *recordingConn) Log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

func (c *recordingConn) Read(p []byte) (int, error) {
	c.record("Read")
	return c.Conn.Read(p)
}

func (c *recordingConn) SetDeadline(d time.Time) error {
	c.deadline("SetDeadline", d)
	return c.Conn.SetDeadline(d)
}

func (c *recordingConn) SetReadDeadline(d time.Time) error {
	c.deadline("SetReadDeadline", d)
	return c.Conn.SetReadDeadline(d)
}

func (c *recordingConn) SetWriteDeadline(d time.Time) error {
	c.deadline("SetWriteDeadline", d)
	return c.Conn.SetWriteDeadline(d)
}

// blockingDialer returns a net.Dialer whose connect never completes on its
// own, like a server behind a firewall that drops SYNs: its ControlContext
// hook, which net runs before the connect, waits until the dial's context
// is done and then fails with the context's error, as a real connect does.
// entered receives one value per dial that reached the hook. The hook gives
// up by itself after a while, so a wrong Dial cannot hang the test binary.
func blockingDialer(t *testing.T) (d *net.Dialer, entered <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{}, 16)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return &net.Dialer{
		ControlContext: func(ctx context.Context, network, address string, c syscall.RawConn) error {
			ch <- struct{}{}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-release:
				return errors.New("the test ended while Dial was still dialing")
			case <-time.After(2 * ioTimeout):
				return errors.New("the test's dialer gave up after 10s: Dial never ended the dial")
			}
		},
	}, ch
}

// startDialing runs Dial in the background; the test then waits for it
// with Wait.
func startDialing(ctx context.Context, d *net.Dialer, addr string, timeout time.Duration) (*testkit.Running, *net.Conn) {
	var conn net.Conn
	r := testkit.Go("Dial", func() error {
		c, err := Dial(ctx, d, addr, timeout)
		conn = c
		return err
	})
	return r, &conn
}

// returns2Within is testkit.Returns2 with a limit of d.
func returns2Within[T, U any](t testing.TB, d time.Duration, name, hint string, f func() (T, U)) (T, U) {
	t.Helper()
	var v T
	var u U
	testkit.CallWithin(t, d, name, hint, func() { v, u = f() })
	return v, u
}

// requireNoLeftovers fails the test if a goroutine that was not running
// when ignore was taken (goleak.IgnoreCurrent) is still running: what
// returned must not leave anything behind. goleak waits a little for
// goroutines that are about to end.
func requireNoLeftovers(t *testing.T, what string, ignore ...goleak.Option) {
	t.Helper()
	if err := goleak.Find(ignore...); err != nil {
		t.Fatalf("%s returned but left goroutines running; when your function returns, every goroutine it started must have returned too.\n%v", what, err)
	}
}

// shortLog prints at most the first 12 entries of a recordingConn's log.
func shortLog(log []string) string {
	if len(log) > 12 {
		return fmt.Sprintf("%q ... (%d calls in all)", log[:12], len(log))
	}
	return fmt.Sprintf("%q", log)
}
