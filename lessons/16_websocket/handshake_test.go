package websocket_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ws "netlings/lessons/16_websocket"
	"netlings/tools/testkit"
)

func TestAcceptKey_MatchesRFC6455Example(t *testing.T) {
	// RFC 6455 section 1.3 works this example by hand.
	require.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", acceptKey(t, "dGhlIHNhbXBsZSBub25jZQ=="),
		"AcceptKey must be base64(SHA-1(key + \"258EAFA5-E914-47DA-95CA-C5AB0DC85B11\"))")
	for _, key := range []string{"AQIDBAUGBwgJCgsMDQ4PEA==", "x3JJHMbDL1EzLkh9GBhXDw=="} {
		assert.Equal(t, testkit.WSAccept(key), acceptKey(t, key), "AcceptKey(%q)", key)
	}
}

// echoServer serves your EchoServer on 127.0.0.1:0.
func echoServer(t *testing.T, limit int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(ws.EchoServer{ReadLimit: limit})
	t.Cleanup(srv.Close)
	return srv
}

// askHandshake sends a raw request and returns the server's answer.
func askHandshake(t *testing.T, srv *httptest.Server, request string) *http.Response {
	t.Helper()
	conn := testkit.DialTCP(t, srv.Listener.Addr().String())
	_, err := conn.Write([]byte(request))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "reading the answer to the handshake")
	return resp
}

const (
	connectionHint = "Connection is a comma-separated list of tokens, and \"Upgrade-Insecure-Requests\" is not \"upgrade\": " +
		"split Connection on commas and compare each trimmed token with strings.EqualFold"
	keyHint = "the key must be base64 that decodes to exactly 16 bytes: check len(decoded) == 16, not the length of the text"
)

// withHint adds ": hint" to a failure message, or nothing.
func withHint(hint string) string {
	if hint == "" {
		return ""
	}
	return ": " + hint
}

func TestUpgrade_ValidatesTheOpeningHandshake(t *testing.T) {
	srv := echoServer(t, 0)
	host := strings.TrimPrefix(srv.URL, "http://")
	good := map[string]string{
		"Upgrade":               "websocket",
		"Connection":            "Upgrade",
		"Sec-WebSocket-Key":     testkit.WSKey,
		"Sec-WebSocket-Version": "13",
	}
	cases := []struct {
		name    string
		method  string
		change  map[string]string // header -> value; "" removes it
		status  int
		version bool // 426 must say Sec-WebSocket-Version: 13
	}{
		{"valid", "GET", nil, 101, false},
		{"Connection is a token list", "GET", map[string]string{"Connection": "keep-alive, Upgrade"}, 101, false},
		{"header values are case-insensitive", "GET", map[string]string{"Upgrade": "WebSocket", "Connection": "upgrade"}, 101, false},
		{"POST", "POST", nil, 400, false},
		{"no Upgrade header", "GET", map[string]string{"Upgrade": ""}, 400, false},
		{"Upgrade to something else", "GET", map[string]string{"Upgrade": "h2c"}, 400, false},
		{"Connection without upgrade", "GET", map[string]string{"Connection": "keep-alive"}, 400, false},
		{"no key", "GET", map[string]string{"Sec-WebSocket-Key": ""}, 400, false},
		{"key is not base64", "GET", map[string]string{"Sec-WebSocket-Key": "not base64 at all!"}, 400, false},
		{"key is 15 bytes", "GET", map[string]string{"Sec-WebSocket-Key": "AQIDBAUGBwgJCgsMDQ4P"}, 400, false},
		{"Connection with upgrade only inside another token", "GET",
			map[string]string{"Connection": "keep-alive, Upgrade-Insecure-Requests"}, 400, false},
		{"key is 17 bytes", "GET", map[string]string{"Sec-WebSocket-Key": "AQIDBAUGBwgJCgsMDQ4PEBE="}, 400, false},
		{"key is 18 bytes", "GET", map[string]string{"Sec-WebSocket-Key": "AQIDBAUGBwgJCgsMDQ4PEBES"}, 400, false},
		{"24 characters, not base64", "GET", map[string]string{"Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!!!"}, 400, false},
		{"version 8", "GET", map[string]string{"Sec-WebSocket-Version": "8"}, 426, true},
		{"no version", "GET", map[string]string{"Sec-WebSocket-Version": ""}, 426, true},
	}
	// What to fix when one of these gets the wrong status.
	hints := map[string]string{
		"Connection with upgrade only inside another token": connectionHint,
		"key is 17 bytes":           keyHint,
		"key is 18 bytes":           keyHint,
		"24 characters, not base64": keyHint,
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.method + " / HTTP/1.1\r\nHost: " + host + "\r\n"
			for _, name := range []string{"Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"} {
				v, changed := tc.change[name]
				if !changed {
					v = good[name]
				}
				if v != "" {
					req += name + ": " + v + "\r\n"
				}
			}
			if tc.method == "POST" {
				req += "Content-Length: 0\r\n"
			}
			resp := askHandshake(t, srv, req+"\r\n")
			require.Equal(t, tc.status, resp.StatusCode, "wrong status for a handshake with %s%s", tc.name, withHint(hints[tc.name]))
			if tc.version {
				require.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"),
					"a 426 must tell the client which version the server speaks (RFC 6455 section 4.4)")
			}
			if tc.status == 101 {
				assert.True(t, strings.EqualFold(resp.Header.Get("Upgrade"), "websocket"), "a 101 needs \"Upgrade: websocket\"")
				assert.True(t, strings.EqualFold(resp.Header.Get("Connection"), "upgrade"), "a 101 needs \"Connection: Upgrade\"")
				assert.Equal(t, testkit.WSAccept(testkit.WSKey), resp.Header.Get("Sec-WebSocket-Accept"))
			}
		})
	}
}

