package channels

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestServePool_ServesEveryClientAndClosesItsConnection(t *testing.T) {
	// The handler writes and returns without closing: closing is the pool's job.
	p := startPool(t, 2, 8, func(conn net.Conn) {
		fmt.Fprintf(conn, "hello from the pool\n")
	})

	var wg sync.WaitGroup
	errs := make([]error, 5)
	replies := make([]string, 5)
	for i := range 5 {
		wg.Go(func() {
			conn, err := net.DialTimeout("tcp", p.addr, ioTimeout)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(ioTimeout))
			b, err := io.ReadAll(conn)
			replies[i], errs[i] = string(b), err
		})
	}
	wg.Wait()
	for i := range 5 {
		if testkit.IsTimeout(errs[i]) {
			t.Fatalf("client %d got %q and then waited until its deadline: the pool must close conn after handle returns", i, replies[i])
		}
		require.NoError(t, errs[i], "client %d", i)
		assert.Equal(t, "hello from the pool\n", replies[i], "client %d: every accepted client is handed to a worker that calls handle", i)
	}
}

// ANCHOR: gauge
func TestServePool_NeverRunsMoreThanWorkersHandlersAtOnce(t *testing.T) {
	const workers, clients = 3, 12
	g := newGauge(workers)
	p := startPool(t, workers, clients, func(conn net.Conn) {
		g.enter()
		defer g.leave()
		// Wait until all the workers are busy at once (or give up after
		// 2 s), then hold on a little, so that a server that runs more
		// handlers than workers is caught doing it.
		select {
		case <-g.reachedTop:
		case <-time.After(2 * time.Second):
		case <-t.Context().Done():
		}
		time.Sleep(30 * time.Millisecond)
		conn.Write([]byte("ok\n"))
	})

	var wg sync.WaitGroup
	replies := make([]string, clients)
	for i := range clients {
		wg.Go(func() {
			conn, err := net.DialTimeout("tcp", p.addr, ioTimeout)
			if err != nil {
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(ioTimeout))
			b, _ := io.ReadAll(conn)
			replies[i] = string(b)
		})
	}
	wg.Wait()

	_, most, calls := g.read()
	require.LessOrEqual(t, most, workers,
		"%d handlers ran at the same time with workers=%d: start exactly workers goroutines and let only them call handle (no `go handle(conn)` in the accept loop)", most, workers)
	require.Equal(t, workers, most,
		"with %d clients waiting, never more than %d handler(s) ran at once although workers=%d: does every worker goroutine take connections from the queue?", clients, most, workers)
	require.Equal(t, clients, calls, "handle should be called once for each of the %d clients", clients)
	for i, r := range replies {
		require.Equal(t, "ok\n", r, "client %d: the queue had room for every client, so each one is served", i)
	}
}

// ANCHOR_END: gauge

// ANCHOR: busy
func TestServePool_AnswersBusyWhenTheQueueIsFull(t *testing.T) {
	for _, queue := range []int{1, 3} {
		t.Run(fmt.Sprintf("queue=%d", queue), func(t *testing.T) {
			release := make(chan struct{})
			g := newGauge(1)
			p := startPool(t, 1, queue, func(conn net.Conn) {
				g.enter()
				defer g.leave()
				select {
				case <-release:
				case <-t.Context().Done():
				}
				conn.Write([]byte("served\n"))
			})

			// The only worker takes the first client and stays busy...
			first := testkit.DialTCP(t, p.addr)
			select {
			case <-g.reachedTop:
			case <-time.After(ioTimeout):
				t.Fatalf("the first client was not handed to a worker within %v", ioTimeout)
			}
			// ...the next queue clients wait in the queue, without an answer...
			waiting := make([]*net.TCPConn, queue)
			for i := range waiting {
				waiting[i] = testkit.DialTCP(t, p.addr)
			}
			// ...and one more does not fit: BUSY, then closed at once.
			extra := testkit.DialTCP(t, p.addr)
			requireClosedSoon(t, extra, BusyLine, fmt.Sprintf("a client that found the queue full (1 worker busy, %d queued)", queue),
				"when the send on the queue would block, write BusyLine and close the connection (a select with a default case)")

			for i, c := range waiting {
				requireSilent(t, c, fmt.Sprintf("queued client %d of %d (the queue has room for %d)", i+1, queue, queue))
			}

			// The worker comes free: everybody queued is served in turn.
			close(release)
			for i, c := range append([]*net.TCPConn{first}, waiting...) {
				requireClosedSoon(t, c, "served\n", fmt.Sprintf("client %d, after the worker came free", i),
					"every queued connection is served once a worker is free")
			}
		})
	}
}

// ANCHOR_END: busy

