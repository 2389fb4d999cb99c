package tls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ANCHOR: dialtest
func TestDialTLS_CompletesTheHandshake(t *testing.T) {
	p := newPKI(t)

	t.Run("the connection state shows a verified TLS 1.3 peer", func(t *testing.T) {
		// This server's certificate comes from an intermediate CA, which
		// the server sends along: the client has only the root.
		intermediate := p.ca.newIntermediate(t, "netlings test intermediate CA")
		srv := startTestTLSServer(t, referenceServerConfig(intermediate.serverCert(t, time.Now().Add(time.Hour))))

		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		conn, err := dialTLS(t, ctx, srv.addr, referenceClientConfig(p, nil))
		require.NoError(t, err, "DialTLS against a server the client trusts")
		defer conn.Close()

		state := conn.ConnectionState()
		require.True(t, state.HandshakeComplete,
			"DialTLS returned before the handshake: tls.Client alone does not handshake, tls.Dialer.DialContext does")
		assert.Equal(t, "TLS 1.3", tls.VersionName(state.Version), "the negotiated version")
		assert.Equal(t, "localhost", state.ServerName, "the server name the client asked for")
		require.NotEmpty(t, state.PeerCertificates)
		assert.Contains(t, state.PeerCertificates[0].DNSNames, "localhost", "the server's certificate names")
		require.NotEmpty(t, state.VerifiedChains, "the client did not verify the server's certificate")
		var chain []string
		for _, c := range state.VerifiedChains[0] {
			chain = append(chain, c.Subject.CommonName)
		}
		assert.Equal(t, []string{"netlings test server", "netlings test intermediate CA", "netlings test root CA"}, chain,
			"the verified chain goes from the server's certificate up to the root the client trusts")
	})

	t.Run("an untrusted server is an error", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.stranger.serverCert(t, time.Now().Add(time.Hour))))
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		conn, err := dialTLS(t, ctx, srv.addr, referenceClientConfig(p, nil))
		if conn != nil {
			conn.Close()
		}
		var verr *tls.CertificateVerificationError
		require.ErrorAs(t, err, &verr, "DialTLS should return the handshake's certificate error")
		assert.Nil(t, conn, "DialTLS should return no connection when the handshake fails")
	})

	t.Run("ctx bounds the handshake", func(t *testing.T) {
		addr := testkit.StartSilentServer(t) // reads the ClientHello, never answers
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		var err error
		testkit.CallWithin(t, 2*time.Second, "DialTLS",
			"ctx had ended long before: the handshake must watch ctx too. tls.Client(conn, cfg).Handshake() "+
				"waits forever for a server that never answers; use tls.Dialer{Config: cfg}.DialContext(ctx, ...), "+
				"or conn.HandshakeContext(ctx)",
			func() {
				var conn *tls.Conn
				conn, err = DialTLS(ctx, addr, referenceClientConfig(p, nil))
				if conn != nil {
					conn.Close()
				}
			})
		require.True(t, isDeadline(err), "a server that never answers the ClientHello: DialTLS should fail with ctx's deadline, got %v", err)
		deadline, _ := ctx.Deadline()
		assert.False(t, time.Now().Before(deadline.Add(-50*time.Millisecond)), "DialTLS gave up before ctx's deadline")
	})
}

// ANCHOR_END: dialtest

func TestDialTLS_ConnectionOutlivesItsContext(t *testing.T) {
	p := newPKI(t)
	srv := startTestTLSServer(t, referenceServerConfig(p.server))

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	conn, err := dialTLS(t, ctx, srv.addr, referenceClientConfig(p, nil))
	require.NoError(t, err, "DialTLS against a server the client trusts")
	defer conn.Close()
	<-ctx.Done()
	time.Sleep(100 * time.Millisecond)

	// No deadline of the test's own here: the test server closes the
	// connection after ServerConnTimeout at the latest.
	reply, err := exchange(conn, []byte("ctx is over, the connection is not"))
	require.NoError(t, err,
		"the connection failed once DialTLS's ctx had ended: ctx bounds only the dial and the handshake; "+
			"do not copy its deadline onto the connection nor close the connection when it ends (tls.Dialer does it right)")
	assert.Equal(t, "ctx is over, the connection is not", string(reply))
}

