package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingServer is an httptest server that counts requests and new connections.
type countingServer struct {
	*httptest.Server
	requests, conns atomic.Int64
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func hello(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello, world\n") }

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRun_RequestLimitIsExactAndConnectionsAreKeptAlive(t *testing.T) {
	s := newCountingServer(t, hello)
	r, err := Run(testContext(t), Options{URL: s.URL + "/hello", Conns: 4, Requests: 1000})
	require.NoError(t, err)
	assert.Equal(t, 1000, r.Requests)
	assert.Zero(t, r.Errors)
	assert.EqualValues(t, 1000, s.requests.Load(), "the server must see exactly Requests requests")
	assert.EqualValues(t, 4, s.conns.Load(), "one keep-alive connection per worker")
	assert.Positive(t, r.P50)
	assert.LessOrEqual(t, r.P50, r.P99)
	assert.LessOrEqual(t, r.P99, r.Max)
	assert.Positive(t, r.PerSecond)
	assert.Equal(t, s.URL+"/hello", r.Name)
}

func TestRun_CountsErrorStatusesAsErrors(t *testing.T) {
	s := newCountingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	r, err := Run(testContext(t), Options{URL: s.URL, Conns: 2, Requests: 50})
	require.NoError(t, err)
	assert.Equal(t, 50, r.Requests)
	assert.Equal(t, 50, r.Errors)
	assert.EqualValues(t, 2, s.conns.Load(), "a 500 does not end a keep-alive connection")
}

func TestRun_ParsesChunkedResponses(t *testing.T) {
	s := newCountingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "part %d %s\n", i, strings.Repeat("x", 100*i))
			w.(http.Flusher).Flush() // no Content-Length: net/http sends chunks
		}
	})
	r, err := Run(testContext(t), Options{URL: s.URL, Conns: 2, Requests: 40})
	require.NoError(t, err)
	assert.Equal(t, 40, r.Requests)
	assert.Zero(t, r.Errors)
	assert.EqualValues(t, 2, s.conns.Load(), "a chunked body read to its end leaves the connection reusable")
}

func TestRun_RedialsAfterConnectionClose(t *testing.T) {
	s := newCountingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		hello(w, nil)
	})
	r, err := Run(testContext(t), Options{URL: s.URL, Conns: 3, Requests: 30})
	require.NoError(t, err)
	assert.Equal(t, 30, r.Requests)
	assert.Zero(t, r.Errors)
	assert.EqualValues(t, 30, s.conns.Load(), "every response said Connection: close, so every request needs a new connection")
}

// rawServer answers every request it reads on a connection with reply,
// and closes the connection after it when closeAfter is set.
func rawServer(t *testing.T, reply string, closeAfter bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					c.SetDeadline(time.Now().Add(5 * time.Second))
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					if _, err := io.WriteString(c, reply); err != nil || closeAfter {
						return
					}
				}
			})
		}
	})
	return "http://" + ln.Addr().String() + "/"
}

func TestRun_ParsesRawResponses(t *testing.T) {
	cases := []struct {
		name       string
		reply      string
		closeAfter bool
		errors     int
	}{
		{"chunked with extension and trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n", false, 0},
		{"100 Continue before the response", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, 0},
		{"204 without a body", "HTTP/1.1 204 No Content\r\n\r\n", false, 0},
		{"HTTP/1.0 body delimited by close", "HTTP/1.0 200 OK\r\n\r\nuntil the end", true, 0},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, 0},
		{"garbage status line", "HTTP/1.1 OK\r\n\r\n", true, 10},
		{"conflicting Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", true, 10},
		{"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false, 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := rawServer(t, tc.reply, tc.closeAfter)
			r, err := Run(testContext(t), Options{URL: url, Conns: 2, Requests: 10})
			require.NoError(t, err)
			assert.Equal(t, 10, r.Requests)
			assert.Equal(t, tc.errors, r.Errors)
		})
	}
}

func TestRun_CountsIOErrorsAndKeepsGoing(t *testing.T) {
	// A server that closes every connection without answering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	r, err := Run(testContext(t), Options{URL: "http://" + ln.Addr().String() + "/", Conns: 2, Requests: 20})
	require.NoError(t, err)
	assert.Equal(t, 20, r.Requests)
	assert.Equal(t, 20, r.Errors)
}

func TestRun_CountsRefusedDialsAsErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	r, err := Run(testContext(t), Options{URL: "http://" + addr + "/", Requests: 5})
	require.NoError(t, err)
	assert.Equal(t, 5, r.Requests)
	assert.Equal(t, 5, r.Errors)
}

func TestRun_RefusesNonLoopbackTargets(t *testing.T) {
	for _, u := range []string{
		"http://example.com/",
		"http://10.0.0.1:8080/",
		"http://[::ffff:8.8.8.8]/",
		"http://0.0.0.0:8080/",
		"http://127.0.0.1.example.com/",
	} {
		start := time.Now()
		_, err := Run(context.Background(), Options{URL: u, Requests: 1})
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "loopback", u)
		assert.Less(t, time.Since(start), time.Second, "refused without dialing: %s", u)
	}
	_, err := Run(context.Background(), Options{URL: "https://127.0.0.1/"})
	require.ErrorContains(t, err, "scheme")
}

