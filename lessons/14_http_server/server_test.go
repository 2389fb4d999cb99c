package httpserver

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the Date check also runs in a time zone far from UTC

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	httpparser "netlings/lessons/13_http_parser"
	"netlings/tools/testkit"
)

func TestServer_RoutesRequests(t *testing.T) {
	ts := start(t, newServer(t))
	c := client(t)

	resp, body := get(t, c, ts.url+"/")
	assert.Equal(t, 200, resp.StatusCode, "GET /")
	assert.Equal(t, Hello, body, "GET / answers Hello")
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))

	resp, body = get(t, c, ts.url+"/echo/h%C3%A9llo%20w%C3%B6rld")
	assert.Equal(t, 200, resp.StatusCode, "GET /echo/{text}")
	assert.Equal(t, "héllo wörld", body, "/echo/{text} answers the text percent-decoded (req.URL.Path)")

	resp, body = get(t, c, ts.url+"/headers", "X-Tag", "netlings")
	assert.Equal(t, 200, resp.StatusCode, "GET /headers")
	assert.Contains(t, body, "X-Tag: netlings\n", "/headers lists each request field as \"Name: value\\n\"")
	assert.Contains(t, body, "User-Agent: ", "/headers lists every field the client sent")

	resp, _ = get(t, c, ts.url+"/nowhere")
	assert.Equal(t, 404, resp.StatusCode, "an unknown path is 404 Not Found")

	req, err := http.NewRequest("DELETE", ts.url+"/", nil)
	require.NoError(t, err)
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 405, resp.StatusCode, "DELETE / is 405 Method Not Allowed")
	assert.NotEmpty(t, resp.Header.Get("Allow"), "a 405 says which methods are allowed, in Allow (RFC 9110 §15.5.6)")

	t.Run("405 on every known path", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			allow        []string
		}{
			{"DELETE", "/files/a.txt", []string{"GET", "HEAD", "PUT"}},
			{"POST", "/echo/x", []string{"GET", "HEAD"}},
			{"POST", "/headers", []string{"GET", "HEAD"}},
			{"PUT", "/", []string{"GET", "HEAD"}},
		} {
			req, err := http.NewRequest(tc.method, ts.url+tc.path, nil)
			require.NoError(t, err)
			resp, err := c.Do(req)
			require.NoError(t, err, "%s %s", tc.method, tc.path)
			resp.Body.Close()
			if !assert.Equal(t, 405, resp.StatusCode, "%s %s: a known path with another method is 405 Method Not Allowed, not 404", tc.method, tc.path) {
				continue
			}
			var allowed []string
			for _, m := range strings.Split(resp.Header.Get("Allow"), ",") {
				allowed = append(allowed, strings.TrimSpace(m))
			}
			assert.Subset(t, allowed, tc.allow, "%s %s: Allow lists the methods %s does take (%s), got %q", tc.method, tc.path, tc.path, strings.Join(tc.allow, ", "), resp.Header.Get("Allow"))
		}
	})

	t.Run("/headers is sorted, one line per field line", func(t *testing.T) {
		conn, br := dial(t, ts)
		send(t, conn, "GET /headers HTTP/1.1\r\nHost: x\r\nZeta: 1\r\nalpha: 2\r\nX-Tag: one\r\nX-Tag: two\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		require.Equal(t, 200, resp.StatusCode, "GET /headers")
		assert.Equal(t, "Alpha: 2\nHost: x\nX-Tag: one\nX-Tag: two\nZeta: 1\n", body,
			"/headers: one \"Name: value\" line per field line, canonical names, sorted by name (slices.Sorted(maps.Keys(...))), the values of one name in the order they came")
	})
}