func TestDialTLS_ClosesTheConnectionWhenTheHandshakeFails(t *testing.T) {
	p := newPKI(t)
	// A server the client does not trust. After the failed handshake it
	// waits for the client to close the TCP connection.
	closed := make(chan error, 1)
	addr := testkit.StartTCPServer(t, func(raw *net.TCPConn) {
		conn := tls.Server(raw, referenceServerConfig(p.stranger.serverCert(t, time.Now().Add(time.Hour))))
		raw.SetDeadline(time.Now().Add(3 * time.Second))
		_ = conn.Handshake()
		_, err := io.Copy(io.Discard, raw)
		if err == nil {
			err = io.EOF
		}
		closed <- err
	})

	ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
	defer cancel()
	conn, err := dialTLS(t, ctx, addr, referenceClientConfig(p, nil))
	var verr *tls.CertificateVerificationError
	require.ErrorAs(t, err, &verr, "DialTLS should return the handshake's certificate error")
	require.Nil(t, conn, "DialTLS should return no connection when the handshake fails")

	select {
	case err := <-closed:
		require.False(t, testkit.IsTimeout(err),
			"after the failed handshake the server waited for EOF and got none: when the handshake fails, DialTLS must close the TCP connection (tls.Dialer does)")
	case <-time.After(ioTimeout):
		t.Fatal("the test server saw no end of the connection")
	}
}

func TestRoundtrip_EchoesOverTLS(t *testing.T) {
	p := newPKI(t)
	srv := startTestTLSServer(t, referenceServerConfig(p.server))

	for _, msg := range [][]byte{[]byte("Hello World!"), {}, testkit.RandomBytes(1<<20 + 5)} {
		t.Run(fmt.Sprintf("%d_bytes", len(msg)), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
			defer cancel()
			reply, err := roundtrip(t, ctx, srv.addr, referenceClientConfig(p, nil), msg)
			if isDeadline(err) && len(reply) == len(msg) {
				t.Fatalf("Roundtrip got the whole echo but then waited until its deadline: the server closes only after your close_notify. Did you call CloseWrite? (%v)", err)
			}
			require.NoError(t, err, "Roundtrip against a working TLS echo server")
			require.Equal(t, len(msg), len(reply), "the reply has the wrong length: read until EOF")
			testkit.RequireSameBytes(t, msg, reply, "the reply")
		})
	}

	t.Run("16 MiB: the echo is read while msg is sent", func(t *testing.T) {
		// 16 MiB is more than the socket buffers of both ends can hold. The
		// echo comes back while the client is still sending; if nobody reads
		// it, the server's writes block, so it stops reading, so the client's
		// writes block too: nobody moves until the deadline.
		echo := startSmallBufferTLSEcho(t, referenceServerConfig(p.server))
		msg := testkit.RandomBytes(16 << 20)
		ctx, cancel := context.WithTimeout(t.Context(), 2*ioTimeout) // 32 MiB of TLS records, on a slow machine too
		defer cancel()
		var reply []byte
		var err error
		testkit.CallWithin(t, 2*ioTimeout+2*time.Second, "Roundtrip",
			"send from a goroutine while Roundtrip reads the echo (io.ReadAll), and copy ctx's deadline onto the connection",
			func() { reply, err = Roundtrip(ctx, echo.addr, referenceClientConfig(p, nil), msg) })
		if echo.notReading.Load() {
			t.Fatalf("the server could not send the echo for %v because Roundtrip was not reading it (Roundtrip returned %d of %d bytes): "+
				"read the reply while msg is still being sent, Write and CloseWrite in a goroutine and io.ReadAll in Roundtrip, as in lesson 02. "+
				"Writing everything before reading gets stuck like this (\"Flow control\" in lesson 02) (%v)", waitForPeer, len(reply), len(msg), err)
		}
		if echo.noHalfClose.Load() {
			t.Fatalf("after echoing, the server waited %v for your close_notify and gave up: call CloseWrite after writing (%v)", waitForPeer, err)
		}
		require.NoError(t, err, "Roundtrip of 16 MiB against a working TLS echo server")
		require.Equal(t, len(msg), len(reply), "the reply has the wrong length: read until EOF")
		testkit.RequireSameBytes(t, msg, reply, "the reply")
	})

	t.Run("an untrusted server gets nothing", func(t *testing.T) {
		stranger := startTestTLSServer(t, referenceServerConfig(p.stranger.serverCert(t, time.Now().Add(time.Hour))))
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		_, err := roundtrip(t, ctx, stranger.addr, referenceClientConfig(p, nil), []byte("secret"))
		var verr *tls.CertificateVerificationError
		require.ErrorAs(t, err, &verr, "Roundtrip should fail with the handshake's certificate error")
	})
}

