package httpserver

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestServer_ChecksEveryByteOfTheHost(t *testing.T) {
	ts := start(t, newServer(t))
	// The first and the last byte count too, and the letters run from A to
	// Z and from a to z: '@' is the byte before 'A', '`' the byte before 'a'.
	for _, host := range []string{"@example.com", "/example.com", "example.com/", "`x", "{x"} {
		conn, br := dial(t, ts)
		send(t, conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		resp, _ := readResponse(t, br, "GET")
		assert.Equal(t, 400, resp.StatusCode, "Host: %s is not a host[:port]: answer 400. Check every byte of the host, the first and the last one too", host)
		expectClosed(t, conn, br, time.Second, fmt.Sprintf("after the 400 for Host: %s", host))
	}
	conn, br := dial(t, ts)
	for _, host := range []string{"A", "Z", "a", "z", "0", "9", "EXAMPLE.COM", "Az09:80"} {
		send(t, conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		resp, _ := readResponse(t, br, "GET")
		require.Equal(t, 200, resp.StatusCode, "Host: %s is a valid host[:port]: serve it. Letters are 'a' <= c && c <= 'z' and 'A' <= c && c <= 'Z', both ends included", host)
	}
}

func TestServer_RefusesAnInvalidHostFieldEvenWithAnAbsoluteTarget(t *testing.T) {
	ts := start(t, newServer(t))
	for _, tc := range []struct{ raw, why string }{
		{"GET http://example.com/ HTTP/1.1\r\nHost: a b\r\n\r\n",
			"the request target names a valid host (req.Host is example.com), but the Host field is \"a b\": a Host field with an invalid value is a 400 (RFC 9112 §3.2), whatever the target says. Check the Host field too, not only req.Host"},
		{"GET http://a<b>/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
			"the Host field is valid, but the host of the absolute target (req.Host) is \"a<b>\": check req.Host too, not only the Host field"},
	} {
		conn, br := dial(t, ts)
		send(t, conn, tc.raw)
		resp, _ := readResponse(t, br, "GET")
		assert.Equal(t, 400, resp.StatusCode, "%q: %s", tc.raw, tc.why)
		expectClosed(t, conn, br, time.Second, fmt.Sprintf("after the 400 for %q", tc.raw))
	}
}

func TestServer_SendsNothingWhenItClosesAnIdleConnection(t *testing.T) {
	s := newServer(t)
	s.IdleTimeout = 300 * time.Millisecond
	ts := start(t, s)
	const fix = "when the connection ends with EOF or a timeout, nobody asked anything: close it without a word (httpparser.StatusOf(err) is 0: write no response). A client about to reuse the connection would take those bytes for the answer to its next request"
	nothing := func(t *testing.T, conn net.Conn, rr *respReader, what string) {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		rest, err := io.ReadAll(rr)
		require.False(t, testkit.IsTimeout(err), "%s: the connection was still open 2s later (IdleTimeout is 300ms)", what)
		assert.Empty(t, string(rest), "%s, the server sent %q before it closed: %s", what, rest, fix)
	}

	t.Run("after a response", func(t *testing.T) {
		conn, br := dialSending(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_, body := readResponse(t, br, "GET")
		require.Equal(t, Hello, body)
		nothing(t, conn, br, "after a response and IdleTimeout without a request")
	})
	t.Run("before any request", func(t *testing.T) {
		conn, br := dial(t, ts)
		nothing(t, conn, br, "after IdleTimeout without a single byte from the client")
	})
}

func TestServer_StartsTheHeadDeadlineAtTheFirstByte(t *testing.T) {
	s := newServer(t)
	s.ReadHeaderTimeout = 500 * time.Millisecond
	s.IdleTimeout = 5 * time.Second
	ts := start(t, s)
	conn, br := dial(t, ts)
	send(t, conn, "G") // and nothing more
	expectClosed(t, conn, br, 2*time.Second, "a client sent one byte of a request and nothing more: from the first byte on, the head has ReadHeaderTimeout (500ms; IdleTimeout is 5s). Wait for ONE byte under the idle deadline (br.Peek(1)), then set the head's deadline")
}

func TestServer_FollowsTheRulesOfExpect(t *testing.T) {
	ts := start(t, newServer(t))
	// continued sends head, waits for a 100 Continue (a server that sends
	// none answers after ReadTimeout, 2s, at the latest), then sends body
	// and returns the final response.
	continued := func(t *testing.T, head, body, why string) *http.Response {
		t.Helper()
		conn, br := dial(t, ts)
		send(t, conn, head)
		resp, err := http.ReadResponse(br.Reader, &http.Request{Method: "PUT"})
		require.NoError(t, err, "no answer to %q: %s", head, why)
		require.Equal(t, 100, resp.StatusCode, "the answer to %q: %s", head, why)
		send(t, conn, body)
		resp, _ = readResponse(t, br, "PUT")
		return resp
	}

	t.Run("100-continue in any case", func(t *testing.T) {
		resp := continued(t, "PUT /files/case.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n", "hello",
			"the client waits for \"100 Continue\" before it sends its body; the expectation is case-insensitive (RFC 9110 §10.1.1): compare with strings.EqualFold, everywhere you look at it")
		assert.Equal(t, 201, resp.StatusCode, "after the 100 and the body comes the final response")
	})

	t.Run("a one-byte body", func(t *testing.T) {
		resp := continued(t, "PUT /files/one.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n", "1",
			"a body of one byte is a body: the client waits for \"100 Continue\" before it sends it. Only a request with no body at all (Content-Length: 0) needs no 100")
		assert.Equal(t, 201, resp.StatusCode, "after the 100 and the body comes the final response")
	})

	t.Run("ignored in HTTP/1.0", func(t *testing.T) {
		conn, br := dial(t, ts)
		send(t, conn, "PUT /files/old.txt HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello")
		resp, _ := readResponse(t, br, "PUT")
		assert.Equal(t, 201, resp.StatusCode, "an HTTP/1.0 client knows no 1xx responses and sends its body at once: ignore Expect: 100-continue in an HTTP/1.0 request (RFC 9110 §10.1.1), send no 100")
	})

	t.Run("any other expectation", func(t *testing.T) {
		conn, br := dial(t, ts)
		send(t, conn, "GET / HTTP/1.1\r\nHost: x\r\nExpect: x-teapot\r\n\r\n")
		resp, _ := readResponse(t, br, "GET")
		assert.Equal(t, 417, resp.StatusCode, "Expect: x-teapot is an expectation this server cannot meet: answer 417 Expectation Failed (RFC 9110 §10.1.1), as net/http does")
	})
}

func TestServer_GivesThe100ContinueAFreshWriteDeadline(t *testing.T) {
	s := newServer(t)
	s.WriteTimeout = 200 * time.Millisecond
	ts := start(t, s)
	conn, br := dialSending(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_, body := readResponse(t, br, "GET")
	require.Equal(t, Hello, body)

	// The write deadline set for that response passes (IdleTimeout is 3s).
	time.Sleep(3 * s.WriteTimeout)
	send(t, conn, "PUT /files/later.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	resp, err := http.ReadResponse(br.Reader, &http.Request{Method: "PUT"})
	require.NoError(t, err, "no 100 Continue for a request sent %v after the previous response: the write deadline set for that response had passed when the server wrote the 100. The 100 is a response too: give it a fresh write deadline (now+WriteTimeout) before the route reads the body", 3*s.WriteTimeout)
	require.Equal(t, 100, resp.StatusCode, "the client sent Expect: 100-continue and waits for the 100 before it sends the body")
	send(t, conn, "hello")
	resp, _ = readResponse(t, br, "PUT")
	assert.Equal(t, 201, resp.StatusCode, "after the 100 and the body comes the final response")
}

func TestServer_GivesUpOnAnErrorResponseNobodyReads(t *testing.T) {
	s := newServer(t)
	s.WriteTimeout = 300 * time.Millisecond
	ln := &acceptedListener{Listener: testkit.StuckListener{Listener: testkit.Listen(t)}, accepted: make(chan net.Conn, 1)}
	ts := startOn(t, s, ln)
	conn, br := dial(t, ts)
	var sc *testkit.StuckConn
	select {
	case c := <-ln.accepted:
		sc = c.(*testkit.StuckConn)
	case <-time.After(ioTimeout):
		require.FailNow(t, "the server's listener accepted no connection")
	}
	sc.Stick() // from now on the server's writes wait, as if the client read nothing

	send(t, conn, "hello\r\n\r\n")
	expectClosed(t, conn, br, 2*time.Second, "the server answers a bad request with a 400 the client never reads: the write of an error response needs a write deadline too (now+WriteTimeout, 300ms here), or it waits forever and holds the connection and its goroutine")
}

// acceptedListener hands each connection it accepts to the test too.
type acceptedListener struct {
	net.Listener
	accepted chan net.Conn
}

func (l *acceptedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		select {
		case l.accepted <- c:
		default:
		}
	}
	return c, err
}

func TestServe_ForgetsClosedConnections(t *testing.T) {
	ln := &weakListener{Listener: testkit.Listen(t)}
	ts := startOn(t, newServer(t), ln)
	for range 3 {
		conn, br := dialSending(t, ts, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		_, body := readResponse(t, br, "GET")
		require.Equal(t, Hello, body)
		expectClosed(t, conn, br, time.Second, "after a response with Connection: close")
	}
	dial(t, ts) // one more, left open: Serve must keep it

	// Once their goroutines end, nothing should refer to the closed ones:
	// the garbage collector frees them.
	deadline := time.Now().Add(3 * time.Second)
	for {
		runtime.GC()
		alive := ln.alive()
		if alive[0]+alive[1]+alive[2] == 0 {
			break
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "Serve still holds closed connections",
				"3 connections were served and closed, and 3s later Serve still refers to %d of them: remove each connection from the connSet when its goroutine ends (defer conns.remove(conn)). A server that runs for weeks must not keep every connection it ever accepted", alive[0]+alive[1]+alive[2])
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, 1, ln.alive()[3], "the open connection is still tracked (this checks the test itself)")
}

// weakListener wraps each accepted connection and keeps only a weak
// pointer to it, so a test can tell whether the server still refers to it.
type weakListener struct {
	net.Listener
	mu    sync.Mutex
	conns []weak.Pointer[trackedConn]
}

// trackedConn is a *net.TCPConn (CloseWrite included) the test can watch.
type trackedConn struct{ *net.TCPConn }

func (l *weakListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{c.(*net.TCPConn)}
	l.mu.Lock()
	l.conns = append(l.conns, weak.Make(tc))
	l.mu.Unlock()
	return tc, nil
}

// alive reports, for each connection accepted so far, 1 if something
// still refers to it and 0 if the garbage collector freed it.
func (l *weakListener) alive() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	alive := make([]int, len(l.conns))
	for i, p := range l.conns {
		if p.Value() != nil {
			alive[i] = 1
		}
	}
	return alive
}

func TestServer_NeverReadsTheEndOfALongUnreadBodyAsARequest(t *testing.T) {
	ts := start(t, newServer(t))
	// A body the route ignores, long enough to pass any drain limit a
	// server may keep, whose last bytes are a request. Draining up to a
	// limit and keeping the connection would answer that request.
	smuggled := "GET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, pad := range []int{64 << 10, 256 << 10, 1 << 20} {
		conn, rr := dial(t, ts)
		head := fmt.Sprintf("GET /echo/a HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", pad+len(smuggled))
		go io.WriteString(conn, head+strings.Repeat("a", pad)+smuggled) // the server may close before it has read it all
		resp, body := readResponse(t, rr, "GET")
		require.Equal(t, 200, resp.StatusCode, "GET /echo/a with a %d-byte body", pad+len(smuggled))
		require.Equal(t, "a", body)
		conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		rest, _ := io.ReadAll(rr) // until the server closes, or half a second of nothing
		assert.NotContains(t, string(rest), "HTTP/1.1",
			"after GET /echo/a with a %d-byte body the server answered the end of that body as a request (a smuggling hole): "+
				"drain a body to its end, or, past your drain limit, close the connection; never keep it with body bytes unread", pad+len(smuggled))
	}
}