func TestUpgrade_KeepsBytesThatArriveWithTheHandshake(t *testing.T) {
	srv := echoServer(t, 0)
	// The handshake and the first frame leave in ONE write, so they arrive
	// together and net/http's bufio.Reader has read the frame already.
	first := testkit.Frame{Fin: true, Op: 0x1, Masked: true, Payload: []byte("sent with the handshake")}.Encode()
	c := dialRaw(t, srv, first...)
	c.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	f, err := c.ReadFrame()
	require.NoError(t, err, "the first frame was sent in the same write as the handshake and never echoed: "+
		"after Hijack, read through the returned bufio.Reader, which may hold it already")
	require.Equal(t, "sent with the handshake", string(f.Payload))
}

// tappedListener wraps the server's connections in *tappedConn, so a test
// sees what Upgrade does to the connection it takes over.
type tappedListener struct {
	net.Listener
	failWrites bool      // every Write fails, as on a connection the client has reset
	conns      *sync.Map // remote address -> *tappedConn
}

func (l tappedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &tappedConn{Conn: c, failWrites: l.failWrites}
	l.conns.Store(c.RemoteAddr().String(), tc)
	return tc, nil
}

type tappedConn struct {
	net.Conn
	failWrites bool

	mu            sync.Mutex
	wrote         []byte    // what Write was given
	readDeadline  time.Time // as last set
	writeDeadline time.Time
	closed        bool
}

func (c *tappedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.wrote = append(c.wrote, p...)
	c.mu.Unlock()
	if c.failWrites {
		return 0, syscall.ECONNRESET
	}
	return c.Conn.Write(p)
}

func (c *tappedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.readDeadline, c.writeDeadline = t, t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *tappedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.readDeadline = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *tappedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.writeDeadline = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *tappedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}

// tapped is what a tappedConn saw, at one moment.
type tapped struct {
	wrote                       string
	readDeadline, writeDeadline time.Time
	closed                      bool
}

func (c *tappedConn) seen() tapped {
	c.mu.Lock()
	defer c.mu.Unlock()
	return tapped{string(c.wrote), c.readDeadline, c.writeDeadline, c.closed}
}

