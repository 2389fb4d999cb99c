package tcplife

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// proxyRig is your Proxy running between two test peers:
//
//	client ⇄ [pc  Proxy  pu] ⇄ upstream
//
// The test plays client and upstream; Proxy owns pc and pu.
type proxyRig struct {
	client, upstream *net.TCPConn // the test's ends, with deadlines
	pc, pu           *net.TCPConn // Proxy's ends
	run              *testkit.Running
	cancel           context.CancelFunc
}

func startProxy(t *testing.T) *proxyRig {
	t.Helper()
	client, pc := tcpPair(t)
	pu, upstream := tcpPair(t)
	withDeadline(t, client)
	withDeadline(t, upstream)
	ctx, cancel := context.WithCancel(context.Background())
	r := &proxyRig{client: client, upstream: upstream, pc: pc, pu: pu, cancel: cancel}
	r.run = testkit.Go("Proxy", func() error { return Proxy(ctx, pc, pu) })
	t.Cleanup(func() {
		cancel()
		if r.run.Returned() {
			return
		}
		// Closing Proxy's ends lets even a Proxy that ignores ctx return.
		pc.Close()
		pu.Close()
		select {
		case <-r.run.Done():
		case <-time.After(ioTimeout):
			t.Errorf("Proxy did not return within %v after its ctx was cancelled and both its connections were closed", ioTimeout)
		}
	})

	// A Proxy that returns straight away joins nobody: say so now rather
	// than after every peer has waited for its deadline.
	select {
	case <-r.run.Done():
		t.Fatalf("Proxy returned right after it started (error: %v); it must copy until both directions have ended", r.run.Err())
	case <-time.After(50 * time.Millisecond):
	}
	return r
}

// noLeaks checks, when the test ends and its connections are closed, that
// no goroutine started during the test is still running.
func noLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if !t.Failed() {
			goleak.VerifyNone(t, ignore)
		}
	})
}

// requireRunning fails the test if Proxy has returned already.
func (r *proxyRig) requireRunning(t *testing.T, when string) {
	t.Helper()
	if r.run.Returned() {
		t.Fatalf("Proxy returned (error: %v) %s, while the other direction was still open: at one side's EOF, pass it on with CloseWrite (not Close) and keep copying the other way; return only when both directions have ended", r.run.Err(), when)
	}
}

// send writes p to conn in small pieces, so a Proxy cannot pass by reading
// a whole message at once.
func send(t *testing.T, conn *net.TCPConn, p []byte, who string) {
	t.Helper()
	for len(p) > 0 {
		n := min(len(p), 3)
		_, err := conn.Write(p[:n])
		require.NoError(t, err, "%s could not send through the proxy", who)
		p = p[n:]
	}
}

func receive(t *testing.T, conn *net.TCPConn, n int, who, what string) []byte {
	t.Helper()
	buf := make([]byte, n)
	got, err := io.ReadFull(conn, buf)
	require.NoError(t, err, "%s got %d of the %d bytes of %s, then %s: Proxy must copy each direction as bytes arrive, without waiting for the other direction or for EOF",
		who, got, n, what, describe(err))
	return buf
}

func TestProxy_ForwardsBothWaysAtOnce(t *testing.T) {
	r := startProxy(t)

	// A conversation: each answer must come through while both
	// directions are still open.
	for i := range 3 {
		ping, pong := fmt.Sprintf("ping %d\n", i), fmt.Sprintf("pong %d\n", i)
		send(t, r.client, []byte(ping), "the client")
		assert.Equal(t, ping, string(receive(t, r.upstream, len(ping), "upstream", "the client's "+fmt.Sprintf("%q", ping))))
		send(t, r.upstream, []byte(pong), "upstream")
		assert.Equal(t, pong, string(receive(t, r.client, len(pong), "the client", "upstream's "+fmt.Sprintf("%q", pong))))
	}

	// Then 4 MiB each way at the same time: more than the socket buffers
	// hold, so a Proxy that copies one direction at a time gets stuck.
	const size = 4 << 20
	up, down := testkit.RandomBytes(size), testkit.RandomBytes(size + 1)[1:]
	atUpstream, atClient := readN(r.upstream, size), readN(r.client, size)
	sentUp, sentDown := writeAsync(r.client, up), writeAsync(r.upstream, down)
	gotUp, gotDown := <-atUpstream, <-atClient
	require.NoError(t, gotUp.err, "upstream got %d of 4 MiB sent by the client while 4 MiB went the other way: copy both directions at the same time, one goroutine each", len(gotUp.data))
	require.NoError(t, gotDown.err, "the client got %d of 4 MiB sent by upstream while 4 MiB went the other way: copy both directions at the same time, one goroutine each", len(gotDown.data))
	require.NoError(t, <-sentUp)
	require.NoError(t, <-sentDown)
	testkit.RequireSameBytes(t, up, gotUp.data, "what upstream received")
	testkit.RequireSameBytes(t, down, gotDown.data, "what the client received")
	r.requireRunning(t, "in the middle of a conversation")
}

