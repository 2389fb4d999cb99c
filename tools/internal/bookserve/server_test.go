package bookserve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// fixture copies the book package's golden workbook (two lessons, an index)
// into a temporary folder the test may change.
func fixture(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "book", "testdata", "golden")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	require.NoError(t, err)
	return dst
}

type status struct {
	mu sync.Mutex
	m  map[int]string
}

func (s *status) get() map[int]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]string{}
	for k, v := range s.m {
		out[k] = v
	}
	return out
}

func (s *status) set(n int, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[n] = v
}

// start serves root until the test ends and returns the book's URL.
func start(t *testing.T, o Options) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, o, func(u string) { urls <- u }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "Serve returns nil when its context is done")
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return within 10s of its context being cancelled")
		}
	})
	select {
	case u := <-urls:
		return strings.TrimSuffix(u, "/")
	case err := <-done:
		t.Fatalf("Serve failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Serve was not ready within 30s")
	}
	return ""
}

var client = &http.Client{Timeout: 20 * time.Second}

func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// raw sends a request line as written (no client cleans the path) and
// returns the status line.
func raw(t *testing.T, base, requestLine string) string {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	fmt.Fprintf(c, "%s\r\nHost: %s\r\nConnection: close\r\n\r\n", requestLine, host)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line)
}

func TestServe_ServesTheBookInServeMode(t *testing.T) {
	u := start(t, Options{Root: fixture(t)})
	resp, body := do(t, "GET", u+"/", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, body, `class="toc"`)
	assert.Contains(t, body, `data-serve="1"`, "pages are switched to serve mode")
	assert.NotContains(t, body, "build-error", "a good book has no banner")

	resp, body = do(t, "GET", u+"/02_echo.html", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `<span class="kd">func</span>`, "code is highlighted")
	resp, body = do(t, "GET", u+"/zh/01_hello.html", nil)
	require.Equal(t, 200, resp.StatusCode, "the Chinese book is served too")
	assert.Contains(t, body, `data-serve="1"`, "its pages have the live status and the check button")
	assert.Contains(t, body, `href="../assets/style.css"`)
	resp, _ = do(t, "GET", u+"/zh/", nil)
	assert.Equal(t, 200, resp.StatusCode, "/zh/ is the Chinese front page")
	resp, _ = do(t, "GET", u+"/assets/book.js", nil)
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	resp, _ = do(t, "GET", u+"/nope.html", nil)
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = do(t, "POST", u+"/index.html", nil)
	assert.Equal(t, 405, resp.StatusCode)
}

func TestServe_RefusesHostileRequests(t *testing.T) {
	ran := make(chan int, 10)
	u := start(t, Options{Root: fixture(t), Check: func(ctx context.Context, n int, w io.Writer) error {
		ran <- n
		fmt.Fprintln(w, "lesson", n, "ok")
		return nil
	}})
	origin := map[string]string{"Origin": u}
	tests := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"cross-origin POST", "POST", checkPath + "?lesson=1", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"POST without Origin", "POST", checkPath + "?lesson=1", nil, http.StatusForbidden},
		{"cross-site fetch metadata", "POST", checkPath + "?lesson=1", map[string]string{"Origin": u, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"DNS rebinding Host on check", "POST", checkPath + "?lesson=1", map[string]string{"Origin": "http://evil.example:80", "Host": "evil.example:80"}, http.StatusForbidden},
		{"DNS rebinding Host on a page", "GET", "/index.html", map[string]string{"Host": "evil.example"}, http.StatusForbidden},
		{"DNS rebinding Host on events", "GET", eventsPath, map[string]string{"Host": "attacker.test:1234"}, http.StatusForbidden},
		{"unknown lesson", "POST", checkPath + "?lesson=99", origin, http.StatusNotFound},
		{"lesson that is a path", "POST", checkPath + "?lesson=../../etc/passwd", origin, http.StatusBadRequest},
		{"lesson that is a command", "POST", checkPath + "?lesson=1;rm+-rf", origin, http.StatusBadRequest},
		{"no lesson", "POST", checkPath, origin, http.StatusBadRequest},
		{"GET on the check endpoint", "GET", checkPath + "?lesson=1", origin, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, u+tt.path, tt.hdr)
			assert.Equal(t, tt.want, resp.StatusCode, "response: %s", body)
			if tt.want == http.StatusMethodNotAllowed {
				assert.Equal(t, "POST", resp.Header.Get("Allow"))
			}
		})
	}
	select {
	case n := <-ran:
		t.Fatalf("a refused request ran the checker on lesson %d", n)
	default:
	}

	for _, line := range []string{
		"GET /../go.mod HTTP/1.1",
		"GET /assets/../../go.mod HTTP/1.1",
		"GET /%2e%2e/go.mod HTTP/1.1",
		"GET /assets/..%2f..%2fgo.mod HTTP/1.1",
	} {
		assert.Equal(t, "HTTP/1.1 400 Bad Request", raw(t, u, line), "%s must be refused", line)
	}
	assert.Equal(t, "HTTP/1.1 404 Not Found", raw(t, u, "GET /go.mod HTTP/1.1"), "repository files are not part of the site")

	resp, body := do(t, "POST", u+checkPath+"?lesson=2", origin)
	require.Equal(t, 200, resp.StatusCode, body)
	assert.Equal(t, "lesson 2 ok\n", body)
	assert.Equal(t, 2, <-ran)
}