func TestRoundtrip_StopsAtTheDeadline(t *testing.T) {
	p := newPKI(t)
	// A server that completes the handshake, reads everything, never answers.
	addr := testkit.StartTCPServer(t, func(raw *net.TCPConn) {
		conn := tls.Server(raw, referenceServerConfig(p.server))
		io.Copy(io.Discard, conn)
		<-t.Context().Done()
	})

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := within(t, 2*time.Second, func() error {
			_, err := Roundtrip(ctx, addr, referenceClientConfig(p, nil), []byte("Hello?"))
			return err
		})
		require.True(t, isDeadline(err), "against a server that never answers, Roundtrip should fail with a deadline error, got: %v", err)
		deadline, _ := ctx.Deadline()
		assert.False(t, time.Now().Before(deadline.Add(-50*time.Millisecond)), "Roundtrip gave up before ctx's deadline")
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(300*time.Millisecond, cancel)
		err := within(t, 2*time.Second, func() error {
			_, err := Roundtrip(ctx, addr, referenceClientConfig(p, nil), []byte("Hello?"))
			return err
		})
		require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded),
			"cancelling ctx should stop Roundtrip with context.Canceled (or a deadline error), got: %v", err)
	})

	t.Run("deadline during the handshake", func(t *testing.T) {
		silent := testkit.StartSilentServer(t) // reads the ClientHello, never answers
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		var err error
		testkit.CallWithin(t, 2*time.Second, "Roundtrip",
			"the server never answered the ClientHello and ctx had ended long before: ctx bounds the handshake too, so pass ctx itself to DialTLS "+
				"(not context.Background())",
			func() { _, err = Roundtrip(ctx, silent, referenceClientConfig(p, nil), []byte("Hello?")) })
		require.True(t, isDeadline(err), "a server that never answers the ClientHello: Roundtrip should fail with ctx's deadline, got: %v", err)
	})

	t.Run("cancelled before the call: no handshake at all", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.server))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := roundtrip(t, ctx, srv.addr, referenceClientConfig(p, nil), []byte("Hello?"))
		require.ErrorIs(t, err, context.Canceled, "Roundtrip with a ctx that was already cancelled should fail with context.Canceled")
		select {
		case <-srv.results:
			t.Fatal("Roundtrip connected and completed a TLS handshake although ctx was already cancelled: " +
				"the dial and the handshake are part of the exchange that ctx bounds; pass ctx to DialTLS")
		case <-time.After(300 * time.Millisecond):
		}
	})
}

func TestRoundtrip_ClosesItsConnection(t *testing.T) {
	p := newPKI(t)
	// A TLS server that echoes until the client's close_notify, sends its
	// own close_notify when answer is set, and then waits for the client to
	// close the TCP connection.
	server := func(answer bool) (string, <-chan error) {
		ended := make(chan error, 1)
		addr := testkit.StartTCPServer(t, func(raw *net.TCPConn) {
			raw.SetDeadline(time.Now().Add(3 * time.Second))
			conn := tls.Server(raw, referenceServerConfig(p.server))
			if answer {
				io.Copy(conn, conn)
				conn.CloseWrite()
			} else {
				io.Copy(io.Discard, conn)
			}
			_, err := io.Copy(io.Discard, raw)
			if err == nil {
				err = io.EOF
			}
			ended <- err
		})
		return addr, ended
	}
	requireClosed := func(t *testing.T, ended <-chan error, after string) {
		t.Helper()
		select {
		case err := <-ended:
			require.False(t, testkit.IsTimeout(err),
				"%s, Roundtrip returned but left its connection open (the server saw no EOF): defer conn.Close() right after DialTLS", after)
		case <-time.After(ioTimeout):
			t.Fatal("the test server saw no end of the connection")
		}
	}

	t.Run("after the whole echo", func(t *testing.T) {
		addr, ended := server(true)
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		reply, err := roundtrip(t, ctx, addr, referenceClientConfig(p, nil), []byte("Hello!"))
		require.NoError(t, err, "Roundtrip against a working TLS echo server")
		assert.Equal(t, "Hello!", string(reply))
		requireClosed(t, ended, "after the whole echo")
	})

	t.Run("after its deadline", func(t *testing.T) {
		addr, ended := server(false)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		err := within(t, 2*time.Second, func() error {
			_, err := Roundtrip(ctx, addr, referenceClientConfig(p, nil), []byte("Hello?"))
			return err
		})
		require.True(t, isDeadline(err), "against a server that never answers, Roundtrip should fail with a deadline error, got: %v", err)
		requireClosed(t, ended, "at its deadline")
	})
}

