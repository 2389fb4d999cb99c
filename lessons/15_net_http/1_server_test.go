package nethttp

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var hello = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	io.WriteString(w, "hello\n")
})

func TestNewServer_SetsEveryTimeoutAndHeaderLimit(t *testing.T) {
	srv := NewServer("127.0.0.1:8080", hello)
	require.NotNil(t, srv, "NewServer returned nil: build an *http.Server")
	assert.Equal(t, "127.0.0.1:8080", srv.Addr, "Addr")
	assert.NotNil(t, srv.Handler, "Handler: the server must serve h")
	// A zero timeout in http.Server means "wait forever".
	assert.Equal(t, ReadHeaderTimeout, srv.ReadHeaderTimeout, "ReadHeaderTimeout: the slow-loris defence")
	assert.Equal(t, ReadTimeout, srv.ReadTimeout, "ReadTimeout: bounds reading the header and the body")
	assert.Equal(t, WriteTimeout, srv.WriteTimeout, "WriteTimeout: bounds writing the response")
	assert.Equal(t, IdleTimeout, srv.IdleTimeout, "IdleTimeout: bounds a keep-alive connection between requests")
	assert.Equal(t, MaxHeaderBytes, srv.MaxHeaderBytes, "MaxHeaderBytes: net/http's default is 1 MiB")
}

func TestNewServer_CutsASlowHeaderAndKeepsServing(t *testing.T) {
	srv := NewServer("", hello)
	require.NotNil(t, srv, "NewServer returned nil: build an *http.Server")
	require.Equal(t, ReadHeaderTimeout, srv.ReadHeaderTimeout, "ReadHeaderTimeout is not set")
	// Same server, a shorter timeout: so the test takes a fraction of a second.
	srv.ReadHeaderTimeout = 300 * time.Millisecond
	base := serve(t, srv)

	// A slow-loris client: half a header, then nothing.
	slow := dialRaw(t, hostOf(base))
	_, err := io.WriteString(slow, "GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
	require.NoError(t, err)
	start := time.Now()

	// Meanwhile, a normal client is served.
	status, _, body := do(t, "GET", base+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hello\n", body)

	// The server hangs up on the slow client once ReadHeaderTimeout is over.
	_, err = slow.Read(make([]byte, 1))
	require.Error(t, err, "the slow client got a byte instead of a closed connection")
	require.False(t, isTimeout(err), "the server never closed the slow client's connection: the test gave up waiting (%v)", err)
	assert.Less(t, time.Since(start), 3*time.Second, "the slow client was cut, but late")
}

func TestNewServer_Answers431ToAnOversizedHeader(t *testing.T) {
	srv := NewServer("", hello)
	require.NotNil(t, srv, "NewServer returned nil: build an *http.Server")
	base := serve(t, srv)

	c := dialRaw(t, hostOf(base))
	big := strings.Repeat("a", 2*MaxHeaderBytes)
	_, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: test\r\nCookie: %s\r\n\r\n", big)
	require.NoError(t, err)
	status, err := readStatus(c)
	require.NoError(t, err, "no response to a %d-byte header", len(big))
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, status,
		"a header twice MaxHeaderBytes must get 431 (is MaxHeaderBytes set?)")

	// A header of a few KiB, like real cookies, is fine.
	c = dialRaw(t, hostOf(base))
	_, err = fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: test\r\nCookie: %s\r\n\r\n", big[:4<<10])
	require.NoError(t, err)
	status, err = readStatus(c)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "a 4 KiB header must be served: is MaxHeaderBytes too small?")
}
