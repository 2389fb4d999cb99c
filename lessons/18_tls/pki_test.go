package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// This file is a tiny certificate authority for the tests: every
// certificate the tests use is made here, at run time, and thrown away.
// Nothing is read from disk and nothing touches the system's trust store.

// ANCHOR: ca

// testCA is a certificate authority: a certificate that may sign other
// certificates (IsCA), and the private key to sign them with.
type testCA struct {
	cert  *x509.Certificate
	key   *ecdsa.PrivateKey
	chain [][]byte // the certificates between a leaf and the root: sent by the leaf's owner
}

// newRootCA makes a self-signed root CA: its certificate is signed by its
// own key, so nothing vouches for it. Trusting it is a decision: the pool
// returned by Pool is that decision.
func newRootCA(t *testing.T, name string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err, "creating the root CA certificate")
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key}
}

// Pool returns a pool that trusts this CA (and so everything it signs).
func (ca *testCA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

// newIntermediate makes a CA signed by ca. Leaves it signs carry it in
// their chain, because clients only know the root.
func (ca *testCA) newIntermediate(t *testing.T, name string) *testCA {
	t.Helper()
	key := newKey(t)
	cert := ca.sign(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, key)
	return &testCA{cert: cert, key: key, chain: append([][]byte{cert.Raw}, ca.chain...)}
}

// serverCert issues a certificate for a server reachable as "localhost",
// 127.0.0.1 or ::1 (the Subject Alternative Names a client checks), valid
// from an hour ago until notAfter.
func (ca *testCA) serverCert(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	return ca.leaf(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "netlings test server"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
}

// clientCert issues a certificate that identifies a client by name (its
// Common Name), for mutual TLS.
func (ca *testCA) clientCert(t *testing.T, name string) tls.Certificate {
	t.Helper()
	return ca.leaf(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// leaf signs tmpl with a new key and returns what a TLS endpoint needs:
// its certificate, the chain up to (not including) the root, and the key.
func (ca *testCA) leaf(t *testing.T, tmpl *x509.Certificate) tls.Certificate {
	t.Helper()
	key := newKey(t)
	cert := ca.sign(t, tmpl, key)
	return tls.Certificate{
		Certificate: append([][]byte{cert.Raw}, ca.chain...),
		PrivateKey:  key,
		Leaf:        cert,
	}
}

// sign makes ca vouch for key's public half under the names in tmpl.
func (ca *testCA) sign(t *testing.T, tmpl *x509.Certificate, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl.SerialNumber = newSerial(t)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err, "signing the certificate for %q", tmpl.Subject.CommonName)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

// ANCHOR_END: ca

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err, "generating an ECDSA P-256 key")
	return key
}

func newSerial(t *testing.T) *big.Int {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	require.NoError(t, err)
	return serial
}

// testPKI is everything a test needs: a root CA the tests trust, a
// stranger CA nobody trusts, and certificates issued by both.
type testPKI struct {
	ca, stranger *testCA
	server       tls.Certificate // from ca, for localhost / 127.0.0.1, valid now
	alice        tls.Certificate // a client certificate from ca, CN "alice"
	mallory      tls.Certificate // a client certificate from stranger, CN "mallory"
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	ca := newRootCA(t, "netlings test root CA")
	stranger := newRootCA(t, "a CA nobody trusts")
	return &testPKI{
		ca:       ca,
		stranger: stranger,
		server:   ca.serverCert(t, time.Now().Add(24*time.Hour)),
		alice:    ca.clientCert(t, "alice"),
		mallory:  stranger.clientCert(t, "mallory"),
	}
}