// tappedServer serves handle on a tappedListener and gives it the tapped
// connection under each request. It closes them all when the test ends.
func tappedServer(t *testing.T, failWrites bool, handle func(w http.ResponseWriter, r *http.Request, tc *tappedConn)) *httptest.Server {
	t.Helper()
	var conns sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tc, _ := conns.Load(r.RemoteAddr)
		handle(w, r, tc.(*tappedConn))
	}))
	srv.Listener = tappedListener{Listener: srv.Listener, failWrites: failWrites, conns: &conns}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		conns.Range(func(_, tc any) bool { tc.(*tappedConn).Conn.Close(); return true })
	})
	return srv
}

func TestUpgrade_ReturnsAnErrorWhenItCannotTakeTheConnectionOver(t *testing.T) {
	t.Run("Hijack is not supported", func(t *testing.T) {
		// A ResponseWriter without Hijack, like HTTP/2's.
		rec := httptest.NewRecorder()
		c, err := testkit.Returns2(t, "Upgrade", "", func() (*ws.Conn, error) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Upgrade", "websocket")
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Sec-WebSocket-Key", testkit.WSKey)
			r.Header.Set("Sec-WebSocket-Version", "13")
			return ws.Upgrade(rec, r)
		})
		require.Equal(t, http.StatusInternalServerError, rec.Code,
			"a valid handshake on a connection net/http cannot hand over (Hijack returned http.ErrNotSupported): "+
				"answer 500 Internal Server Error (http.Error), then return Hijack's error")
		require.Error(t, err, "Hijack failed: Upgrade must return its error")
		require.Nil(t, c, "Hijack failed: Upgrade must return no Conn")
	})

	t.Run("writing the 101 fails", func(t *testing.T) {
		type result struct {
			c    *ws.Conn
			err  error
			seen tapped // the connection when Upgrade returned
		}
		done := make(chan result, 1)
		// Every write on the server's connections fails, as if the client had
		// reset the connection right after its handshake.
		srv := tappedServer(t, true, func(w http.ResponseWriter, r *http.Request, tc *tappedConn) {
			c, err := ws.Upgrade(w, r)
			done <- result{c, err, tc.seen()}
		})
		conn := testkit.DialTCP(t, srv.Listener.Addr().String())
		_, err := conn.Write([]byte(testkit.WSHandshake(srv.Listener.Addr().String(), "/")))
		require.NoError(t, err)
		var res result
		select {
		case res = <-done:
		case <-time.After(5 * time.Second):
			require.FailNow(t, "Upgrade did not return within 5s when writing the 101 failed", "return the write's error")
		}
		require.True(t, strings.HasPrefix(res.seen.wrote, "HTTP/1.1 101 "),
			"a valid handshake: Upgrade never tried to write its 101 answer on the hijacked connection (it wrote %q)", res.seen.wrote)
		require.Error(t, res.err, "writing the 101 failed: Upgrade must return the write's error")
		require.Nil(t, res.c, "writing the 101 failed: Upgrade must return no Conn")
		require.True(t, res.seen.closed, "writing the 101 failed and Upgrade returned without closing the connection: "+
			"once hijacked, nobody else will ever close it: nc.Close() before returning the error")
	})
}

func TestUpgrade_LeavesNoDeadlineOnTheConn(t *testing.T) {
	done := make(chan tapped, 1)
	srv := tappedServer(t, false, func(w http.ResponseWriter, r *http.Request, tc *tappedConn) {
		c, err := ws.Upgrade(w, r)
		if err != nil {
			return // dialRaw says why
		}
		defer c.Close()
		done <- tc.seen()
	})
	dialRaw(t, srv)
	var seen tapped
	select {
	case seen = <-done:
	case <-time.After(5 * time.Second):
		require.FailNow(t, "Upgrade did not return within 5s of its 101")
	}
	require.True(t, seen.writeDeadline.IsZero(), "Upgrade returned a Conn with a write deadline %v from now: "+
		"every write after it would fail with a timeout. A deadline that bounds the 101's write must be cleared "+
		"after it: nc.SetWriteDeadline(time.Time{})", time.Until(seen.writeDeadline).Round(time.Second))
	require.True(t, seen.readDeadline.IsZero(), "Upgrade returned a Conn with a read deadline %v from now: "+
		"every read after it would fail with a timeout; clear it: nc.SetReadDeadline(time.Time{})",
		time.Until(seen.readDeadline).Round(time.Second))
}
