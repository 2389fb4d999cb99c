package tls

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ANCHOR: endtoend
func TestMutualTLS_EndToEnd(t *testing.T) {
	// Only your code now: ServerConfig + ServeTLSEcho on one side,
	// ClientConfig + Roundtrip on the other.
	p := newPKI(t)
	srv := startServeTLSEcho(t, ServerConfig(p.server, p.ca.Pool()))

	roundtrip := func(clientCert *tls.Certificate, msg string) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
		defer cancel()
		reply, err := roundtrip(t, ctx, srv.addr, ClientConfig(p.ca.Pool(), "localhost", clientCert), []byte(msg))
		return string(reply), err
	}

	reply, err := roundtrip(&p.alice, "hello from alice")
	require.NoError(t, err, "alice has a certificate from the CA the server trusts: her Roundtrip should work")
	assert.Equal(t, "hello from alice", reply)

	_, err = roundtrip(nil, "hello from nobody")
	require.Error(t, err, "a client without a certificate got an echo from the mutual TLS server")

	_, err = roundtrip(&p.mallory, "hello from mallory")
	require.Error(t, err, "mallory's certificate comes from a CA the server does not trust, yet she got an echo")

	reply, err = roundtrip(&p.alice, "alice again")
	require.NoError(t, err, "after refusing two clients, the server should still serve alice")
	assert.Equal(t, "alice again", reply)
}

// ANCHOR_END: endtoend