// ANCHOR: cancel
func TestServePool_CancelFinishesInFlightWorkAndClosesQueued(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const workers, queue = 2, 2
	release := make(chan struct{})
	g := newGauge(workers)
	ln := testkit.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := testkit.Go("ServePool", func() error {
		return ServePool(ctx, ln, workers, queue, func(conn net.Conn) {
			g.enter()
			defer g.leave()
			<-release
			conn.Write([]byte("finished\n"))
		})
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release) // a failed test must not leave handlers behind
		}
		ln.Close()
		run.Wait(t, ioTimeout, "the test ended", "")
	}()

	requireStillRunning(t, run, "ServePool", "it must keep accepting connections until its ctx is cancelled")
	addr := ln.Addr().String()
	busy := []*net.TCPConn{testkit.DialTCP(t, addr), testkit.DialTCP(t, addr)}
	select {
	case <-g.reachedTop:
	case <-time.After(ioTimeout):
		t.Fatalf("the first %d clients were not handed to the %d workers within %v", workers, workers, ioTimeout)
	}
	queued := []*net.TCPConn{testkit.DialTCP(t, addr), testkit.DialTCP(t, addr)}
	requireSilent(t, queued[0], "a queued client before the cancel")

	cancel()
	for i, c := range queued {
		requireClosedSoon(t, c, "", fmt.Sprintf("queued client %d after the cancel", i),
			"when ctx is cancelled, close the connections still waiting in the queue (they must not wait for a worker that will never take them)")
	}
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err == nil {
		conn.Close()
	}
	require.Error(t, err, "a new client could still connect after the cancel: close the listener when ctx is cancelled")

	require.False(t, run.Returned(), "ServePool returned while %d handlers were still running: wait for the workers (sync.WaitGroup) before returning", workers)
	for i, c := range busy {
		requireSilent(t, c, fmt.Sprintf("in-flight client %d after the cancel (its handler has not finished)", i))
	}

	// The in-flight handlers finish their work and their clients get it.
	close(release)
	for i, c := range busy {
		requireClosedSoon(t, c, "finished\n", fmt.Sprintf("in-flight client %d", i),
			"a cancel lets running handlers finish: do not close their connections under them, close each one after its handler returns")
	}
	err = run.Wait(t, ioTimeout, "its ctx was cancelled and every handler returned",
		"close the queue after the accept loop ends so the workers' range loops finish, then wg.Wait()")
	require.NoError(t, err, "a cancelled ctx is a normal stop: ServePool should return nil")
	_, _, calls := g.read()
	require.Equal(t, workers, calls, "handle was called for a connection that was still queued when ctx was cancelled: after the cancel, close queued connections instead of handling them")
}

// ANCHOR_END: cancel

func TestServePool_CancelWhileClientsArriveNeitherPanicsNorLeaks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for round := range 5 {
		ln := &lateAcceptListener{Listener: testkit.Listen(t), closed: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		run := testkit.Go("ServePool", func() error {
			return ServePool(ctx, ln, 2, 2, func(conn net.Conn) {
				time.Sleep(time.Millisecond)
				conn.Write([]byte("hi\n"))
			})
		})
		// Clients keep arriving while ctx is cancelled: the accept loop
		// is busy queueing them, or refusing them, when the cancel hits.
		stopDialing := make(chan struct{})
		var dialers sync.WaitGroup
		for range 4 {
			dialers.Go(func() {
				for {
					select {
					case <-stopDialing:
						return
					default:
					}
					conn, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
					if err != nil {
						continue
					}
					conn.SetDeadline(time.Now().Add(time.Second))
					io.Copy(io.Discard, conn)
					conn.Close()
				}
			})
		}
		time.Sleep(time.Duration(20+10*round) * time.Millisecond)
		cancel()
		err := run.Wait(t, ioTimeout, fmt.Sprintf("its ctx was cancelled (round %d) while clients were arriving", round),
			"only the accept loop sends on the queue, so only it may close the queue, after its loop has ended")
		close(stopDialing)
		dialers.Wait()
		require.NoError(t, err, "a cancelled ctx is a normal stop: ServePool should return nil")
	}
}

func TestServePool_ReturnsAcceptErrors(t *testing.T) {
	serve := func(ctx context.Context, ln net.Listener) error {
		return ServePool(ctx, ln, 2, 2, func(net.Conn) {})
	}
	t.Run("listener closed by its owner is not a failure", func(t *testing.T) {
		testkit.RequireStopOnClosedListener(t, "ServePool", serve)
	})
	t.Run("other Accept errors are returned", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "ServePool", serve)
	})
}

func TestServePool_RejectsBadSizes(t *testing.T) {
	for _, c := range []struct{ workers, queue int }{{0, 4}, {-1, 4}, {2, -1}} {
		t.Run(fmt.Sprintf("workers=%d,queue=%d", c.workers, c.queue), func(t *testing.T) {
			ln := testkit.Listen(t)
			err := testkit.Returns(t, "ServePool", "check workers and queue before you start anything",
				func() error {
					return ServePool(context.Background(), ln, c.workers, c.queue, func(net.Conn) {})
				})
			require.ErrorIs(t, err, ErrPoolSize, "workers < 1 or queue < 0 should be ErrPoolSize")
			conn, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
			if err == nil {
				conn.Close()
			}
			require.Error(t, err, "ln should be closed when ServePool returns, on this path too")
		})
	}
}

