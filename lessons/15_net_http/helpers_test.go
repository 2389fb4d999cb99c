package nethttp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// testClient is the tests' own HTTP client: never http.DefaultClient,
// which has no timeout.
func testClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second}
}

// testContext is a context that ends with the test, or after 10 s.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// listen opens a listener on a free loopback port, closed with the test.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serve runs srv on a fresh loopback listener until the test ends and
// returns the server's base URL.
func serve(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// dialRaw opens a raw TCP connection for hand-written requests, with a
// deadline on everything done with it.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	return c
}

// hostOf turns "http://127.0.0.1:1234" into "127.0.0.1:1234".
func hostOf(baseURL string) string { return strings.TrimPrefix(baseURL, "http://") }

// readStatus reads one response from c and returns its status code, or 0
// and the error if none arrived.
func readStatus(c net.Conn) (int, error) {
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// logBuffer collects the JSON log lines a logger in a server goroutine
// writes, for the test to read.
type logBuffer struct{ testkit.SyncBuffer }

// records decodes the JSON log lines in b.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "a log line that is not JSON: %q", line)
		out = append(out, rec)
	}
	return out
}

// jsonLogger is a logger that writes JSON lines into a logBuffer.
func jsonLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// countConns wraps an unstarted httptest server so that it counts the TCP
// connections clients open to it.
func countConns(s *httptest.Server) *atomic.Int64 {
	var n atomic.Int64
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

// do sends method url with body (JSON when not empty) and returns the
// status, the headers and the body.
func do(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testClient().Do(req)
	require.NoError(t, err, "%s %s: no response", method, url)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// isTimeout reports whether err is a timeout of some layer.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// The calls into your functions go through these, so that one that never
// returns fails its test by name within testkit.CallTimeout.

func fetch(t *testing.T, ctx context.Context, c *http.Client, url string) ([]byte, error) {
	t.Helper()
	return testkit.Returns2(t, "Fetch",
		"every wait must end with ctx: the request (http.NewRequestWithContext) and the wait before a retry (select on ctx.Done() and a timer)",
		func() ([]byte, error) { return Fetch(ctx, c, url) })
}

func crawl(t *testing.T, ctx context.Context, c *http.Client, start string, o CrawlOptions) (map[string]Page, error) {
	t.Helper()
	return testkit.Returns2(t, "Crawl",
		"every goroutine must end: give a host slot back on every path (defer, or right after the fetch, whether it failed or not), "+
			"and wait for a slot in a select with ctx.Done()",
		func() (map[string]Page, error) { return Crawl(ctx, c, start, o) })
}

func extractLinks(t *testing.T, base *url.URL, r io.Reader) ([]string, error) {
	t.Helper()
	return testkit.Returns2(t, "Links",
		"stop at the first html.ErrorToken: io.EOF is the end of the document, anything else is r's read error",
		func() ([]string, error) { return Links(base, r) })
}