func TestRoundtrip_ReturnsAnErrorExactlyWhenSomethingFails(t *testing.T) {
	p := newPKI(t)
	// The servers below read nothing after the handshake, with a small
	// receive buffer: Roundtrip's Write of 16 MiB blocks, and stays blocked.
	msg := make([]byte, 16<<20)

	t.Run("a working server: no error", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.server))
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		reply, err := roundtrip(t, ctx, srv.addr, referenceClientConfig(p, nil), []byte("ping"))
		require.NoError(t, err, "Roundtrip against a working TLS echo server")
		require.Equal(t, "ping", string(reply))
	})

	t.Run("the reply breaks off while msg is being sent: the read's error, at once", func(t *testing.T) {
		// After the handshake the server sends the first 3 bytes of a TLS
		// record header, then a bare TCP FIN: the reply ends in the middle
		// of a record, and the client's Read fails (io.ErrUnexpectedEOF). The
		// client's Write is not failed by that: the server's receiving side
		// is still open, it just never reads.
		addr := testkit.StartTCPServer(t, func(raw *net.TCPConn) {
			raw.SetReadBuffer(64 << 10)
			conn := tls.Server(raw, referenceServerConfig(p.server))
			if conn.Handshake() != nil {
				return
			}
			if _, err := raw.Write([]byte{23, 3, 3}); err != nil { // application data, TLS 1.2 on the wire, ...
				return
			}
			raw.CloseWrite()
			select {
			case <-t.Context().Done(): // hold the connection, read nothing
			case <-time.After(3 * ioTimeout):
			}
		})
		ctx, cancel := context.WithTimeout(t.Context(), 3*ioTimeout) // far away: only a wrong Roundtrip waits for it
		defer cancel()
		var err error
		testkit.CallWithin(t, 2*time.Second, "Roundtrip",
			"the reply broke off in the middle of a TLS record while your sender was blocked in Write (the server reads nothing), "+
				"and a failed Read does not fail a blocked Write: when the read fails, close the connection to wake the sender, then wait for it",
			func() { _, err = Roundtrip(ctx, addr, referenceClientConfig(p, nil), msg) })
		require.Error(t, err, "the reply broke off in the middle of a TLS record, yet Roundtrip returned no error: return io.ReadAll's error")
		require.False(t, isDeadline(err), "the reply broke off long before ctx's deadline, yet Roundtrip returned a deadline error: %v", err)
	})

	t.Run("the server resets the connection before msg is sent: the send's error", func(t *testing.T) {
		// The server answers at once, says "that is all" (its close_notify,
		// so the client reads io.EOF), then closes without reading: a reset,
		// which fails the client's blocked Write. The reply was read to its
		// end, but msg never arrived.
		addr := testkit.StartTCPServer(t, func(raw *net.TCPConn) {
			raw.SetReadBuffer(64 << 10)
			conn := tls.Server(raw, referenceServerConfig(p.server))
			if conn.Handshake() != nil {
				return
			}
			if _, err := conn.Write([]byte("go away")); err != nil {
				return
			}
			conn.CloseWrite()
			time.Sleep(200 * time.Millisecond)
			raw.SetLinger(0) // close with a reset
		})
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		reply, err := roundtrip(t, ctx, addr, referenceClientConfig(p, nil), msg)
		require.Error(t, err,
			"the server reset the connection before Roundtrip could send all of msg, yet Roundtrip returned %q and no error: "+
				"when the reply ends cleanly, return the error of the send (Write or CloseWrite)", reply)
		require.False(t, isDeadline(err),
			"Roundtrip ran into its deadline (%v): the send failed with a reset long before; when the reply has ended, wait for the sender and return its error", err)
	})
}

func isDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// within runs f, which calls Roundtrip, and fails the test if it has not
// returned after limit.
func within(t *testing.T, limit time.Duration, f func() error) error {
	t.Helper()
	var err error
	// The test servers close their connections when the test ends, which
	// lets a stuck call return.
	testkit.CallWithin(t, limit, "Roundtrip",
		"ctx was done long before: copy ctx's deadline onto the connection (SetDeadline), "+
			"and wake blocked calls when ctx is cancelled (context.AfterFunc)",
		func() { err = f() })
	return err
}

// dialTLS calls DialTLS, bounded: a DialTLS that hangs fails the test by name.
func dialTLS(t *testing.T, ctx context.Context, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	return testkit.Returns2(t, "DialTLS", "ctx bounds the dial and the handshake: use tls.Dialer.DialContext",
		func() (*tls.Conn, error) { return DialTLS(ctx, addr, cfg) })
}

// roundtrip calls Roundtrip, bounded.
func roundtrip(t *testing.T, ctx context.Context, addr string, cfg *tls.Config, msg []byte) ([]byte, error) {
	t.Helper()
	return testkit.Returns2(t, "Roundtrip",
		"write, then CloseWrite (the server echoes until your close_notify), then io.ReadAll; copy ctx's deadline onto the connection",
		func() ([]byte, error) { return Roundtrip(ctx, addr, cfg, msg) })
}
