package tls

import (
	"crypto/tls"
	"crypto/x509"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerConfig_AcceptsOnlyTLS13(t *testing.T) {
	p := newPKI(t)

	// Each subtest has a server of its own, so that one failure cannot
	// leave a handshake result behind for the next subtest to pick up.
	t.Run("a TLS 1.3 client is served", func(t *testing.T) {
		srv := startTestTLSServer(t, ServerConfig(p.server, nil))
		// alice has a certificate, and shows it only if the server asks.
		cfg := referenceClientConfig(p, nil)
		var asked atomic.Bool
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked.Store(true)
			return &p.alice, nil
		}
		conn, err := testDial(t, srv.addr, cfg)
		require.NoError(t, err, "the handshake with a correct client failed: does ServerConfig put cert in Certificates?")
		assert.Equal(t, "TLS 1.3", tls.VersionName(conn.ConnectionState().Version), "the negotiated version")
		require.NotEmpty(t, conn.ConnectionState().PeerCertificates, "the server presented no certificate")
		assert.Equal(t, "netlings test server", conn.ConnectionState().PeerCertificates[0].Subject.CommonName,
			"the server should present cert")
		reply, err := exchange(conn, []byte("Hello World!"))
		require.NoError(t, err)
		assert.Equal(t, "Hello World!", string(reply))
		r := srv.nextHandshake(t)
		require.NoError(t, r.err)
		assert.False(t, asked.Load(), "without clientCAs, the server should not ask the client for a certificate (leave ClientAuth at its zero value)")
		assert.Empty(t, r.state.PeerCertificates, "without clientCAs, the server should not ask the client for a certificate")
	})

	t.Run("a TLS 1.2 client is refused", func(t *testing.T) {
		srv := startTestTLSServer(t, ServerConfig(p.server, nil))
		old := referenceClientConfig(p, nil)
		old.MinVersion, old.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		conn, err := testDial(t, srv.addr, old)
		if err == nil {
			t.Fatalf("a client that speaks at most TLS 1.2 got in with %s: set MinVersion to tls.VersionTLS13", tls.VersionName(conn.ConnectionState().Version))
		}
	})
}

// ANCHOR: mtls
func TestServerConfig_MutualTLS(t *testing.T) {
	p := newPKI(t)

	// Each subtest has a server of its own: a subtest that fails before
	// it takes its handshake result must not leave that result behind for
	// the next subtest, which would then report a failure it did not have.
	t.Run("alice's certificate lets her in, and the server knows her name", func(t *testing.T) {
		srv := startTestTLSServer(t, ServerConfig(p.server, p.ca.Pool()))
		conn, err := testDial(t, srv.addr, referenceClientConfig(p, &p.alice))
		require.NoError(t, err)
		reply, err := exchange(conn, []byte("it's me"))
		require.NoError(t, err, "a client with a certificate from clientCAs was refused: set ClientCAs")
		assert.Equal(t, "it's me", string(reply))

		r := srv.nextHandshake(t)
		require.NoError(t, r.err)
		require.NotEmpty(t, r.state.VerifiedChains,
			"the server accepted alice without verifying her certificate: use tls.RequireAndVerifyClientCert")
		assert.Equal(t, "alice", r.state.VerifiedChains[0][0].Subject.CommonName, "the verified client's name")
	})

	// In TLS 1.3 the client sends its certificate last, after it has
	// verified the server; the client's handshake is done before the server
	// has checked anything. A refusal arrives as an alert on the first Read.
	refused := func(t *testing.T, clientCert *tls.Certificate, why string) {
		srv := startTestTLSServer(t, ServerConfig(p.server, p.ca.Pool()))
		cfg := referenceClientConfig(p, nil)
		// Send clientCert even when the server's list of acceptable CAs
		// does not include its issuer (a Go client would send nothing).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if clientCert == nil {
				return &tls.Certificate{}, nil
			}
			return clientCert, nil
		}
		conn, err := testDial(t, srv.addr, cfg)
		if err == nil {
			_, err = exchange(conn, []byte("let me in"))
		}
		require.Error(t, err, "%s got an echo from a mutual TLS server", why)
		r := srv.nextHandshake(t)
		require.Error(t, r.err, "the server's handshake with %s should fail", why)
	}
	t.Run("a client without a certificate is refused", func(t *testing.T) {
		refused(t, nil, "a client without a certificate")
	})
	t.Run("a certificate from an unknown CA is refused", func(t *testing.T) {
		refused(t, &p.mallory, "mallory, whose certificate comes from a CA that is not in clientCAs,")
	})
}

