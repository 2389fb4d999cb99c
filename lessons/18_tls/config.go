// Package tls is lesson 18: securing the echo stream of lesson 02 with TLS 1.3
// and mutual TLS.
//
// The package shares its name with crypto/tls, which every file here imports:
// inside this package, "tls.Config" is always crypto/tls's Config.
//
// Read book/18_tls.md first, then make the tests in this folder pass:
//
//	make check-lesson N=18
package tls

import (
	"crypto/tls"
	"crypto/x509"
)

// ANCHOR: serverconfig

// ServerConfig returns the configuration of a TLS server that presents
// cert (its certificate chain and private key).
//
// The server speaks TLS 1.3 and nothing older. When clientCAs is nil it
// does not ask clients for a certificate. When clientCAs is not nil it is a
// mutual TLS server: every client must present a certificate that chains up
// to one of clientCAs, or the handshake fails.
func ServerConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	// TODO: put cert in Certificates and set MinVersion to tls.VersionTLS13.
	// With clientCAs, also set ClientCAs and ClientAuth to
	// tls.RequireAndVerifyClientCert. See "Mutual TLS" in the chapter.
	return &tls.Config{}
}

// ANCHOR_END: serverconfig

// ANCHOR: clientconfig

// ClientConfig returns the configuration of a TLS client that trusts only
// the certificate authorities in roots, accepts the server only if its
// certificate is valid for serverName (a DNS name or an IP address), and
// speaks TLS 1.3 and nothing older.
//
// serverName is also sent in the handshake (SNI), so one server address can
// host several names. When clientCert is not nil, the client presents it to
// a server that asks for a certificate (mutual TLS).
//
// It never turns verification off: an untrusted, expired or misnamed server
// certificate makes the handshake fail.
func ClientConfig(roots *x509.CertPool, serverName string, clientCert *tls.Certificate) *tls.Config {
	// TODO: set RootCAs, ServerName and MinVersion; with a clientCert, put it
	// in Certificates. Never set InsecureSkipVerify.
	return &tls.Config{}
}

// ANCHOR_END: clientconfig
