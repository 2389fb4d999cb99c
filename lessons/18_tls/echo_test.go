package tls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestServeTLSEcho_EchoesOverTLS(t *testing.T) {
	p := newPKI(t)
	srv := startServeTLSEcho(t, referenceServerConfig(p.server))

	// Every client completes its handshake while the ones before it are
	// still connected (a server that serves one connection at a time cannot
	// do that), then they finish last-to-first.
	msgs := [][]byte{[]byte("Hello World!"), testkit.RandomBytes(1<<20 + 7), {}}
	conns := make([]*tls.Conn, len(msgs))
	for i := range msgs {
		conn, err := testDial(t, srv.addr, referenceClientConfig(p, nil))
		require.NoError(t, err, "client %d: the TLS handshake with ServeTLSEcho failed (while clients 0..%d were connected)", i, i-1)
		conns[i] = conn
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		reply, err := exchange(conns[i], msgs[i])
		require.NoError(t, err, "client %d sent %d bytes, closed its side and read until EOF: ServeTLSEcho should echo until io.EOF, then close", i, len(msgs[i]))
		require.Equal(t, len(msgs[i]), len(reply), "client %d: the echo has the wrong length", i)
		testkit.RequireSameBytes(t, msgs[i], reply, fmt.Sprintf("client %d's echo", i))
	}
}

// ANCHOR: badclients
func TestServeTLSEcho_KeepsServingAfterBadClients(t *testing.T) {
	p := newPKI(t)
	srv := startServeTLSEcho(t, referenceServerConfig(p.server))

	// stillServing checks that a well-behaved client is served, quickly.
	stillServing := func(t *testing.T, after string) {
		t.Helper()
		start := time.Now()
		conn, err := testDial(t, srv.addr, referenceClientConfig(p, nil))
		require.NoError(t, err, "after %s, a good client could not complete its handshake", after)
		reply, err := exchange(conn, []byte("still there?"))
		require.NoError(t, err, "after %s, a good client got no echo", after)
		assert.Equal(t, "still there?", string(reply))
		assert.Less(t, time.Since(start), HandshakeTimeout/2,
			"after %s, a good client waited too long: handshake in the connection's goroutine, never in the accept loop", after)
	}

	t.Run("a plaintext client sending garbage", func(t *testing.T) {
		raw := testkit.DialTCP(t, srv.addr)
		_, err := io.WriteString(raw, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
		require.NoError(t, err)
		_, err = io.ReadAll(raw) // whatever the server answers, it must then close
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(),
			"the server kept a connection open that does not speak TLS: a failed handshake must end that connection")
		stillServing(t, "a plaintext client")
	})

	t.Run("a client that does not trust the server", func(t *testing.T) {
		distrustful := referenceClientConfig(p, nil)
		distrustful.RootCAs = p.stranger.Pool()
		_, err := testDial(t, srv.addr, distrustful)
		require.Error(t, err, "the test client should have refused the server's certificate")
		stillServing(t, "a client that refused the server's certificate")
	})

	t.Run("a silent client is dropped after HandshakeTimeout", func(t *testing.T) {
		silent := testkit.DialTCP(t, srv.addr) // connects, never says a word
		start := time.Now()
		stillServing(t, "a silent client connected")

		silent.SetDeadline(start.Add(HandshakeTimeout + 2*time.Second))
		_, err := io.ReadAll(silent)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(),
			"a client that never sent a ClientHello was still connected %v after HandshakeTimeout: give the handshake a deadline (HandshakeContext with context.WithTimeout)", 2*time.Second)
		assert.GreaterOrEqual(t, time.Since(start), HandshakeTimeout-200*time.Millisecond,
			"the silent client was dropped before HandshakeTimeout")
	})
}

// ANCHOR_END: badclients

