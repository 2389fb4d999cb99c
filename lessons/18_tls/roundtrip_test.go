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
		conn, err := DialTLS(ctx, srv.addr, referenceClientConfig(p, nil))
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
		conn, err := DialTLS(ctx, srv.addr, referenceClientConfig(p, nil))
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
		took, err := within(t, 2*time.Second, func() error {
			conn, err := DialTLS(ctx, addr, referenceClientConfig(p, nil))
			if conn != nil {
				conn.Close()
			}
			return err
		})
		require.True(t, isDeadline(err), "a server that never answers the ClientHello: DialTLS should fail with ctx's deadline, got %v", err)
		assert.GreaterOrEqual(t, took, 150*time.Millisecond, "DialTLS gave up before ctx's deadline")
	})
}

// ANCHOR_END: dialtest

func TestRoundtrip_EchoesOverTLS(t *testing.T) {
	p := newPKI(t)
	srv := startTestTLSServer(t, referenceServerConfig(p.server))

	for _, msg := range [][]byte{[]byte("Hello World!"), {}, testkit.RandomBytes(1<<20 + 5)} {
		t.Run(fmt.Sprintf("%d_bytes", len(msg)), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
			defer cancel()
			reply, err := Roundtrip(ctx, srv.addr, referenceClientConfig(p, nil), msg)
			if isDeadline(err) && len(reply) == len(msg) {
				t.Fatalf("Roundtrip got the whole echo but then waited until its deadline: the server closes only after your close_notify. Did you call CloseWrite? (%v)", err)
			}
			require.NoError(t, err, "Roundtrip against a working TLS echo server")
			require.Equal(t, len(msg), len(reply), "the reply has the wrong length: read until EOF")
			testkit.RequireSameBytes(t, msg, reply, "the reply")
		})
	}

	t.Run("an untrusted server gets nothing", func(t *testing.T) {
		stranger := startTestTLSServer(t, referenceServerConfig(p.stranger.serverCert(t, time.Now().Add(time.Hour))))
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		_, err := Roundtrip(ctx, stranger.addr, referenceClientConfig(p, nil), []byte("secret"))
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
		took, err := within(t, 2*time.Second, func() error {
			_, err := Roundtrip(ctx, addr, referenceClientConfig(p, nil), []byte("Hello?"))
			return err
		})
		require.True(t, isDeadline(err), "against a server that never answers, Roundtrip should fail with a deadline error, got: %v", err)
		assert.GreaterOrEqual(t, took, 250*time.Millisecond, "Roundtrip gave up before ctx's deadline")
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(300*time.Millisecond, cancel)
		_, err := within(t, 2*time.Second, func() error {
			_, err := Roundtrip(ctx, addr, referenceClientConfig(p, nil), []byte("Hello?"))
			return err
		})
		require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded),
			"cancelling ctx should stop Roundtrip with context.Canceled (or a deadline error), got: %v", err)
	})
}

func isDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// within runs f and fails the test if it has not returned after limit.
func within(t *testing.T, limit time.Duration, f func() error) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(limit):
		// The test servers close their connections when the test ends,
		// which lets the stuck call return.
		t.Fatalf("still waiting after %v although ctx was done by then: copy ctx's deadline onto the connection, and wake blocked calls when ctx is cancelled (context.AfterFunc)", limit)
		return 0, nil
	}
}
