package nethttp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFetch_JudgesTheStatusByItsClass(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
		io.WriteString(w, "status "+strconv.Itoa(code))
	}))
	t.Cleanup(s.Close)
	ctx, c := testContext(t), freshClient(t)

	// RFC 9110, section 15: a client that does not know a status code
	// treats it as the x00 of its class, so 299 is a success.
	for _, code := range []int{200, 299} {
		body, err := fetch(t, ctx, c, s.URL+"/"+strconv.Itoa(code))
		assert.NoError(t, err, "%d is a 2xx status: a success (test 200 <= code <= 299)", code)
		assert.Equal(t, "status "+strconv.Itoa(code), string(body), "the body of a %d", code)
	}
	// The client follows 301, 302, 303, 307 and 308 by itself; a 300
	// Multiple Choices comes back to Fetch, and it is not a 2xx.
	for _, code := range []int{300} {
		_, err := fetch(t, ctx, c, s.URL+"/"+strconv.Itoa(code))
		var se *StatusError
		if assert.ErrorAs(t, err, &se, "%d is outside 2xx: a *StatusError (test 200 <= code <= 299)", code) {
			assert.Equal(t, code, se.Code, "StatusError.Code is the status the server sent")
		}
	}
}

func TestFetch_RetriesNothingButA503(t *testing.T) {
	ctx := testContext(t)

	// A URL that does not parse: http.NewRequestWithContext fails. The
	// short deadline catches a Fetch that would wait to try it again.
	short, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	_, err := fetch(t, short, freshClient(t), "http://[::1")
	assert.Error(t, err, "a URL that does not parse is an error: check http.NewRequestWithContext's error")
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "a URL that does not parse is returned at once, not retried: only a 503 is")

	// A refused connection: c.Do fails, there is no response at all.
	ln := listen(t)
	ln.Close()
	counting := &countingTransport{next: &http.Transport{}}
	_, err = fetch(t, ctx, &http.Client{Timeout: 5 * time.Second, Transport: counting}, "http://"+ln.Addr().String()+"/")
	assert.Error(t, err, "a refused connection is an error")
	assert.EqualValues(t, 1, counting.n.Load(), "a refused connection: exactly one request (send it, and do not retry it: only a 503 is retried)")

	// A body cut short: the header promises 100 bytes, the connection
	// closes after 10.
	var cut atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		cut.Add(1)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
		buf.Flush()
	}))
	t.Cleanup(s.Close)
	body, err := fetch(t, ctx, freshClient(t), s.URL)
	assert.Error(t, err, "a body cut short is an error (io.ReadAll's io.ErrUnexpectedEOF), not a success with part of the body")
	assert.Empty(t, body, "a body cut short: return no body with the error")
	assert.EqualValues(t, 1, cut.Load(), "a body cut short: exactly one request (send it, and do not retry it: only a 503 is retried)")

	// A body over MaxFetchBytes.
	var huge atomic.Int64
	s = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		huge.Add(1)
		w.Write(make([]byte, MaxFetchBytes+1))
	}))
	t.Cleanup(s.Close)
	_, err = fetch(t, ctx, freshClient(t), s.URL)
	assert.Error(t, err, "a body over MaxFetchBytes is an error")
	assert.EqualValues(t, 1, huge.Load(), "a body over MaxFetchBytes: exactly one request (send it, and do not retry it: only a 503 is retried)")
}

func TestFetch_ClosesEveryBodyItDoesNotReadToTheEnd(t *testing.T) {
	big := strings.Repeat("x", 128<<10)
	var busy atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) { w.Write(make([]byte, MaxFetchBytes+1)) })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, big, http.StatusNotFound) })
	mux.HandleFunc("/busy", func(w http.ResponseWriter, _ *http.Request) {
		if busy.Add(1) == 1 {
			http.Error(w, big, http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "at last")
	})
	ctx := testContext(t)

	for _, path := range []string{"/huge", "/missing", "/busy"} {
		s := httptest.NewUnstartedServer(mux)
		var open atomic.Int64
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				open.Add(1)
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
			}
		}
		s.Start()
		t.Cleanup(s.Close)
		c := freshClient(t)

		body, err := fetch(t, ctx, c, s.URL+path)
		if path == "/busy" {
			require.NoError(t, err, "GET /busy: one 503, then 200")
			require.Equal(t, "at last", string(body), "GET /busy: one 503, then 200")
		} else {
			require.Error(t, err, "GET %s: a body over MaxFetchBytes, or a 404, is an error", path)
		}
		// A connection whose body was read to its end is idle in the pool,
		// and this closes it; one whose body was closed early is closed
		// already. Only a body left open keeps its connection busy.
		c.CloseIdleConnections()
		require.Eventually(t, func() bool { return open.Load() == 0 }, 2*time.Second, 5*time.Millisecond,
			"GET %s: a connection stays open after Fetch returned: close every response body (defer resp.Body.Close() right after checking c.Do's error), also when the body is too long or not wanted", path)
	}
}

func TestFetch_RetryAfterLimitsAndBadValues(t *testing.T) {
	ctx := testContext(t)
	var se *StatusError

	// Exactly MaxRetryAfter is still waited for. The short deadline ends
	// the wait; a Fetch that gave up at once returns the 503 instead.
	f := flaky(t, 1, strconv.Itoa(int(MaxRetryAfter/time.Second)))
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err := fetch(t, short, freshClient(t), f.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded,
		"Retry-After: %d is MaxRetryAfter, not more: wait for it (here until ctx ends), do not give up at once", int(MaxRetryAfter/time.Second))

	// Longer than MaxRetryAfter as an HTTP date: the same "no".
	f = flaky(t, 1, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	start := time.Now()
	_, err = fetch(t, ctx, freshClient(t), f.URL)
	require.ErrorAs(t, err, &se, "Retry-After an hour from now, as an HTTP date, is over MaxRetryAfter: return the 503")
	assert.EqualValues(t, 1, f.requests.Load(), "Retry-After an hour from now: no retry")
	assert.Less(t, time.Since(start), 500*time.Millisecond, "Retry-After an hour from now: return at once")

	// A value that is not a wait in the future: retry after a backoff.
	for _, v := range []string{"-1", "soon", "0", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)} {
		f = flaky(t, 1, v)
		body, err := fetch(t, ctx, freshClient(t), f.URL)
		assert.NoError(t, err, "one 503 with Retry-After: %q, then 200: a negative, zero, unparsable or past Retry-After is no reason to give up: retry after the backoff", v)
		assert.Equal(t, "at last", string(body), "Retry-After: %q", v)
		assert.EqualValues(t, 2, f.requests.Load(), "one 503 with Retry-After: %q, then 200: two requests", v)
	}
}