// ANCHOR_END: mtls

// ANCHOR: verify
func TestClientConfig_VerifiesTheServer(t *testing.T) {
	p := newPKI(t)

	t.Run("a server certified by roots is accepted", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.server))
		conn, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "localhost", nil))
		require.NoError(t, err, "the handshake with a server certified by roots failed: set RootCAs and ServerName")
		assert.Equal(t, "TLS 1.3", tls.VersionName(conn.ConnectionState().Version))
		reply, err := exchange(conn, []byte("Hello World!"))
		require.NoError(t, err)
		assert.Equal(t, "Hello World!", string(reply))
		assert.Equal(t, "localhost", srv.nextHandshake(t).state.ServerName,
			"the server name the client sent (SNI): set ServerName")
	})

	t.Run("an IP address works as the server name", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.server))
		_, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "127.0.0.1", nil))
		require.NoError(t, err, "the certificate lists 127.0.0.1 as an IP SAN, so ServerName \"127.0.0.1\" should be accepted")
	})

	t.Run("a server from an unknown CA is refused", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.stranger.serverCert(t, time.Now().Add(time.Hour))))
		_, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "localhost", nil))
		var unknown x509.UnknownAuthorityError
		require.ErrorAs(t, err, &unknown,
			"the server's certificate is signed by a CA that is not in roots: the handshake must fail with x509.UnknownAuthorityError (is verification on, and RootCAs set?)")
		var verr *tls.CertificateVerificationError
		assert.ErrorAs(t, err, &verr, "crypto/tls reports certificate problems as *tls.CertificateVerificationError")
	})

	t.Run("an expired certificate is refused", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.ca.serverCert(t, time.Now().Add(-time.Minute))))
		_, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "localhost", nil))
		var invalid x509.CertificateInvalidError
		require.ErrorAs(t, err, &invalid, "the server's certificate expired a minute ago: the handshake must fail with x509.CertificateInvalidError")
		assert.Equal(t, x509.Expired, invalid.Reason, "the reason should be x509.Expired")
	})

	t.Run("a certificate for another name is refused", func(t *testing.T) {
		srv := startTestTLSServer(t, referenceServerConfig(p.server))
		_, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "bank.example", nil))
		var wrongName x509.HostnameError
		require.ErrorAs(t, err, &wrongName,
			"the client wants bank.example but the certificate is for localhost and 127.0.0.1: the handshake must fail with x509.HostnameError (set ServerName)")
	})

	t.Run("a TLS 1.2 server is refused", func(t *testing.T) {
		old := referenceServerConfig(p.server)
		old.MinVersion, old.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		srv := startTestTLSServer(t, old)
		conn, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "localhost", nil))
		if err == nil {
			t.Fatalf("the client accepted a server that speaks at most TLS 1.2 (%s): set MinVersion to tls.VersionTLS13", tls.VersionName(conn.ConnectionState().Version))
		}
	})
}

// ANCHOR_END: verify

func TestClientConfig_PresentsClientCertificate(t *testing.T) {
	p := newPKI(t)
	mtls := referenceServerConfig(p.server)
	mtls.ClientAuth, mtls.ClientCAs = tls.RequireAndVerifyClientCert, p.ca.Pool()
	srv := startTestTLSServer(t, mtls)

	conn, err := testDial(t, srv.addr, ClientConfig(p.ca.Pool(), "localhost", &p.alice))
	require.NoError(t, err, "the handshake with a mutual TLS server failed")
	reply, err := exchange(conn, []byte("it's alice"))
	require.NoError(t, err, "the mutual TLS server refused the client: put clientCert in Certificates")
	assert.Equal(t, "it's alice", string(reply))

	r := srv.nextHandshake(t)
	require.NoError(t, r.err)
	require.NotEmpty(t, r.state.PeerCertificates, "the client presented no certificate")
	assert.Equal(t, "alice", r.state.PeerCertificates[0].Subject.CommonName)
}
