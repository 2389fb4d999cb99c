package nethttp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingTransport counts the requests that go through it.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// freshClient is a client with a connection pool of its own, so that
// connections are counted per test.
func freshClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 5 * time.Second, Transport: tr}
}

// flaky answers 503 (with retryAfter, if set, and a 4 KiB body) to the
// first `fails` requests and 200 "at last" after that. It counts requests
// and connections.
type flakyServer struct {
	URL             string
	requests, conns *atomic.Int64
}

func flaky(t *testing.T, fails int, retryAfter string) flakyServer {
	var n atomic.Int64
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if int(n.Add(1)) <= fails {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			http.Error(w, "busy, come back later "+strings.Repeat(".", 4<<10), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "at last")
	}))
	conns := countConns(s)
	s.Start()
	t.Cleanup(s.Close)
	return flakyServer{URL: s.URL, requests: &n, conns: conns}
}

func TestNewClient_HasATimeoutAndItsOwnTransport(t *testing.T) {
	c := NewClient()
	require.NotNil(t, c, "NewClient returned nil")
	assert.NotSame(t, http.DefaultClient, c, "http.DefaultClient has no timeout: make a client of your own")
	assert.Equal(t, ClientTimeout, c.Timeout, "Timeout: a client without one can wait forever for a stuck server")
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok, "Transport: give the client an *http.Transport of its own (clone http.DefaultTransport)")
	assert.NotSame(t, http.DefaultTransport, tr, "clone http.DefaultTransport instead of changing the one every package shares")
	assert.Equal(t, 16, tr.MaxIdleConnsPerHost, "MaxIdleConnsPerHost: 16, as the doc comment says (the default of 2 throws away connections under concurrency)")
}

func TestFetch_ReturnsTheBodyOrAnError(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "nope", http.StatusNotFound) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) { w.Write(make([]byte, MaxFetchBytes+1)) })
	mux.HandleFunc("/exact", func(w http.ResponseWriter, _ *http.Request) { w.Write(make([]byte, MaxFetchBytes)) })
	mux.HandleFunc("/created", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "made")
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	ctx := testContext(t)

	counting := &countingTransport{next: http.DefaultTransport}
	body, err := fetch(t, ctx, &http.Client{Timeout: 5 * time.Second, Transport: counting}, s.URL+"/hello")
	require.NoError(t, err, "GET /hello")
	assert.Equal(t, "hello", string(body))
	assert.EqualValues(t, 1, counting.n.Load(), "Fetch must send its request with the client it was given")

	_, err = fetch(t, ctx, freshClient(t), s.URL+"/missing")
	var se *StatusError
	require.ErrorAs(t, err, &se, "a 404 is an error: a *StatusError")
	assert.Equal(t, http.StatusNotFound, se.Code)

	_, err = fetch(t, ctx, freshClient(t), s.URL+"/huge")
	assert.Error(t, err, "a body over MaxFetchBytes is an error, not a truncated body")
	body, err = fetch(t, ctx, freshClient(t), s.URL+"/exact")
	assert.NoError(t, err, "a body of exactly MaxFetchBytes is allowed: read at most MaxFetchBytes+1 to tell it from a longer one")
	assert.Len(t, body, MaxFetchBytes, "a body of exactly MaxFetchBytes comes back whole")

	body, err = fetch(t, ctx, freshClient(t), s.URL+"/created")
	assert.NoError(t, err, "201 Created is a 2xx status: a success, not a *StatusError")
	assert.Equal(t, "made", string(body))

	ln := listen(t)
	ln.Close() // nothing listens there now
	_, err = fetch(t, ctx, freshClient(t), "http://"+ln.Addr().String()+"/")
	assert.Error(t, err, "a refused connection: check err before touching resp (resp is nil)")
}