// lateAcceptListener hands out a connection it accepted just as it was
// being closed: Accept waits a little before it returns a connection, and
// if Close is called meanwhile, Accept still returns that connection, a
// few milliseconds after the Close. A real listener can do that too; here
// it happens every time, so a queue closed too early is caught.
type lateAcceptListener struct {
	net.Listener
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *lateAcceptListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(2 * time.Millisecond):
	case <-l.closed:
		time.Sleep(5 * time.Millisecond)
	}
	return conn, nil
}

func (l *lateAcceptListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func TestServePool_AQueueOfZeroIsAllowed(t *testing.T) {
	ln := testkit.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	run := testkit.Go("ServePool", func() error {
		return ServePool(ctx, ln, 1, 0, func(conn net.Conn) { io.WriteString(conn, "served\n") })
	})
	t.Cleanup(func() {
		cancel()
		run.Wait(t, ioTimeout, "its ctx was cancelled", "")
	})
	select {
	case <-run.Done():
		t.Fatalf("ServePool(workers=1, queue=0) returned at once (error: %v): queue=0 is a valid size (no waiting room: a connection is served only when a worker is free); only queue < 0 is ErrPoolSize", run.Err())
	case <-time.After(50 * time.Millisecond):
	}

	// With no waiting room a client may get BUSY while the worker is not
	// yet waiting; it tries again, and the idle worker serves it.
	var got string
	for range 50 {
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
		require.NoError(t, err)
		conn.SetDeadline(time.Now().Add(ioTimeout))
		b, err := io.ReadAll(conn)
		conn.Close()
		require.NoError(t, err, "reading the pool's answer (got %q)", b)
		if got = string(b); got != BusyLine {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, "served\n", got, "with workers=1 and queue=0 an idle worker takes a new connection straight from the accept loop")
}

// slowCloseListener hands out connections whose Close takes a while, and
// closes acceptEnded when its Accept first fails.
type slowCloseListener struct {
	net.Listener
	accepted    atomic.Int32
	acceptEnded chan struct{}
	once        sync.Once
}

func (l *slowCloseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		l.once.Do(func() { close(l.acceptEnded) })
		return nil, err
	}
	l.accepted.Add(1)
	return slowCloseConn{c}, nil
}

type slowCloseConn struct{ net.Conn }

func (c slowCloseConn) Close() error {
	time.Sleep(40 * time.Millisecond)
	return c.Conn.Close()
}

func TestServePool_AClosedListenerClosesQueuedConnectionsUnhandled(t *testing.T) {
	const queue = 20
	ln := &slowCloseListener{Listener: testkit.Listen(t), acceptEnded: make(chan struct{})}
	release := make(chan struct{})
	var calls atomic.Int32
	run := testkit.Go("ServePool", func() error {
		return ServePool(context.Background(), ln, 1, queue, func(net.Conn) {
			if calls.Add(1) == 1 {
				<-release // the first client keeps the only worker busy
			}
		})
	})
	defer func() {
		ln.Close()
		run.Wait(t, 2*ioTimeout, "its listener was closed", "")
	}()

	// One client in the worker, queue clients in the queue.
	for range queue + 1 {
		testkit.DialTCP(t, ln.Addr().String())
	}
	deadline := time.Now().Add(ioTimeout)
	for (ln.accepted.Load() < queue+1 || calls.Load() < 1) && time.Now().Before(deadline) {
		select {
		case <-run.Done():
			close(release)
			t.Fatalf("ServePool returned (error: %v) while its listener was open and its ctx alive: it must keep accepting connections", run.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if ln.accepted.Load() < queue+1 || calls.Load() < 1 {
		close(release)
		t.Fatalf("within %v ServePool accepted %d of %d clients and started %d handlers: the accept loop should queue clients while the only worker is busy", ioTimeout, ln.accepted.Load(), queue+1, calls.Load())
	}

	// The owner closes the listener: a stop, like a cancelled ctx. Only
	// then does the busy worker come free, while the queued connections
	// are still being closed.
	ln.Listener.Close()
	select {
	case <-ln.acceptEnded:
	case <-time.After(ioTimeout):
	}
	time.Sleep(300 * time.Millisecond)
	close(release)
	run.Wait(t, 2*ioTimeout, "its listener was closed by its owner",
		"when Accept fails, close the queue, close every connection still in it, and wait for the workers")
	if n := calls.Load(); n != 1 {
		t.Fatalf("the listener was closed by its owner while %d connections were queued, and handle was then called for %d of them: after Accept fails no new handler may start (cancel the context the workers check before you close the queue); queued connections are closed unhandled", queue, n-1)
	}
}