func TestRun_AcceptsLoopbackSpellings(t *testing.T) {
	s := newCountingServer(t, hello)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		r, err := Run(testContext(t), Options{URL: "http://" + net.JoinHostPort(host, port) + "/", Requests: 3})
		require.NoError(t, err, host)
		assert.Zero(t, r.Errors, host)
	}
}

func TestRun_StopsPromptlyWhenContextIsCancelled(t *testing.T) {
	release := make(chan struct{})
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select { // a server that does not answer
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before s.Close
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := Run(ctx, Options{URL: s.URL, Conns: 8, Duration: 30 * time.Second})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second, "Run must return soon after ctx is done")
	assert.Zero(t, r.Requests, "requests cut short by the end are not counted")
	assert.Zero(t, r.Errors, "requests cut short by the end are not errors")
}

func TestRun_StopsAfterDuration(t *testing.T) {
	s := newCountingServer(t, hello)
	start := time.Now()
	r, err := Run(testContext(t), Options{URL: s.URL, Conns: 2, Duration: 300 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Positive(t, r.Requests)
	assert.Zero(t, r.Errors)
	assert.GreaterOrEqual(t, r.Elapsed, 300*time.Millisecond)
}

func TestNormalize_CapsTheLoad(t *testing.T) {
	o := normalize(Options{Conns: 1 << 20, Duration: time.Hour})
	assert.Equal(t, MaxConns, o.Conns)
	assert.Equal(t, MaxDuration, o.Duration)
	o = normalize(Options{})
	assert.Equal(t, 1, o.Conns)
	assert.Equal(t, DefaultDuration, o.Duration)
	o = normalize(Options{Requests: 10})
	assert.Equal(t, MaxDuration, o.Duration, "a request count alone is still bounded in time")
}

func TestPercentile_NearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i))
	}
	assert.Equal(t, time.Duration(50), percentile(lat, 50))
	assert.Equal(t, time.Duration(99), percentile(lat, 99))
	assert.Equal(t, time.Duration(1), percentile(lat[:1], 99))
	assert.Zero(t, percentile(nil, 50))
}

func TestCompare_AlternatesTargetOrderAndAggregates(t *testing.T) {
	var mu sync.Mutex
	var order []string
	newTarget := func(name string) *httptest.Server {
		s := httptest.NewUnstartedServer(http.HandlerFunc(hello))
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew { // every run dials one new connection
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
			}
		}
		s.Start()
		t.Cleanup(s.Close)
		return s
	}
	a, b := newTarget("a"), newTarget("b")
	rs, err := Compare(testContext(t), []Target{{"a", a.URL}, {"b", b.URL}}, Options{Requests: 10}, 4)
	require.NoError(t, err)
	mu.Lock()
	assert.Equal(t, []string{"a", "b", "b", "a", "a", "b", "b", "a"}, order)
	mu.Unlock()
	require.Len(t, rs, 2)
	for i, name := range []string{"a", "b"} {
		assert.Equal(t, name, rs[i].Name)
		assert.Equal(t, 40, rs[i].Requests, "4 rounds of 10 requests")
		assert.Zero(t, rs[i].Errors)
		assert.Positive(t, rs[i].P99)
	}
}

func TestCompare_RefusesABadTargetBeforeLoadingAny(t *testing.T) {
	s := newCountingServer(t, hello)
	_, err := Compare(testContext(t), []Target{{"ok", s.URL}, {"far", "http://192.0.2.1/"}}, Options{Requests: 5}, 2)
	require.ErrorContains(t, err, "far")
	assert.Zero(t, s.requests.Load())
}

func TestMain_PrintsTheResult(t *testing.T) {
	s := newCountingServer(t, hello)
	var out bytes.Buffer
	code := Main([]string{"-url", s.URL, "-c", "2", "-n", "20"}, &out)
	assert.Equal(t, 0, code, out.String())
	assert.Contains(t, out.String(), "20 requests")
	assert.Contains(t, out.String(), "0 errors")

	out.Reset()
	assert.Equal(t, 2, Main([]string{"-c", "2"}, &out), "no -url is a usage error")
	assert.Contains(t, out.String(), "usage")
	out.Reset()
	assert.Equal(t, 1, Main([]string{"-url", "http://example.com/"}, &out))
	assert.Contains(t, out.String(), "loopback")
}

func TestResultString_NamesItsUnit(t *testing.T) {
	r := Result{Name: "x", Requests: 10, Elapsed: time.Second, PerSecond: 10}
	assert.Contains(t, r.String(), "10 requests in 1s, 10 req/s")
	r.Messages = true
	assert.Contains(t, r.String(), "10 messages in 1s, 10 msg/s")
}
