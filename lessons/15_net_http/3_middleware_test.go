package nethttp

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startQuiet serves h like httptest.NewServer, but net/http's own error log
// (where an unrecovered panic would land) is silenced.
func startQuiet(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func getWithHeader(t *testing.T, url, key, value string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), "GET", url, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set(key, value)
	}
	resp, err := testClient().Do(req)
	require.NoError(t, err, "GET %s", url)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestRequestID_IsGeneratedOrPropagated(t *testing.T) {
	echoID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, RequestIDFrom(r.Context()))
	})
	s := startQuiet(t, RequestID(echoID))

	resp, body := getWithHeader(t, s.URL, "", "")
	first := resp.Header.Get(RequestIDHeader)
	require.NotEmpty(t, first, "a request without an ID gets a new one in the response's %s header", RequestIDHeader)
	assert.Equal(t, first, body, "the handler inside must see the same ID through RequestIDFrom(r.Context())")

	resp, _ = getWithHeader(t, s.URL, "", "")
	assert.NotEqual(t, first, resp.Header.Get(RequestIDHeader), "two requests got the same new ID: generate a random one each time")

	resp, body = getWithHeader(t, s.URL, RequestIDHeader, "abc-123_x.y")
	assert.Equal(t, "abc-123_x.y", resp.Header.Get(RequestIDHeader), "the client's own ID is kept")
	assert.Equal(t, "abc-123_x.y", body, "the client's own ID is what RequestIDFrom returns")

	for _, fine := range []string{"a", strings.Repeat("x", 64), "Z9.-_"} {
		resp, body = getWithHeader(t, s.URL, RequestIDHeader, fine)
		assert.Equal(t, fine, resp.Header.Get(RequestIDHeader), "%q is a sane ID (1 to 64 letters, digits, '.', '_' or '-'): keep it", fine)
		assert.Equal(t, fine, body)
	}

	for _, hostile := range []string{"two words", "quote\"d", strings.Repeat("x", 65), "ümlaut"} {
		resp, body = getWithHeader(t, s.URL, RequestIDHeader, hostile)
		got := resp.Header.Get(RequestIDHeader)
		assert.NotEqual(t, hostile, got, "an ID like %q ends up in logs: replace it with a new one", hostile)
		assert.NotEmpty(t, got, "an ID like %q must be replaced, not dropped", hostile)
		assert.Equal(t, got, body)
	}

	assert.Empty(t, RequestIDFrom(context.Background()), "a context without an ID gives \"\"")
}

func TestLogging_WritesOneLinePerRequest(t *testing.T) {
	logger, buf := jsonLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	})
	mux.HandleFunc("/quiet", func(http.ResponseWriter, *http.Request) {})
	s := startQuiet(t, Logging(logger, mux))

	resp, _ := getWithHeader(t, s.URL+"/teapot?x=1", "", "")
	require.Equal(t, http.StatusTeapot, resp.StatusCode, "Logging must pass the handler's status through")
	getWithHeader(t, s.URL+"/quiet", "", "")

	require.Eventually(t, func() bool { return strings.Count(buf.String(), "\n") >= 2 }, 500*time.Millisecond, 10*time.Millisecond,
		"want one log line per request, got:\n%s", buf.String())
	recs := buf.records(t)
	require.Len(t, recs, 2, "one log line per request, no more:\n%s", buf.String())

	teapot, quiet := recs[0], recs[1]
	assert.Equal(t, "request", teapot["msg"], "the message of a request line")
	assert.Equal(t, "GET", teapot["method"])
	assert.Equal(t, "/teapot", teapot["path"], "path is r.URL.Path, without the query")
	assert.EqualValues(t, http.StatusTeapot, teapot["status"], "status: wrap the ResponseWriter to see what WriteHeader got")
	assert.EqualValues(t, len("short and stout"), teapot["bytes"], "bytes: count what Write wrote")
	assert.Contains(t, teapot, "duration")
	assert.Contains(t, teapot, "request_id")

	assert.EqualValues(t, http.StatusOK, quiet["status"], "a handler that writes nothing sends 200")
	assert.EqualValues(t, 0, quiet["bytes"])
}

func TestRecover_TurnsAPanicInto500AndKeepsServing(t *testing.T) {
	logger, buf := jsonLogger()
	mux := http.NewServeMux()
	mux.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom: secret internals") })
	mux.HandleFunc("/late", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "partial")
		panic("too late for a 500")
	})
	mux.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	s := startQuiet(t, RequestID(Recover(logger, mux)))

	req, err := http.NewRequestWithContext(testContext(t), "GET", s.URL+"/boom", nil)
	require.NoError(t, err)
	resp, err := testClient().Do(req)
	require.NoError(t, err, "GET /boom: the connection broke. A panic that escapes the handler makes net/http drop the connection: recover() it in a deferred function")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode, "a panicking handler must give 500")
	apiError(t, resp.Header, string(body))
	assert.NotContains(t, string(body), "kaboom", "the panic value is for the log, not for the client")

	resp, body2 := getWithHeader(t, s.URL+"/ok", "", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the server keeps serving after a panic")
	assert.Equal(t, "ok", body2)

	resp, body2 = getWithHeader(t, s.URL+"/late", "", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a handler that panics after writing has sent its status already")
	assert.Equal(t, "partial", body2, "nothing more can be written after the status line: only log the panic")

	req, err = http.NewRequestWithContext(testContext(t), "GET", s.URL+"/abort", nil)
	require.NoError(t, err)
	resp, err = testClient().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "panic(http.ErrAbortHandler) means 'abort this response': re-panic it so net/http drops the connection")

	var panics []map[string]any
	for _, rec := range buf.records(t) {
		if rec["level"] == "ERROR" {
			panics = append(panics, rec)
		}
	}
	require.Len(t, panics, 2, "log each panic at level Error (and not ErrAbortHandler):\n%s", buf.String())
	assert.Contains(t, panics[0]["panic"], "kaboom", "log the panic value")
	assert.NotEmpty(t, panics[0]["request_id"], "log the request ID, to find the request that panicked")
	hasStack := false
	for _, v := range panics[0] {
		if str, ok := v.(string); ok && strings.Contains(str, "goroutine ") && strings.Contains(str, ".go:") {
			hasStack = true
		}
	}
	assert.True(t, hasStack, "log the stack too (runtime/debug.Stack(), as a string attribute): the panic value alone does not say where it happened:\n%v", panics[0])
}

func TestNewHandler_WiresMiddlewareAroundTheAPI(t *testing.T) {
	logger, buf := jsonLogger()
	s := startQuiet(t, NewHandler(logger, NewStore()))

	resp, body := getWithHeader(t, s.URL+"/items/42", RequestIDHeader, "req-42")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "GET /items/42 on an empty store: %s", body)
	assert.Equal(t, "req-42", resp.Header.Get(RequestIDHeader), "RequestID must wrap the API")

	require.Eventually(t, func() bool { return strings.Contains(buf.String(), "\n") }, 500*time.Millisecond, 10*time.Millisecond,
		"no log line for GET /items/42: Logging must wrap the API")
	recs := buf.records(t)
	require.Len(t, recs, 1, "one line per request:\n%s", buf.String())
	assert.Equal(t, "req-42", recs[0]["request_id"], "Logging must run inside RequestID to know the ID")
	assert.EqualValues(t, http.StatusNotFound, recs[0]["status"])
	assert.Equal(t, "/items/42", recs[0]["path"])
}