func TestServer_SendsDateAndContentLengthInBytes(t *testing.T) {
	ts := start(t, newServer(t))
	conn, br := dial(t, ts)

	// "héllo wörld" is 11 characters and 13 bytes.
	send(t, conn, "GET /echo/h%C3%A9llo%20w%C3%B6rld HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := readResponse(t, br, "GET")
	assert.Equal(t, "13", resp.Header.Get("Content-Length"),
		"Content-Length counts bytes (len(body)), not characters (utf8.RuneCountInString)")
	assert.Equal(t, "héllo wörld", body)
	resp, body = readResponse(t, br, "GET")
	assert.Equal(t, Hello, body, "the next response on the connection starts right after the body's last byte")

	date, err := http.ParseTime(resp.Header.Get("Date"))
	require.NoError(t, err, "every response has a Date field in IMF-fixdate form, e.g. %q (http.TimeFormat, in UTC)", time.Now().UTC().Format(http.TimeFormat))
	assert.WithinDuration(t, time.Now(), date, time.Minute, "Date is the time of the response")
}

func TestServer_SendsNoBodyForHEADAnd204And304(t *testing.T) {
	ts := start(t, newServer(t))
	conn, br := dial(t, ts)

	// Each request is followed by a GET /: if the server sent a body where
	// there must be none, those bytes are read as the next status line.
	send(t, conn, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ := readResponse(t, br, "HEAD")
	assert.Equal(t, 200, resp.StatusCode, "HEAD / is answered like GET /")
	assert.Equal(t, strconv.Itoa(len(Hello)), resp.Header.Get("Content-Length"),
		"a HEAD response carries the Content-Length a GET would get (RFC 9110 §9.3.2)")
	_, body := readResponse(t, br, "GET")
	require.Equal(t, Hello, body, "after a HEAD response comes the next response: a HEAD response has no body")

	send(t, conn, "PUT /files/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none")
	resp, _ = readResponse(t, br, "PUT")
	require.Equal(t, 201, resp.StatusCode, "PUT of a new file is 201 Created")

	send(t, conn, "PUT /files/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwoGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ = readResponse(t, br, "PUT")
	require.Equal(t, 204, resp.StatusCode, "PUT over an existing file is 204 No Content")
	assert.Empty(t, resp.Header.Get("Content-Length"), "a 204 has no Content-Length (RFC 9110 §8.6)")
	_, body = readResponse(t, br, "GET")
	require.Equal(t, Hello, body, "after a 204 comes the next response: a 204 has no body")

	send(t, conn, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body = readResponse(t, br, "GET")
	require.Equal(t, "two", body)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag, "GET /files/{name} sends an ETag")

	send(t, conn, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: "+etag+"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, _ = readResponse(t, br, "GET")
	assert.Equal(t, 304, resp.StatusCode, "If-None-Match with the current ETag is 304 Not Modified")
	assert.Empty(t, resp.Header.Get("Content-Length"), "a 304 has no Content-Length (RFC 9110 §6.4.1): it has no body, and any length it gave would have to be the 200's")
	_, body = readResponse(t, br, "GET")
	require.Equal(t, Hello, body, "after a 304 comes the next response: a 304 has no body")

	t.Run("HEAD on every GET route", func(t *testing.T) {
		conn, br := dial(t, ts)
		send(t, conn, "HEAD /files/a.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /echo/abc HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, _ := readResponse(t, br, "HEAD")
		require.Equal(t, 200, resp.StatusCode, "HEAD /files/{name} is answered like GET: route HEAD as GET on every GET route")
		assert.Equal(t, "3", resp.Header.Get("Content-Length"), "HEAD /files/a.txt carries the Content-Length a GET would get")
		assert.Equal(t, etag, resp.Header.Get("ETag"), "HEAD /files/a.txt carries the ETag a GET would get")
		resp, _ = readResponse(t, br, "HEAD")
		require.Equal(t, 200, resp.StatusCode, "HEAD /echo/{text} is answered like GET: route HEAD as GET on every GET route")
		assert.Equal(t, "3", resp.Header.Get("Content-Length"), "HEAD /echo/abc carries the Content-Length a GET would get")
		_, body := readResponse(t, br, "GET")
		require.Equal(t, Hello, body, "after a HEAD response comes the next response: a HEAD response has no body")
	})

	t.Run("If-None-Match", func(t *testing.T) {
		conn, br := dial(t, ts)
		for _, tc := range []struct {
			inm    string
			status int
			why    string
		}{
			{`"nope"`, 200, "If-None-Match with another ETag: the client's copy is stale, send the file (200)"},
			{`"nope", ` + etag, 304, "If-None-Match is a list: one of its ETags is the current one, so 304"},
		} {
			send(t, conn, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: "+tc.inm+"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, body := readResponse(t, br, "GET")
			assert.Equal(t, tc.status, resp.StatusCode, "If-None-Match: %s (the ETag is %s): %s", tc.inm, etag, tc.why)
			if tc.status == 200 {
				assert.Equal(t, "two", body)
			}
			_, body = readResponse(t, br, "GET")
			require.Equal(t, Hello, body)
		}

		send(t, conn, "PUT /files/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree")
		resp, _ := readResponse(t, br, "PUT")
		require.Equal(t, 204, resp.StatusCode)
		send(t, conn, "GET /files/a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: "+etag+"\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		assert.Equal(t, 200, resp.StatusCode, "the file changed after its ETag %s was sent: If-None-Match with the old ETag is 200 with the new content. The ETag must change with the content (a hash of it)", etag)
		assert.Equal(t, "three", body)
		assert.NotEqual(t, etag, resp.Header.Get("ETag"), "the ETag must change when the content changes (a hash of the content, not of the name)")
	})
}

func TestServer_ReusesConnections(t *testing.T) {
	ts := start(t, newServer(t))
	c := client(t)
	reused := 0
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if info.Reused {
			reused++
		}
	}}
	for i := range 10 {
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/echo/%d", ts.url, i), nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err, "request %d", i+1)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(i), string(body))
		assert.False(t, resp.Close, "an HTTP/1.1 response to an HTTP/1.1 request keeps the connection: no Connection: close")
	}
	assert.Equal(t, 9, reused, "net/http's client reused its connection for %d of the last 9 requests: keep the connection open after a response (HTTP/1.1 is persistent by default)", reused)
	assert.EqualValues(t, 1, ts.accepts.Load(), "10 requests from one client should need 1 connection")
}

func TestServer_HonoursConnectionClose(t *testing.T) {
	ts := start(t, newServer(t))
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	} {
		conn, br := dial(t, ts)
		send(t, conn, raw)
		resp, body := readResponse(t, br, "GET")
		assert.Equal(t, Hello, body)
		assert.True(t, resp.Close, "tell the client the connection closes: Connection: close")
		expectClosed(t, conn, br, time.Second, fmt.Sprintf("after answering %q the server must close", raw))
	}
}

func TestServer_KeepsHTTP10KeepAliveConnectionsOpenAndSaysSo(t *testing.T) {
	ts := start(t, newServer(t))
	conn, br := dial(t, ts)
	for i := range 2 {
		send(t, conn, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		require.Equal(t, Hello, body)
		connection := strings.ToLower(resp.Header.Get("Connection"))
		if strings.Contains(connection, "close") {
			expectClosed(t, conn, br, time.Second, "the response said Connection: close")
			return
		}
		require.Equal(t, "keep-alive", connection,
			"request %d: an HTTP/1.0 client that asks for Connection: keep-alive takes a response without \"Connection: keep-alive\" as the last one on the connection (HTTP/1.0 is not persistent by default), but the server kept the socket open: when an HTTP/1.0 connection stays open, answer with Connection: keep-alive (or say Connection: close and close)", i+1)
	}
}

func TestServer_RefusesAnInvalidHost(t *testing.T) {
	ts := start(t, newServer(t))
	for _, host := range []string{"a b", "a/b", "a@b", "a?b", "a#b", "a\"b", "a<b>", "a\\b", "a{b}", "a|b", "a^b", "a`b", "caf\xc3\xa9.example"} {
		conn, br := dial(t, ts)
		send(t, conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		resp, _ := readResponse(t, br, "GET")
		assert.Equal(t, 400, resp.StatusCode, "Host: %s is not a host[:port] (RFC 3986 §3.2.2 allows letters, digits, -._~%%!$&'()*+,;= and : [ ] for a port and IPv6): RFC 9112 §3.2 says answer 400, as net/http does. Check every byte of req.Host against that list (allow what is valid, not deny what you thought of)", host)
		assert.True(t, resp.Close, "after a 400 for Host: %s, say Connection: close and close", host)
		expectClosed(t, conn, br, time.Second, fmt.Sprintf("after the 400 for Host: %s", host))
	}
	for _, host := range []string{"example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8080", "xn--bcher-kva.example", "a_b.local", "zZ09.example", "a~!$&'()*+,;=z"} {
		conn, br := dial(t, ts)
		send(t, conn, "GET / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		assert.Equal(t, 200, resp.StatusCode, "Host: %s is a valid host[:port]: serve the request", host)
		assert.Equal(t, Hello, body)
	}
	conn, br := dial(t, ts)
	send(t, conn, "GET / HTTP/1.0\r\n\r\n")
	_, body := readResponse(t, br, "GET")
	assert.Equal(t, Hello, body, "an HTTP/1.0 request may omit Host (req.Host is empty): serve it")
}

func TestServer_AnswersPipelinedRequestsInOrder(t *testing.T) {
	ts := start(t, newServer(t))
	conn, br := dial(t, ts)
	var all strings.Builder
	for i := range 5 {
		fmt.Fprintf(&all, "GET /echo/%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	all.WriteString("PUT /files/p.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	all.WriteString("GET /files/p.txt HTTP/1.1\r\nHost: x\r\n\r\n")
	send(t, conn, all.String()) // seven requests in one write

	for i := range 5 {
		_, body := readResponse(t, br, "GET")
		require.Equal(t, strconv.Itoa(i), body, "pipelined requests are answered in the order they came, on the same connection")
	}
	resp, _ := readResponse(t, br, "PUT")
	assert.Equal(t, 201, resp.StatusCode, "a chunked PUT between pipelined requests")
	_, body := readResponse(t, br, "GET")
	assert.Equal(t, "abc", body, "the request after a chunked body starts right after its last chunk")
}

func TestServer_AnswersExpectContinue(t *testing.T) {
	ts := start(t, newServer(t))
	conn, br := dial(t, ts)

	send(t, conn, "PUT /files/big.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, _ := readResponse(t, br, "PUT")
	require.Equal(t, 100, resp.StatusCode,
		"the client sent Expect: 100-continue and waits for \"HTTP/1.1 100 Continue\\r\\n\\r\\n\" before it sends the body")
	conn.SetDeadline(time.Now().Add(ioTimeout))
	send(t, conn, "hello")
	resp, _ = readResponse(t, br, "PUT")
	assert.Equal(t, 201, resp.StatusCode, "after the 100 and the body comes the final response")

	// No 100 for a request that is refused before its body is needed.
	send(t, conn, "PUT /files/..%2fx HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(time.Second))
	resp, err := http.ReadResponse(br.Reader, &http.Request{Method: "PUT"})
	require.NoError(t, err, "no answer within 1s (ReadTimeout is 2s) to a PUT with a bad file name and Expect: 100-continue: the client waits for a 100 before it sends the body, so answer the refusal without reading (or waiting for) the body, then close")
	assert.Equal(t, 400, resp.StatusCode, "a bad file name is refused at once, without a 100 and without waiting for the body")
}

func TestServer_CompressesWhenAllowed(t *testing.T) {
	ts := start(t, newServer(t))
	c := client(t)
	content := strings.Repeat("netlings compresses this line well.\n", 200)
	require.Equal(t, 201, put(t, c, ts.url+"/files/big.txt", content, false).StatusCode)

	resp, body := get(t, c, ts.url+"/files/big.txt", "Accept-Encoding", "br, gzip;q=0.8")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), "Accept-Encoding allows gzip: compress the body and say so in Content-Encoding")
	assert.Contains(t, resp.Header.Values("Vary"), "Accept-Encoding", "a body that depends on Accept-Encoding says so with Vary (caches need it)")
	assert.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"), "Content-Length is the length of the compressed bytes sent")
	zr, err := gzip.NewReader(strings.NewReader(body))
	require.NoError(t, err, "the body is not gzip data")
	plain, err := io.ReadAll(zr)
	require.NoError(t, err, "the gzip data is broken")
	assert.Equal(t, content, string(plain))

	for _, ae := range []string{"", "identity", "gzip;q=0", "deflate"} {
		resp, body := get(t, c, ts.url+"/files/big.txt", "Accept-Encoding", ae)
		if assert.Empty(t, resp.Header.Get("Content-Encoding"), "Accept-Encoding %q does not allow gzip", ae) {
			assert.Equal(t, content, body)
		}
	}
}

func TestServer_DoesNotReadARefusedBodyAsARequest(t *testing.T) {
	s := newServer(t)
	s.MaxBodyBytes = 8
	ts := start(t, s)
	// The body is itself a request. Whether the server reads the body and
	// discards it or closes the connection, it must never answer that
	// "request": not after a 413, nor after a route that had no use for
	// the body.
	smuggled := "GET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, tc := range []struct {
		method, target string
		status         int
		body           string
		why            string
	}{
		{"PUT", "/files/b", 413, "", "a body over MaxBodyBytes: 413"},
		{"GET", "/echo/a", 200, "a", "GET /echo/a with a body: the route ignores the body"},
		{"PUT", "/files/..%2fx", 400, "", "a PUT with a bad file name is refused before its body is read"},
	} {
		conn, br := dial(t, ts)
		send(t, conn, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", tc.method, tc.target, len(smuggled), smuggled)+
			"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, body := readResponse(t, br, tc.method)
		assert.Equal(t, tc.status, resp.StatusCode, "%s %s: %s", tc.method, tc.target, tc.why)
		if tc.body != "" {
			assert.Equal(t, tc.body, body)
		}
		if resp.Close {
			expectClosed(t, conn, br, time.Second, "the response said Connection: close")
			continue
		}
		_, body = readResponse(t, br, "GET")
		assert.Equal(t, Hello, body, "the request after the body of %s %s is GET /, but the server answered the body as if it were a request (a smuggling hole): after every route, not just the 413, read what it left of the body (io.Copy to io.Discard, bounded) or close the connection", tc.method, tc.target)
	}
}

func TestServer_StoresFilesUnderRoot(t *testing.T) {
	s := newServer(t)
	s.MaxBodyBytes = 1 << 10
	ts := start(t, s)
	c := client(t)

	assert.Equal(t, 201, put(t, c, ts.url+"/files/notes.txt", "first", false).StatusCode, "PUT of a new file: 201 Created")
	got, err := os.ReadFile(filepath.Join(s.Root, "notes.txt"))
	require.NoError(t, err, "PUT /files/notes.txt must write Root/notes.txt")
	assert.Equal(t, "first", string(got))

	assert.Equal(t, 204, put(t, c, ts.url+"/files/notes.txt", "second, chunked", true).StatusCode, "a chunked PUT over an existing file: 204")
	resp, body := get(t, c, ts.url+"/files/notes.txt")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "second, chunked", body, "GET /files/{name} returns what the last PUT stored")

	resp, _ = get(t, c, ts.url+"/files/missing.txt")
	assert.Equal(t, 404, resp.StatusCode, "GET of a file that does not exist: 404")

	assert.Equal(t, 413, put(t, c, ts.url+"/files/huge.bin", strings.Repeat("x", 2<<10), false).StatusCode,
		"a body over MaxBodyBytes: 413 Content Too Large")
	assert.Equal(t, 413, put(t, c, ts.url+"/files/huge.bin", strings.Repeat("x", 2<<10), true).StatusCode,
		"a chunked body over MaxBodyBytes: 413 (count the bytes as you read them). A 400 or 405 here may be the unread body of the 413 before it, parsed as this request: drain what the route left of a body, or close")
	_, err = os.Stat(filepath.Join(s.Root, "huge.bin"))
	assert.True(t, os.IsNotExist(err), "a refused upload must not leave a file behind")

	t.Run("exactly MaxBodyBytes", func(t *testing.T) {
		const fix = "MaxBodyBytes is the largest body allowed: %d bytes is within it (413 only above it)"
		exact := strings.Repeat("m", 1<<10)
		assert.Equal(t, 201, put(t, c, ts.url+"/files/max.bin", exact, false).StatusCode, fix, len(exact))
		assert.Equal(t, 204, put(t, c, ts.url+"/files/max.bin", exact, true).StatusCode, fix+", chunked too", len(exact))
		got, err := os.ReadFile(filepath.Join(s.Root, "max.bin"))
		require.NoError(t, err, "a PUT of exactly MaxBodyBytes must be stored")
		assert.Equal(t, exact, string(got), "a PUT of exactly MaxBodyBytes must be stored whole")
		assert.Equal(t, 413, put(t, c, ts.url+"/files/max.bin", exact+"m", false).StatusCode, "MaxBodyBytes+1 bytes: 413")
		assert.Equal(t, 413, put(t, c, ts.url+"/files/max.bin", exact+"m", true).StatusCode, "MaxBodyBytes+1 bytes, chunked: 413")
	})

	t.Run("an endless chunked body", func(t *testing.T) {
		s := newServer(t)
		s.MaxBodyBytes = 1 << 10
		s.ReadTimeout = 20 * time.Second // only counting the bytes can answer in time
		ts := start(t, s)
		conn, br := dial(t, ts)
		send(t, conn, "PUT /files/endless HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		// 1 KiB chunks, up to 64 MiB in all, and never the last chunk.
		stop := make(chan struct{})
		writer := testkit.Go("the client's upload", func() error {
			chunk := []byte("400\r\n" + strings.Repeat("e", 1<<10) + "\r\n")
			for range 64 << 10 {
				select {
				case <-stop:
					return nil
				default:
				}
				if _, err := conn.Write(chunk); err != nil {
					return nil // the server closed: expected after the 413
				}
			}
			return nil
		})
		defer func() {
			close(stop)
			conn.Close()
			writer.Wait(t, ioTimeout, "the test closed the connection", "")
		}()
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(br.Reader, &http.Request{Method: "PUT"})
		require.NoError(t, err, "no answer within 3s to a chunked PUT that never ends, with MaxBodyBytes 1 KiB (ReadTimeout 20s): answer 413 once MaxBodyBytes+1 bytes have come (io.LimitReader), not after reading the whole body")
		assert.Equal(t, 413, resp.StatusCode, "a chunked body over MaxBodyBytes: 413")
	})
}

func TestServer_RefusesPathTraversal(t *testing.T) {
	ts := start(t, newServer(t))
	targets := []string{
		"/files/../secret.txt",
		"/files/..%2fsecret.txt",
		"/files/%2e%2e%2fsecret.txt",
		"/files/%2E%2E/secret.txt",
		"/files/..%5csecret.txt",
		"/files/sub/../../secret.txt",
		"/files/" + url2(ts.dir+"/secret.txt"),
		"/files/%2e%2e",
		"/files/..",
		"/files/.",
		"/files/",
		"/files/a%00b",
	}
	for _, target := range targets {
		conn, br := dial(t, ts)
		send(t, conn, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		assert.NotContains(t, body, secret, "GET %s read a file outside Root!", target)
		if target == "/files/" { // no name at all
			assert.Contains(t, []int{400, 404}, resp.StatusCode, "GET %s must be 400 or 404", target)
		} else {
			assert.Equal(t, 400, resp.StatusCode, "GET %s: names with /, \\, NUL, . or .. (after percent-decoding) are refused with 400 before the file store is touched", target)
		}

		if resp.Close {
			conn, br = dial(t, ts)
		}
		send(t, conn, "PUT "+target+" HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nevil")
		resp, _ = readResponse(t, br, "PUT")
		if target == "/files/" {
			assert.Contains(t, []int{400, 404, 405}, resp.StatusCode, "PUT %s must be 400, 404 or 405", target)
		} else {
			assert.Equal(t, 400, resp.StatusCode, "PUT %s: names with /, \\, NUL, . or .. (after percent-decoding) are refused with 400 before the file store is touched", target)
		}
	}
	content, err := os.ReadFile(filepath.Join(ts.dir, "secret.txt"))
	require.NoError(t, err)
	assert.Equal(t, secret, string(content), "a PUT overwrote a file outside Root!")
	entries, err := os.ReadDir(ts.dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "a PUT created a file outside Root: only root/ and secret.txt belong there")
}

// url2 percent-encodes every "/" of an absolute path.
func url2(path string) string { return strings.ReplaceAll(path, "/", "%2F") }

func TestServer_DoesNotFollowSymlinksOutOfRoot(t *testing.T) {
	ts := start(t, newServer(t))
	// A link inside Root to a file outside it passes any check of the name:
	// only opening through os.Root (os.OpenRoot) refuses to follow it out.
	require.NoError(t, os.Symlink(filepath.Join(ts.dir, "secret.txt"), filepath.Join(ts.Root, "link")))
	require.NoError(t, os.Symlink("../secret.txt", filepath.Join(ts.Root, "rel")))
	require.NoError(t, os.WriteFile(filepath.Join(ts.Root, "inside.txt"), []byte("inside"), 0o644))
	require.NoError(t, os.Symlink("inside.txt", filepath.Join(ts.Root, "alias")))
	const fix = "open the file through os.OpenRoot(s.Root) (root.ReadFile, root.WriteFile, root.Stat), which refuses symlinks that lead out of the directory; os.ReadFile(filepath.Join(Root, name)) follows them"

	for _, name := range []string{"link", "rel"} {
		conn, br := dial(t, ts)
		send(t, conn, "GET /files/"+name+" HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, body := readResponse(t, br, "GET")
		require.NotContains(t, body, secret, "GET /files/%s read secret.txt outside Root through a symlink in Root: %s", name, fix)
		assert.GreaterOrEqual(t, resp.StatusCode, 400, "GET /files/%s, a symlink out of Root, must be refused (404 or 403)", name)

		conn, br = dial(t, ts)
		send(t, conn, "PUT /files/"+name+" HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nevil")
		resp, _ = readResponse(t, br, "PUT")
		content, err := os.ReadFile(filepath.Join(ts.dir, "secret.txt"))
		require.NoError(t, err)
		require.Equal(t, secret, string(content), "PUT /files/%s overwrote secret.txt outside Root through a symlink in Root: %s", name, fix)
		assert.GreaterOrEqual(t, resp.StatusCode, 400, "PUT /files/%s, a symlink out of Root, must be refused", name)
	}

	_, body := get(t, client(t), ts.url+"/files/alias")
	assert.Equal(t, "inside", body, "a symlink to a file inside Root is fine: os.Root follows it")
}

func TestServer_LetsARefusedUploaderReadItsResponse(t *testing.T) {
	s := newServer(t)
	s.MaxBodyBytes = 1 << 10
	ts := start(t, s)
	const fix = "closing a socket with unread bytes in it (the rest of a refused upload) makes the kernel send a reset (RST), and the client loses the response. Close lingering: CloseWrite (FIN after the response), read and discard what the client still sends (within LingerTimeout and LingerBytes), then Close"
	chunk := strings.Repeat("u", 16<<10)
	for _, tc := range []struct {
		what, head string
		status     int
	}{
		{"a body over MaxBodyBytes", fmt.Sprintf("PUT /files/big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 8<<20), 413},
		{"a request the parser refuses (two Content-Lengths)", "PUT /files/big HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
		{"an invalid Host", fmt.Sprintf("PUT /files/big HTTP/1.1\r\nHost: a b\r\nContent-Length: %d\r\n\r\n", 8<<20), 400},
	} {
		// 20 rounds: a server that closes at once loses the race to the
		// client in some rounds only, and must lose the test in every run.
		for round := range 20 {
			conn, br := dial(t, ts)
			// The head and 320 KiB of body, more than a server should drain
			// to keep the connection (the reference reads up to 256 KiB).
			send(t, conn, tc.head)
			_, err := conn.Write([]byte(strings.Repeat(chunk, 20)))
			require.NoError(t, err, "%s, round %d: writing the first 320 KiB of the body", tc.what, round+1)
			resp, _ := readResponse(t, br, "PUT")
			require.Equal(t, tc.status, resp.StatusCode, "%s, round %d", tc.what, round+1)
			// Like curl, the client is still sending its body after the answer.
			for i := range 16 {
				_, err := conn.Write([]byte(chunk))
				require.NoError(t, err, "%s, round %d: the client was still sending its body (%d KiB after the %d) and the server reset the connection: %s. Every answer after which the server closes needs this, the parser's refusals and the 400 for a bad Host too", tc.what, round+1, 16*i, tc.status, fix)
			}
			conn.(*net.TCPConn).CloseWrite()
			conn.SetReadDeadline(time.Now().Add(ioTimeout))
			_, err = io.Copy(io.Discard, br)
			require.NoError(t, err, "%s, round %d: after the %d the connection must end with a clean close (EOF), not a reset: %s", tc.what, round+1, tc.status, fix)
		}
	}
	_, err := os.Stat(filepath.Join(s.Root, "big"))
	assert.True(t, os.IsNotExist(err), "a refused upload must not leave a file behind")
}

// TestServer_LingersForABoundedTimeAndAmount holds the lingering close to
// its two limits: a refused uploader that never stops sending is cut off
// after about LingerBytes, and one that keeps trickling bytes is cut off
// after LingerTimeout. Without them, one client holds a connection, and
// a goroutine, as long as it likes.
func TestServer_LingersForABoundedTimeAndAmount(t *testing.T) {
	refused := func(t *testing.T) (net.Conn, *respReader) {
		s := newServer(t)
		s.MaxBodyBytes = 1 << 10
		// Only the linger's own limits may end these connections.
		s.ReadTimeout, s.WriteTimeout, s.IdleTimeout = 30*time.Second, 30*time.Second, 30*time.Second
		ts := start(t, s)
		conn, br := dial(t, ts)
		conn.(*net.TCPConn).SetWriteBuffer(64 << 10)
		send(t, conn, fmt.Sprintf("PUT /files/big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 1<<30))
		_, err := conn.Write([]byte(strings.Repeat("u", 320<<10)))
		require.NoError(t, err, "writing the first 320 KiB of the body")
		resp, _ := readResponse(t, br, "PUT")
		require.Equal(t, 413, resp.StatusCode, "a body over MaxBodyBytes: 413")
		return conn, br
	}

	t.Run("a client that keeps sending is cut off after LingerBytes", func(t *testing.T) {
		conn, _ := refused(t)
		// After the server stops, the bytes in flight are at most what its
		// receive window and our send buffer hold; more than that past
		// LingerBytes means the server kept reading without a cap.
		limit := LingerBytes + maxReceiveWindow() + 8<<20
		chunk := []byte(strings.Repeat("u", 64<<10))
		sent := 0
		conn.SetWriteDeadline(time.Now().Add(LingerTimeout + 3*time.Second))
		for sent < limit {
			n, err := conn.Write(chunk)
			sent += n
			if err != nil {
				require.False(t, testkit.IsTimeout(err), "the server neither read nor closed for %v: lingering ends after LingerTimeout", LingerTimeout+3*time.Second)
				return // closed by the server, after at most about LingerBytes
			}
		}
		t.Fatalf("after the 413 the server read and discarded %d MiB and was still reading: stop after LingerBytes (%d MiB), e.g. io.CopyN(io.Discard, br, LingerBytes), then Close", sent>>20, LingerBytes>>20)
	})

	t.Run("a client that trickles is cut off after LingerTimeout", func(t *testing.T) {
		conn, _ := refused(t)
		// The server's FIN came with the response; its socket stays open for
		// reading until the linger ends. A byte every 200 ms keeps a server
		// that waits for silence, or for EOF, reading forever; once the
		// server has closed, a write fails (the kernel answers it with a reset).
		start := time.Now()
		for time.Since(start) < LingerTimeout+3*time.Second {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := conn.Write([]byte("u")); err != nil {
				took := time.Since(start)
				assert.GreaterOrEqual(t, took, LingerTimeout/2, "the server closed %v after the 413 (%v): linger, reading what the client still sends, for up to LingerTimeout (%v), so the response is not lost to a reset", took.Round(time.Millisecond), err, LingerTimeout)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("the client sent a byte every 200ms after the 413 and the server was still reading %v later: set one read deadline, LingerTimeout (%v) from the start of the linger, before discarding, then Close", (LingerTimeout + 3*time.Second), LingerTimeout)
	})
}

func TestServer_RejectsMalformedRequestsAndKeepsServing(t *testing.T) {
	s := newServer(t)
	s.Limits.MaxHeaderBytes = 1 << 10
	ts := start(t, s)
	cases := []struct {
		raw    string
		status int
	}{
		{"POST /files/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<10) + "\r\n\r\n", 431},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
		{"GET / HTTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"hello\r\n\r\n", 400},
		{"PUT /files/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
	}
	for _, c := range cases {
		conn, br := dial(t, ts)
		send(t, conn, c.raw)
		resp, _ := readResponse(t, br, "GET")
		assert.Equal(t, c.status, resp.StatusCode, "the answer to %q: the status of the parser's *ProtocolError (httpparser.StatusOf)", c.raw)
		assert.True(t, resp.Close, "after a bad request the connection's framing cannot be trusted: say Connection: close")
		expectClosed(t, conn, br, time.Second, fmt.Sprintf("after the answer to %q", c.raw))
	}
	_, body := get(t, client(t), ts.url+"/")
	assert.Equal(t, Hello, body, "the server keeps serving after bad requests")
}

func TestServer_ServesConnectionsConcurrently(t *testing.T) {
	s := newServer(t)
	s.ReadHeaderTimeout = 4 * time.Second
	ts := start(t, s)

	stuck, _ := dial(t, ts)
	send(t, stuck, "GET / HTTP/1.1\r\nHost: x\r\n") // and no empty line yet

	conn, br := dial(t, ts)
	conn.SetDeadline(time.Now().Add(time.Second))
	send(t, conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_, body := readResponse(t, br, "GET")
	assert.Equal(t, Hello, body, "a client waits while another connection's request is unfinished: serve each connection in its own goroutine")
}

func TestServer_ClosesSlowAndIdleClients(t *testing.T) {
	// Each subtest gives the timeout it tests 500 ms and the others 3 s, so
	// only the right deadline can close the connection in time. They run in
	// parallel: each has a server of its own and mostly waits.
	t.Run("slow loris", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.ReadHeaderTimeout = 500 * time.Millisecond
		s.ReadTimeout = 3 * time.Second
		s.IdleTimeout = 3 * time.Second
		ts := start(t, s)
		conn, br := dial(t, ts)
		head := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100) + "\r\n\r\n"
		lasted := trickle(conn, br, head, func(i int) { // one byte every 20 ms: 2.5 s in all
			if i == 5 {
				_, body := get(t, client(t), ts.url+"/")
				assert.Equal(t, Hello, body, "while one client trickles its head, others are served")
			}
		})
		assert.Less(t, lasted, 2*time.Second, "a client sending its head one byte at a time must be cut off after ReadHeaderTimeout (500ms, IdleTimeout is 3s): one deadline for the whole head, not one per line or per Read. It lasted %v", lasted)
	})

	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.ReadHeaderTimeout = 3 * time.Second
		s.ReadTimeout = 3 * time.Second
		s.IdleTimeout = 500 * time.Millisecond
		ts := start(t, s)
		conn, br := dialSending(t, ts, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_, body := readResponse(t, br, "GET")
		require.Equal(t, Hello, body)
		expectClosed(t, conn, br, 1500*time.Millisecond, "a kept-alive connection with no new request must be closed after IdleTimeout (500ms; ReadHeaderTimeout and ReadTimeout are 3s): set the read deadline to now+IdleTimeout before waiting for the next request's first byte (br.Peek(1))")
	})

	t.Run("a connection that never sends a byte", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.ReadHeaderTimeout = 3 * time.Second
		s.ReadTimeout = 3 * time.Second
		s.IdleTimeout = 500 * time.Millisecond
		ts := start(t, s)
		conn, br := dial(t, ts)
		expectClosed(t, conn, br, 1500*time.Millisecond, "a connection that never sends a byte must be closed after IdleTimeout (500ms; the other timeouts are 3s): the wait for the FIRST request's first byte needs the idle deadline too, set before br.Peek(1)")
	})

	t.Run("slow body", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.ReadHeaderTimeout = 3 * time.Second
		s.ReadTimeout = 500 * time.Millisecond
		s.IdleTimeout = 3 * time.Second
		s.WriteTimeout = 3 * time.Second
		ts := start(t, s)
		conn, br := dial(t, ts)
		send(t, conn, "PUT /files/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
		lasted := trickle(conn, br, strings.Repeat("b", 100), nil) // 2 s in all
		assert.Less(t, lasted, 1500*time.Millisecond, "a client sending its body one byte at a time must be cut off after ReadTimeout (500ms, the other timeouts are 3s): set the read deadline for the body once, before the route reads it. It lasted %v", lasted)
	})

	t.Run("a client that never reads", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		s.WriteTimeout = 500 * time.Millisecond
		ts := start(t, s)
		const size = 16 << 20 // far more than the socket buffers hold
		require.NoError(t, os.WriteFile(filepath.Join(s.Root, "big"), make([]byte, size), 0o644))
		conn, br := dial(t, ts)
		conn.(*net.TCPConn).SetReadBuffer(256 << 10) // a fixed buffer: it does not grow to hold the file
		send(t, conn, "GET /files/big HTTP/1.1\r\nHost: x\r\n\r\n")
		// The head tells that the server is writing (a loaded machine may
		// take a while to read and hash the file); its write blocks once
		// the buffers are full.
		resp, err := http.ReadResponse(br.Reader, &http.Request{Method: "GET"})
		require.NoError(t, err, "no response head for GET /files/big")

		_, body := get(t, client(t), ts.url+"/")
		assert.Equal(t, Hello, body, "while one client does not read its response, others are served")
		time.Sleep(2 * time.Second)

		// Now read what the buffers hold: the server has given up, so the
		// connection ends before the end of the file.
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := io.Copy(io.Discard, resp.Body)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "the connection of a client that read nothing for 2s was still open: the server must give up writing a response after WriteTimeout (500ms), with a write deadline set before it writes, then close")
		assert.Less(t, n, int64(size), "a client that read nothing for 2s still got the whole 16 MiB file: the server must give up writing a response after WriteTimeout (500ms), with a write deadline set before it writes")
	})
}

func TestServer_WorksWithCurl(t *testing.T) {
	curl := needCurl(t)
	ts := start(t, newServer(t))

	t.Run("--next reuses the connection", func(t *testing.T) {
		out, verbose := runCurl(t, curl, ts.url+"/echo/one", "--next", ts.url+"/echo/two", "--next", ts.url+"/echo/three")
		assert.Equal(t, "onetwothree", out, "three requests with --next")
		assert.EqualValues(t, 1, ts.accepts.Load(), "curl --next reuses its connection when the server keeps it open; curl said:\n%s", verbose)
	})

	t.Run("upload with Expect: 100-continue", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "upload.txt")
		content := strings.Repeat("uploaded by curl\n", 100)
		require.NoError(t, os.WriteFile(file, []byte(content), 0o644))
		_, verbose := runCurl(t, curl, "--expect100-timeout", "4", "-H", "Expect: 100-continue",
			"--upload-file", file, ts.url+"/files/upload.txt")
		assert.Contains(t, verbose, "HTTP/1.1 100 Continue", "curl sent Expect: 100-continue and waited for a 100 Continue; it said:\n%s", verbose)
		assert.Contains(t, verbose, "HTTP/1.1 201", "the upload ends in 201 Created; curl said:\n%s", verbose)
		stored, err := os.ReadFile(filepath.Join(ts.Root, "upload.txt"))
		require.NoError(t, err, "the uploaded file is not in Root")
		assert.Equal(t, content, string(stored))
	})
}

func TestServer_UsesDefaultsForZeroFields(t *testing.T) {
	// Server{Root: root} and nothing else: every zero field means its default.
	zero := func(t *testing.T) *Server { return &Server{Root: newServer(t).Root} }
	const fix = "a zero field of Server means its default (orDefault(s.ReadTimeout, DefaultReadTimeout), ...), not a deadline of now and not \"no limit\""

	t.Run("timeouts", func(t *testing.T) {
		t.Parallel()
		ts := start(t, zero(t))
		conn, br := dial(t, ts)
		for i := range 2 {
			send(t, conn, "PUT /files/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
			resp, err := http.ReadResponse(br.Reader, &http.Request{Method: "PUT"})
			require.NoError(t, err, "request %d on a connection to a Server with only Root set got no response: %s", i+1, fix)
			resp.Body.Close()
			assert.Contains(t, []int{201, 204}, resp.StatusCode, "PUT /files/a with a 5-byte body, request %d: %s", i+1, fix)
			require.False(t, resp.Close, "request %d: the connection should stay open: %s", i+1, fix)
		}
	})

	t.Run("MaxBodyBytes", func(t *testing.T) {
		t.Parallel()
		ts := start(t, zero(t))
		c := client(t)
		assert.Equal(t, 413, put(t, c, ts.url+"/files/big", strings.Repeat("b", DefaultMaxBodyBytes+1), false).StatusCode,
			"MaxBodyBytes 0 means DefaultMaxBodyBytes (%d): a body of one byte more is 413. %s", DefaultMaxBodyBytes, fix)
		assert.Equal(t, 201, put(t, c, ts.url+"/files/big", strings.Repeat("b", DefaultMaxBodyBytes), false).StatusCode,
			"MaxBodyBytes 0 means DefaultMaxBodyBytes (%d): a body of exactly that is allowed. %s", DefaultMaxBodyBytes, fix)
	})

	t.Run("ReadHeaderTimeout", func(t *testing.T) {
		t.Parallel()
		ts := start(t, zero(t))
		conn, br := dial(t, ts)
		conn.SetDeadline(time.Now().Add(15 * time.Second))
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, br) // until the server closes (or the test does)
			close(closed)
		}()
		// A head that never ends, one byte every 20 ms, for at most 2 s
		// longer than the default ReadHeaderTimeout of 5 s.
		head := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "
		begin := time.Now()
		for i := 0; ; i++ {
			b := byte('a')
			if i < len(head) {
				b = head[i]
			}
			conn.Write([]byte{b})
			select {
			case <-closed:
			case <-time.After(20 * time.Millisecond):
				if lasted := time.Since(begin); lasted > DefaultReadHeaderTimeout+2*time.Second {
					require.Fail(t, "the server kept reading a slow head", "a client trickling its head to a Server with ReadHeaderTimeout 0 was still connected after %v: 0 means DefaultReadHeaderTimeout (%v). %s", lasted.Round(time.Millisecond), DefaultReadHeaderTimeout, fix)
				}
				continue
			}
			break
		}
		lasted := time.Since(begin)
		assert.GreaterOrEqual(t, lasted, DefaultReadHeaderTimeout-time.Second, "a client trickling its head to a Server with ReadHeaderTimeout 0 was cut off after %v: 0 means DefaultReadHeaderTimeout (%v). %s", lasted.Round(time.Millisecond), DefaultReadHeaderTimeout, fix)
	})
}

// TestWriteResponse_StatusLineDateAndBodylessStatuses calls writeResponse
// directly, for what a client cannot see through the server: the reason
// phrase, a Date in local time labelled GMT, and a 1xx response.
func TestWriteResponse_StatusLineDateAndBodylessStatuses(t *testing.T) {

	t.Run("status line", func(t *testing.T) {
		for _, status := range []int{200, 201, 404, 413} {
			out := writeDirectly(t, textResponse(status, "x\n"))
			line, _, _ := strings.Cut(out, "\r\n")
			assert.Equal(t, "HTTP/1.1 "+strconv.Itoa(status)+" "+http.StatusText(status), line,
				"the status line is \"HTTP/1.1 <code> <reason>\", the reason from http.StatusText")
		}
	})

	t.Run("1xx, 204 and 304 have no body and no Content-Length", func(t *testing.T) {
		for _, status := range []int{103, 204, 304} {
			out := writeDirectly(t, &Response{Status: status, Header: httpparser.Header{}, Body: []byte("body")})
			head, body, found := strings.Cut(out, "\r\n\r\n")
			require.True(t, found, "the response to a %d has no empty line after its header fields:\n%q", status, out)
			assert.Empty(t, body, "a %d response has no body (RFC 9110 §6.4.1), even when the Response has one: the client reads the next response right after the empty line", status)
			assert.NotContains(t, strings.ToLower(head), "\r\ncontent-length:", "a %d response has no Content-Length (RFC 9110 §6.4.1, §8.6)", status)
		}
	})

	t.Run("Date", func(t *testing.T) {
		out := writeDirectly(t, textResponse(200, "x\n"))
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out)), &http.Request{Method: "GET"})
		require.NoError(t, err, "the bytes writeResponse wrote are not an HTTP/1.1 response:\n%q", out)
		date := resp.Header.Get("Date")
		when, err := time.Parse(http.TimeFormat, date)
		require.NoError(t, err, "Date: %q is not in IMF-fixdate form, e.g. %q: format time.Now().UTC() with http.TimeFormat", date, time.Now().UTC().Format(http.TimeFormat))
		assert.WithinDuration(t, time.Now(), when, time.Minute,
			"Date: %q is not the time of the response (the clock here says %s, zone %s): http.TimeFormat says GMT, so format time.Now().UTC(), not local time",
			date, time.Now().UTC().Format(http.TimeFormat), time.Now().Format("MST -0700"))
		if os.Getenv(childZoneEnv) != "" {
			return // this is the run in another zone
		}
		// The same check, in a test process whose local zone is 5:30 from
		// UTC: on a machine in UTC, local time looks right.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWriteResponse_StatusLineDateAndBodylessStatuses$/^Date$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TZ=Asia/Kolkata", childZoneEnv+"=1", testkit.CheckerEnv+"=1")
		child, err := cmd.CombinedOutput()
		require.NoError(t, err, "with the local time zone at UTC+5:30 (TZ=Asia/Kolkata), the Date check fails:\n%s", child)
	})
}

// childZoneEnv marks the test process that runs the Date check in a time
// zone other than UTC.
const childZoneEnv = "NETLINGS_DATE_CHILD"

// maxReceiveWindow is the most a TCP receive buffer can grow to here:
// tcp_rmem's maximum on Linux, 32 MiB where it cannot be read.
func maxReceiveWindow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/tcp_rmem")
	if f := strings.Fields(string(data)); err == nil && len(f) == 3 {
		if n, err := strconv.Atoi(f[2]); err == nil {
			return n
		}
	}
	return 32 << 20
}