// ANCHOR: halfclose
func TestProxy_PassesTheClientsHalfCloseOn(t *testing.T) {
	noLeaks(t)
	r := startProxy(t)

	// The client sends its whole request and half-closes: "that is all".
	request := testkit.RandomBytes(64 << 10)
	send(t, r.client, request[:10], "the client")
	_, err := r.client.Write(request[10:])
	require.NoError(t, err)
	require.NoError(t, r.client.CloseWrite())

	// Upstream reads the request up to EOF: the client's FIN, passed on.
	require.NoError(t, r.upstream.SetReadDeadline(time.Now().Add(3*time.Second)))
	got, err := readAll(r.upstream)
	if testkit.IsTimeout(err) {
		t.Fatalf("Proxy did not pass the client's half-close on: upstream got %d bytes of the request but no EOF within 3s. When Read on the client returns io.EOF, call CloseWrite on upstream: that sends the FIN on", len(got))
	}
	require.ErrorIs(t, err, io.EOF, "upstream's read of the request ended with %s", describe(err))
	testkit.RequireSameBytes(t, request, got, "the request upstream received")
	r.requireRunning(t, "after the client's half-close")

	// Only now does upstream answer, then it closes its side too.
	reply := testkit.RandomBytes(1<<20 + 7)
	sent := make(chan error, 1)
	go func() {
		_, err := r.upstream.Write(reply)
		if err == nil {
			err = r.upstream.CloseWrite()
		}
		sent <- err
	}()
	got, err = readAll(r.client)
	require.NoError(t, <-sent, "upstream could not send its reply through the proxy")
	if testkit.IsTimeout(err) && len(got) == len(reply) {
		t.Fatalf("the client got the whole reply but no EOF after upstream half-closed: pass upstream's FIN on with CloseWrite on the client's connection")
	}
	if !errors.Is(err, io.EOF) || len(got) < len(reply) {
		t.Fatalf("the client got %d of the %d bytes of the reply, then %s: after passing the client's FIN on, keep copying upstream → client. CloseWrite ends one direction; Close ends both",
			len(got), len(reply), describe(err))
	}
	testkit.RequireSameBytes(t, reply, got, "the reply the client received")

	err = r.run.Wait(t, ioTimeout, "both directions ended with EOF", "return when both copies are done")
	require.NoError(t, err, "both directions ended cleanly with EOF: Proxy should return nil")
	requireClosed(t, r.pc, "Proxy returned without closing the client's connection: it owns both")
	requireClosed(t, r.pu, "Proxy returned without closing the upstream connection: it owns both")
}

// ANCHOR_END: halfclose