func TestServe_RefusesToListenBeyondLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:0"} {
		err := Serve(context.Background(), Options{Root: t.TempDir(), Addr: addr}, nil)
		assert.ErrorContains(t, err, "loopback only", "Serve(%q)", addr)
	}
}

func TestServe_RunsOneCheckAtATimeAndStreamsTheReport(t *testing.T) {
	release := make(chan struct{})
	u := start(t, Options{Root: fixture(t), Check: func(ctx context.Context, n int, w io.Writer) error {
		fmt.Fprintln(w, "checking lesson", n)
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		fmt.Fprintln(w, "all green")
		return nil
	}})
	req, err := http.NewRequest("POST", u+checkPath+"?lesson=1", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", u)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "checking lesson 1\n", first, "the report is streamed while the check runs")

	resp2, body := do(t, "POST", u+checkPath+"?lesson=2", map[string]string{"Origin": u})
	assert.Equal(t, http.StatusConflict, resp2.StatusCode, "a second check while one runs: %s", body)

	close(release)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, "all green\n", string(rest))
}

// events reads server-sent events into a channel until the test ends.
func events(t *testing.T, u string) <-chan [2]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", u+eventsPath, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	ch := make(chan [2]string, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				ch <- [2]string{name, v}
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan [2]string, name string) string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-ch:
			if ev[0] == name {
				return ev[1]
			}
		case <-deadline:
			t.Fatalf("no %q event within 15s", name)
		}
	}
}

func TestServe_PushesLiveStatus(t *testing.T) {
	st := &status{m: map[int]string{1: "done"}}
	u := start(t, Options{Root: fixture(t), Status: st.get})
	ch := events(t, u)
	assert.Equal(t, `{"1":"done"}`, next(t, ch, "status"), "the current status comes at once")
	st.set(2, "not done")
	assert.Equal(t, `{"1":"done","2":"not done"}`, next(t, ch, "status"), "a change is pushed")
	_, body := do(t, "GET", u+statusPath, nil)
	assert.Equal(t, `{"1":"done","2":"not done"}`, body)
}

func TestServe_RebuildsReloadsAndShowsProblemsAsABanner(t *testing.T) {
	root := fixture(t)
	u := start(t, Options{Root: root})
	ch := events(t, u)
	next(t, ch, "status")

	chapter := filepath.Join(root, "book", "01_hello.md")
	src, err := os.ReadFile(chapter)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(chapter, append(src, []byte("\nA new line about zeppelins, see [gone](99_gone.md).\n")...), 0o644))
	next(t, ch, "reload")

	_, body := do(t, "GET", u+"/01_hello.html", nil)
	assert.Contains(t, body, "zeppelins", "the page is rebuilt")
	assert.Contains(t, body, `class="build-error"`, "a problem shows as a banner")
	assert.Contains(t, body, "book/01_hello.md:", "the banner names chapter.md:LINE")

	require.NoError(t, os.WriteFile(chapter, src, 0o644))
	next(t, ch, "reload")
	_, body = do(t, "GET", u+"/01_hello.html", nil)
	assert.NotContains(t, body, "build-error", "fixing the chapter removes the banner")

	translation := filepath.Join(root, "book", "zh", "01_hello.md")
	src, err = os.ReadFile(translation)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(translation, append(src, []byte("\n关于飞艇的新一行。\n")...), 0o644))
	next(t, ch, "reload")
	_, body = do(t, "GET", u+"/zh/01_hello.html", nil)
	assert.Contains(t, body, "关于飞艇的新一行", "an edit of a translation rebuilds its page")
}

func TestServe_DoesNotReloadWhenNothingVisibleChanged(t *testing.T) {
	root := fixture(t)
	u := start(t, Options{Root: root})
	ch := events(t, u)
	next(t, ch, "status")
	// A stub file that no chapter includes: the pages stay the same.
	require.NoError(t, os.WriteFile(filepath.Join(root, "lessons", "02_echo", "notes.txt"), []byte("scratch"), 0o644))
	select {
	case ev := <-ch:
		t.Fatalf("got %q event after a change no page shows", ev[0])
	case <-time.After(debounce + 1500*time.Millisecond):
	}
	// An included region changes the page: reload.
	stub := filepath.Join(root, "lessons", "01_hello", "hello.go")
	src, err := os.ReadFile(stub)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(stub, []byte(strings.Replace(string(src), "// TODO: return", "// TODO: now return", 1)), 0o644))
	next(t, ch, "reload")
	_, body := do(t, "GET", u+"/01_hello.html", nil)
	assert.Contains(t, body, "TODO: now return", "the included stub is re-read")
}

func TestServe_StopsEverythingWhenTheContextIsDone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Options{Root: fixture(t)}, func(u string) { urls <- u }) }()
	u := <-urls
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	// An open event stream must not keep the server up.
	req, _ := http.NewRequest("GET", u+strings.TrimPrefix(eventsPath, "/"), nil)
	resp, err = c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10s of its context being done")
	}
	io.Copy(io.Discard, resp.Body)
}

func TestServe_ListensOnLocalhost(t *testing.T) {
	u := start(t, Options{Root: fixture(t), Addr: "localhost:0"})
	resp, _ := do(t, "GET", u+"/", nil)
	assert.Equal(t, 200, resp.StatusCode)
	host := strings.TrimPrefix(u, "http://")
	h, _, err := net.SplitHostPort(host)
	require.NoError(t, err)
	assert.True(t, net.ParseIP(h).IsLoopback(), "the printed URL names the loopback address: %s", u)
}