func TestServeTLSEcho_CancelStopsServerAndClosesConnections(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := newPKI(t)
	srv := startServeTLSEcho(t, referenceServerConfig(p.server))

	// Two idle clients past their handshake, and one stuck before it.
	var idle []*tls.Conn
	for i := range 2 {
		conn, err := testDial(t, srv.addr, referenceClientConfig(p, nil))
		require.NoError(t, err, "client %d: the TLS handshake with ServeTLSEcho failed", i)
		_, err = conn.Write([]byte("hi"))
		require.NoError(t, err)
		_, err = io.ReadFull(conn, make([]byte, 2))
		require.NoError(t, err, "client %d got no echo", i)
		idle = append(idle, conn)
	}
	silent := testkit.DialTCP(t, srv.addr)
	time.Sleep(50 * time.Millisecond) // let the server start that handshake

	srv.cancel()
	err := srv.run.Wait(t, HandshakeTimeout/2, "its ctx was cancelled",
		"close the listener and every connection, handshaking or not, then wait for the goroutines")
	require.NoError(t, err, "a cancelled ctx is a normal stop: ServeTLSEcho should return nil")

	for i, c := range append([]net.Conn{silent}, idle[0], idle[1]) {
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		require.False(t, err == nil || errors.As(err, &ne) && ne.Timeout(),
			"connection %d was still open after ServeTLSEcho returned (0 is the one still in its handshake): close every connection when ctx is cancelled", i)
	}
}

// ANCHOR: waits
func TestServeTLSEcho_WaitsForItsConnectionsBeforeReturning(t *testing.T) {
	p := newPKI(t)
	ln := &trackingListener{Listener: testkit.Listen(t)}
	srv := startServeTLSEchoOn(t, ln, referenceServerConfig(p.server))

	// One client echoing, one idle after its handshake, one that never
	// starts its handshake: three connection goroutines blocked in Read.
	busy, err := testDial(t, srv.addr, referenceClientConfig(p, nil))
	require.NoError(t, err, "the TLS handshake with ServeTLSEcho failed")
	_, err = busy.Write([]byte("hi"))
	require.NoError(t, err)
	_, err = io.ReadFull(busy, make([]byte, 2))
	require.NoError(t, err, "no echo from ServeTLSEcho")
	_, err = testDial(t, srv.addr, referenceClientConfig(p, nil))
	require.NoError(t, err, "the TLS handshake with ServeTLSEcho failed")
	testkit.DialTCP(t, srv.addr)
	require.Eventually(t, func() bool { return len(ln.accepted()) == 3 }, ioTimeout, 10*time.Millisecond,
		"ServeTLSEcho did not accept three connections")
	time.Sleep(50 * time.Millisecond) // let the third one start its handshake

	srv.cancel()
	err = srv.run.Wait(t, ioTimeout, "its ctx was cancelled",
		"close the listener and every connection, then wait for the connection goroutines")
	require.NoError(t, err, "a cancelled ctx is a normal stop: ServeTLSEcho should return nil")

	// Right when ServeTLSEcho has returned, before anything else can happen.
	assert.True(t, ln.closed.Load(), "ServeTLSEcho returned without closing its listener")
	for i, c := range ln.accepted() {
		if c.reading.Load() > 0 {
			t.Errorf("ServeTLSEcho returned while the goroutine of connection %d was still running (still in Read on its connection): "+
				"count the connection goroutines with a sync.WaitGroup (wg.Go) and wg.Wait() for them before returning", i)
			continue
		}
		assert.True(t, c.closed.Load(),
			"connection %d was not closed when ServeTLSEcho returned: close every connection when ctx is cancelled", i)
	}
}

// ANCHOR_END: waits

func TestServeTLSEcho_ReturnsAcceptErrors(t *testing.T) {
	p := newPKI(t)
	cfg := referenceServerConfig(p.server)
	serve := func(ctx context.Context, ln net.Listener) error { return ServeTLSEcho(ctx, ln, cfg) }

	t.Run("listener closed by its owner is not a failure", func(t *testing.T) {
		testkit.RequireStopOnClosedListener(t, "ServeTLSEcho", serve)
	})
	t.Run("other Accept errors are returned", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "ServeTLSEcho", serve)
	})
}
