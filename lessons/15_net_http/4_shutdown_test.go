package nethttp

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// slowHandler tells started when a request arrives, then holds it until
// release is closed or the request is cancelled.
func slowHandler(started chan<- struct{}, release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-release:
			io.WriteString(w, "finished")
		case <-r.Context().Done():
		}
	}
}

type result struct {
	status int
	body   string
	err    error
}

// getAsync sends GET url in the background.
func getAsync(url string) <-chan result {
	out := make(chan result, 1)
	go func() {
		resp, err := testClient().Get(url)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	return out
}

// startServe runs Serve in the background and returns its base URL and
// the running Serve.
func startServe(t *testing.T, ctx context.Context, h http.Handler, grace time.Duration) (string, *testkit.Running) {
	ln := listen(t)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	run := testkit.Go("Serve", func() error { return Serve(ctx, srv, ln, grace) })
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), run
}

// shutdownHint is the advice for a Serve that does not return after ctx ends.
const shutdownHint = "when ctx is done, call srv.Shutdown with a context of its own that lives for grace " +
	"(not derived from the cancelled ctx), then srv.Close() if that fails, and return"

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		require.FailNow(t, "timed out waiting for "+what)
		panic("unreachable")
	}
}

func TestServe_ShutdownFinishesInFlightRequests(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, run := startServe(t, ctx, slowHandler(started, release), 5*time.Second)

	select {
	case <-run.Done():
		require.FailNow(t, "Serve returned before anyone asked it to stop", "error: %v", run.Err())
	case <-time.After(50 * time.Millisecond):
	}

	// ANCHOR: holdopen
	inflight := getAsync(base + "/")
	waitFor(t, started, "the request to reach the handler")
	cancel() // shut down while the request is in flight

	select {
	case <-run.Done():
		require.FailNow(t, "Serve returned while a request was still running: wait for srv.Shutdown, not for srv.Serve", "error: %v", run.Err())
	case <-time.After(200 * time.Millisecond):
	}
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", hostOf(base), 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 2*time.Second, 20*time.Millisecond, "during shutdown the listener must be closed: no new connections")

	close(release)
	r := waitFor(t, inflight, "the in-flight response")
	require.NoError(t, r.err, "the request in flight was cut: Shutdown, not Close, lets it finish")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "finished", r.body)
	assert.NoError(t, run.Wait(t, 5*time.Second, "its last request finished", shutdownHint),
		"a shutdown in which every request finished returns nil (http.ErrServerClosed is not a failure)")
	// ANCHOR_END: holdopen
}

func TestServe_ShutdownGivesUpAfterTheGracePeriod(t *testing.T) {
	started, never := make(chan struct{}, 1), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, run := startServe(t, ctx, slowHandler(started, never), 300*time.Millisecond)
	select {
	case <-run.Done():
		require.FailNow(t, "Serve returned before anyone asked it to stop", "error: %v", run.Err())
	case <-time.After(50 * time.Millisecond):
	}

	inflight := getAsync(base + "/")
	waitFor(t, started, "the request to reach the handler")
	start := time.Now()
	cancel()

	err := run.Wait(t, 5*time.Second, "ctx was cancelled and the grace period ran out", shutdownHint)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "when grace runs out, Serve returns Shutdown's error")
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, 250*time.Millisecond, "Serve gave up before the grace period: is the grace context derived from the cancelled ctx?")
	assert.Less(t, elapsed, 2*time.Second, "Serve waited much longer than the grace period")

	select {
	case r := <-inflight:
		assert.Error(t, r.err, "the request that outlived the grace period cannot have succeeded")
	case <-time.After(time.Second):
		assert.Fail(t, "after the grace period, the connections still busy must be closed (srv.Close): the request is still waiting")
	}
}

func TestServe_ReturnsTheErrorWhenServingFails(t *testing.T) {
	ln := listen(t)
	ln.Close() // Serve on a closed listener fails at once
	srv := &http.Server{Handler: hello, ReadHeaderTimeout: time.Second}
	run := testkit.Go("Serve", func() error { return Serve(context.Background(), srv, ln, time.Second) })
	err := run.Wait(t, 5*time.Second, "srv.Serve failed on a closed listener",
		"wait for srv.Serve's error and for ctx.Done() in one select: an error from srv.Serve before ctx is done is returned at once")
	assert.ErrorIs(t, err, net.ErrClosed, "when srv.Serve fails before ctx is done, Serve returns its error")
}

func TestServe_ClosesIdleConnectionsAndReturnsAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, run := startServe(t, ctx, hello, 5*time.Second)
	select {
	case <-run.Done():
		require.FailNow(t, "Serve returned before anyone asked it to stop", "error: %v", run.Err())
	case <-time.After(50 * time.Millisecond):
	}

	// A keep-alive connection, idle after one request.
	c := dialRaw(t, hostOf(base))
	_, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "no answer to a plain GET")
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	resp.Body.Close()

	start := time.Now()
	cancel()
	err = run.Wait(t, 2*time.Second, "ctx was cancelled with no request in flight",
		"srv.Shutdown returns as soon as no request is running: do not wait for the whole grace period")
	assert.NoError(t, err, "a shutdown with nothing in flight returns nil")
	assert.Less(t, time.Since(start), time.Second, "with no request in flight, Serve should not wait for the grace period (5s)")

	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = br.ReadByte()
	assert.False(t, isTimeout(err),
		"the idle keep-alive connection was still open after Serve returned: srv.Shutdown closes idle connections, got %v", err)
}