func TestFetch_ReusesOneConnection(t *testing.T) {
	page := strings.Repeat("x", 8<<10)
	mux := http.NewServeMux()
	mux.HandleFunc("/page", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, page) })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, page, http.StatusNotFound) })
	s := httptest.NewUnstartedServer(mux)
	conns := countConns(s)
	s.Start()
	t.Cleanup(s.Close)
	ctx, c := testContext(t), freshClient(t)

	// ANCHOR: reuse
	for i := range 10 {
		path := "/page"
		if i%2 == 1 {
			path = "/missing" // an error body must be drained and closed too
		}
		_, err := fetch(t, ctx, c, s.URL+path)
		if path == "/page" {
			require.NoError(t, err)
		}
	}
	assert.EqualValues(t, 1, conns.Load(),
		"10 requests one after the other should share one keep-alive connection: read every body to the end and close it")
	// ANCHOR_END: reuse

	f := flaky(t, 2, "")
	body, err := fetch(t, ctx, c, f.URL)
	require.NoError(t, err, "two 503s, then 200")
	assert.Equal(t, "at last", string(body))
	assert.EqualValues(t, 1, f.conns.Load(), "the retries should reuse the connection: drain and close the 503's body before retrying")
}

func TestFetch_RetriesOn503WithBackoff(t *testing.T) {
	ctx := testContext(t)

	f := flaky(t, 2, "")
	start := time.Now()
	body, err := fetch(t, ctx, freshClient(t), f.URL)
	require.NoError(t, err, "two 503s, then 200: Fetch should retry")
	assert.Equal(t, "at last", string(body))
	assert.EqualValues(t, 3, f.requests.Load(), "two 503s and one 200 are three requests")
	assert.GreaterOrEqual(t, time.Since(start), BaseBackoff, "retries must wait (backoff), not hammer a server that said it is overloaded")

	f = flaky(t, 100, "")
	_, err = fetch(t, ctx, freshClient(t), f.URL)
	var se *StatusError
	require.ErrorAs(t, err, &se, "a server that always answers 503: give up with the last *StatusError")
	assert.Equal(t, http.StatusServiceUnavailable, se.Code)
	assert.EqualValues(t, MaxAttempts, f.requests.Load(), "MaxAttempts requests in all, no more")

	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		http.Error(w, "bug", http.StatusInternalServerError)
	}))
	t.Cleanup(s.Close)
	_, err = fetch(t, ctx, freshClient(t), s.URL)
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusInternalServerError, se.Code)
	assert.EqualValues(t, 1, n.Load(), "only 503 is retried: a 500 is returned at once")
}

func TestFetch_HonoursRetryAfter(t *testing.T) {
	ctx := testContext(t)

	f := flaky(t, 1, "1")
	start := time.Now()
	body, err := fetch(t, ctx, freshClient(t), f.URL)
	require.NoError(t, err, "one 503 with Retry-After: 1, then 200")
	assert.Equal(t, "at last", string(body))
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "Retry-After: 1 asks for a one-second wait")

	// Retry-After as an HTTP date, two seconds from now: a whole-second
	// format, so the wait is between one and two seconds.
	f = flaky(t, 1, time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
	start = time.Now()
	body, err = fetch(t, ctx, freshClient(t), f.URL)
	require.NoError(t, err, "one 503 with Retry-After as an HTTP date, then 200")
	assert.Equal(t, "at last", string(body))
	assert.GreaterOrEqual(t, time.Since(start), 800*time.Millisecond,
		"Retry-After can be an HTTP date (http.ParseTime): wait until then, here about one to two seconds")

	f = flaky(t, 1, "3600")
	start = time.Now()
	_, err = fetch(t, ctx, freshClient(t), f.URL)
	var se *StatusError
	require.ErrorAs(t, err, &se, "Retry-After: 3600 is over MaxRetryAfter: return the 503")
	assert.EqualValues(t, 1, f.requests.Load(), "an hour is too long to wait: no retry")
	assert.Less(t, time.Since(start), 500*time.Millisecond, "an hour is too long to wait: return at once")
}

func TestFetch_StopsWhenContextIsDone(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	t.Cleanup(hang.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := fetch(t, ctx, freshClient(t), hang.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a request to a server that never answers must end with ctx: use http.NewRequestWithContext")
	assert.Less(t, time.Since(start), time.Second)

	f := flaky(t, 100, "3")
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = fetch(t, ctx, freshClient(t), f.URL)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "waiting before a retry must end when ctx is done: select on ctx.Done() and a timer")
	assert.Less(t, time.Since(start), time.Second, "Fetch slept through the end of ctx")
}