func TestProxy_PassesTheUpstreamsHalfCloseOn(t *testing.T) {
	r := startProxy(t)

	// A server that speaks first and then is done talking, but still
	// listens: upstream sends a greeting and half-closes.
	greeting := []byte("220 hello, I am done talking; go on\r\n")
	send(t, r.upstream, greeting, "upstream")
	require.NoError(t, r.upstream.CloseWrite())

	require.NoError(t, r.client.SetReadDeadline(time.Now().Add(3*time.Second)))
	got, err := readAll(r.client)
	if testkit.IsTimeout(err) {
		t.Fatalf("Proxy did not pass upstream's half-close on: the client got %q but no EOF within 3s. The FIN must be passed on in this direction too (CloseWrite on the client's connection)", got)
	}
	require.ErrorIs(t, err, io.EOF, "the client's read of the greeting ended with %s", describe(err))
	require.Equal(t, string(greeting), string(got))
	r.requireRunning(t, "after upstream's half-close")

	// The client still talks, and upstream still hears it.
	words := []byte("QUIT and some last words\r\n")
	send(t, r.client, words, "the client (after upstream's half-close)")
	require.NoError(t, r.client.CloseWrite())
	got, err = readAll(r.upstream)
	if !errors.Is(err, io.EOF) || len(got) < len(words) {
		t.Fatalf("upstream got %q, then %s, from a client that kept sending after upstream's half-close: a half-closed side still reads; keep copying client → upstream, then pass that FIN on too",
			got, describe(err))
	}
	require.Equal(t, string(words), string(got))
	require.NoError(t, r.run.Wait(t, ioTimeout, "both directions ended with EOF", "return when both copies are done"),
		"both directions ended cleanly with EOF: Proxy should return nil")
	requireClosed(t, r.pc, "Proxy returned without closing the client's connection: it owns both")
	requireClosed(t, r.pu, "Proxy returned without closing the upstream connection: it owns both")
}

// ANCHOR: reset
func TestProxy_PassesAResetOn(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		upstreamResets       bool
		resetterSide, others string
	}{
		{"upstream resets", true, "upstream", "the client"},
		{"client resets", false, "the client", "upstream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			r := startProxy(t)
			resetter, other := r.client, r.upstream
			if tc.upstreamResets {
				resetter, other = r.upstream, r.client
			}

			// One exchange, so the proxy is surely copying; nothing is
			// left unread anywhere.
			send(t, other, []byte("hello?"), tc.others)
			receive(t, resetter, 6, tc.resetterSide, "a first hello")

			// The other peer waits in Read, and the resetter breaks off.
			read := readAsync(other)
			resetByTest(t, resetter)
			res := waitRead(t, read)
			switch {
			case errors.Is(res.err, io.EOF):
				t.Fatalf("%s read io.EOF after %s reset its connection: a FIN says \"all is well\". Pass a reset on as a reset: Abort both connections", tc.others, tc.resetterSide)
			case testkit.IsTimeout(res.err):
				t.Fatalf("%s heard nothing after %s reset its connection: a Read error other than io.EOF (here ECONNRESET) must end both directions with Abort", tc.others, tc.resetterSide)
			}
			require.ErrorIs(t, res.err, syscall.ECONNRESET, "%s's read ended with %s after %s reset", tc.others, describe(res.err), tc.resetterSide)

			err := r.run.Wait(t, ioTimeout, tc.resetterSide+" reset its connection", "a Read error other than io.EOF ends both directions")
			require.ErrorIs(t, err, syscall.ECONNRESET, "Proxy should return the first error, the ECONNRESET from %s (got %v)", tc.resetterSide, err)
			requireClosed(t, r.pc, "Proxy returned without closing the client's connection")
			requireClosed(t, r.pu, "Proxy returned without closing the upstream connection")
		})
	}
}

// ANCHOR_END: reset

func TestProxy_CancelClosesBothSides(t *testing.T) {
	noLeaks(t)
	r := startProxy(t)
	send(t, r.client, []byte("hi"), "the client")
	receive(t, r.upstream, 2, "upstream", "a first hi")

	atClient, atUpstream := readAsync(r.client), readAsync(r.upstream)
	r.cancel()
	err := r.run.Wait(t, 2*time.Second, "its ctx was cancelled", "close both connections when ctx is done (context.AfterFunc): that wakes both blocked Reads")
	require.ErrorIs(t, err, context.Canceled, "a cancelled Proxy should return ctx.Err()")
	for who, ch := range map[string]<-chan readResult{"the client": atClient, "upstream": atUpstream} {
		res := waitRead(t, ch)
		require.False(t, testkit.IsTimeout(res.err), "%s was still connected after Proxy returned: close both connections when ctx is cancelled", who)
	}
	requireClosed(t, r.pc, "Proxy returned without closing the client's connection")
	requireClosed(t, r.pu, "Proxy returned without closing the upstream connection")
}

func readN(conn net.Conn, n int) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		buf := make([]byte, n)
		got, err := io.ReadFull(conn, buf)
		ch <- readResult{buf[:got], err}
	}()
	return ch
}

func writeAsync(conn net.Conn, p []byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := conn.Write(p)
		ch <- err
	}()
	return ch
}
