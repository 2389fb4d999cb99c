package channels

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single read, write, dial and wait in these tests
// that should succeed: nothing waits forever, even when the code under
// test is wrong.
const ioTimeout = 5 * time.Second

// quiet is how long the tests watch for something that must NOT happen
// (a reply to a queued client, a server that returns too early).
const quiet = 200 * time.Millisecond

// runningPool is a ServePool started by startPool.
type runningPool struct {
	addr   string
	cancel context.CancelFunc
	run    *testkit.Running
}

// startPool runs ServePool on a fresh loopback listener. When the test
// ends it closes the listener, cancels ctx and waits for ServePool (the
// handlers in these tests return when t.Context() is done, which happens
// before that).
func startPool(t *testing.T, workers, queue int, handle func(net.Conn)) *runningPool {
	t.Helper()
	ln := testkit.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	p := &runningPool{addr: ln.Addr().String(), cancel: cancel}
	p.run = testkit.Go("ServePool", func() error { return ServePool(ctx, ln, workers, queue, handle) })
	t.Cleanup(func() {
		ln.Close()
		cancel()
		p.run.Wait(t, ioTimeout, "its listener was closed and its ctx cancelled",
			"close the queue once the accept loop has ended, and let every worker's range loop finish")
	})
	requireStillRunning(t, p.run, "ServePool", "it must keep accepting connections until its ctx is cancelled")
	return p
}

// gauge counts the handlers running right now, the most that ever ran at
// once, and every call.
type gauge struct {
	mu         sync.Mutex
	now, most  int
	calls      int
	reachedTop chan struct{} // closed the first time now reaches top
	top        int
}

func newGauge(top int) *gauge { return &gauge{top: top, reachedTop: make(chan struct{})} }

func (g *gauge) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now++
	g.calls++
	g.most = max(g.most, g.now)
	if g.now == g.top {
		select {
		case <-g.reachedTop:
		default:
			close(g.reachedTop)
		}
	}
}

func (g *gauge) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now--
}

func (g *gauge) read() (now, most, calls int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now, g.most, g.calls
}

// readLine reads one line (with its "\n") from r before conn's deadline.
func readLine(t *testing.T, conn net.Conn, r *bufio.Reader, what string) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(ioTimeout))
	line, err := r.ReadString('\n')
	require.NoError(t, err, "reading %s: got %q before the error", what, line)
	return line
}

// requireClosedSoon checks that the server closes conn within ioTimeout
// with nothing more to say than want.
func requireClosedSoon(t *testing.T, conn net.Conn, want, what, hint string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(ioTimeout))
	var got strings.Builder
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			if testkit.IsTimeout(err) {
				t.Fatalf("%s: the server did not close the connection within %v (got %q so far): %s", what, ioTimeout, got.String(), hint)
			}
			break // EOF, or a reset: either way it is closed
		}
	}
	require.Equal(t, want, got.String(), "%s: what the server sent before it closed the connection", what)
}

// requireSilent checks that the server sends nothing on conn and keeps it
// open for quiet.
func requireSilent(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(quiet))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if testkit.IsTimeout(err) {
		return
	}
	t.Fatalf("%s: expected the connection to stay open and quiet, got %q and %v", what, buf[:n], err)
}

// pipeConn is the server's side of a pipeline under test. It counts the
// bytes RunPipeline reads, can hold every Write until released (a client
// that does not read, with the kernel's buffers already full), can fail
// every Write after the first few, and can hand out one byte per Read.
type pipeConn struct {
	net.Conn
	read       atomic.Int64
	oneByte    bool
	failAfter  int // > 0: Write number failAfter+1 and later fail with errWriteBroken
	writes     atomic.Int32
	hold       chan struct{} // non-nil: Write waits until it is closed
	closed     chan struct{}
	closeOnce  sync.Once
	closeCalls atomic.Int32
}

var errWriteBroken = errors.New("write: the test broke this connection")

func newPipeConn(c net.Conn) *pipeConn { return &pipeConn{Conn: c, closed: make(chan struct{})} }

func (c *pipeConn) Read(p []byte) (int, error) {
	if c.oneByte && len(p) > 1 {
		p = p[:1]
	}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *pipeConn) Write(p []byte) (int, error) {
	if c.hold != nil {
		select {
		case <-c.hold:
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	if n := c.writes.Add(1); c.failAfter > 0 && int(n) > c.failAfter {
		return 0, errWriteBroken
	}
	return c.Conn.Write(p)
}

func (c *pipeConn) Close() error {
	c.closeCalls.Add(1)
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// pipeline is one RunPipeline under test and its client.
type pipeline struct {
	client *net.TCPConn
	r      *bufio.Reader
	server *pipeConn
	run    *testkit.Running
}

// startPipeline connects a test client to a RunPipeline that serves the
// other end of the connection, set up by setup before it starts. When the
// test ends it closes both ends and waits for RunPipeline.
func startPipeline(t *testing.T, depth int, process func(string) string, setup func(*pipeConn)) *pipeline {
	t.Helper()
	ln := testkit.Listen(t)
	client := testkit.DialTCP(t, ln.Addr().String())
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
	sc, err := ln.Accept()
	require.NoError(t, err, "the test could not accept its own connection")
	server := newPipeConn(sc)
	if setup != nil {
		setup(server)
	}
	p := &pipeline{client: client, r: bufio.NewReader(client), server: server}
	p.run = testkit.Go("RunPipeline", func() error { return RunPipeline(server, depth, process) })
	t.Cleanup(func() {
		client.Close()
		server.Close()
		p.run.Wait(t, ioTimeout, "its connection was closed",
			"every stage must end when conn is closed: the reader's Read fails, it closes requests, the processor closes replies, the writer's range loop ends")
	})
	requireStillRunning(t, p.run, "RunPipeline", "it serves the connection until the client's EOF")
	return p
}

// requireStillRunning fails the test at once if the function under test
// has returned already, rather than let the clients wait for their
// deadlines.
func requireStillRunning(t *testing.T, run *testkit.Running, name, what string) {
	t.Helper()
	select {
	case <-run.Done():
		t.Fatalf("%s returned right after it started (error: %v): %s", name, run.Err(), what)
	case <-time.After(50 * time.Millisecond):
	}
}

// wait waits for RunPipeline to return after event, and gives back its error.
func (p *pipeline) wait(t *testing.T, event, hint string) error {
	t.Helper()
	return p.run.Wait(t, ioTimeout, event, hint)
}
