package nethttp

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// peakPerHost crawls a site whose index links to six pages that each hold
// their request until the test lets go, and returns how many of them were
// in flight at once. It lets go once want requests have arrived and a
// moment has passed in which a request too many would have come in too.
func peakPerHost(t *testing.T, o CrawlOptions, want int) int {
	t.Helper()
	var g gauge
	arrived := make(chan struct{}, 6)
	release := make(chan struct{})
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	var index strings.Builder
	for i := range 6 {
		fmt.Fprintf(&index, `<a href="/hold%d">%d</a> `, i, i)
	}
	home := newSite(t, map[string]string{"/": index.String()}, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/hold") {
			return false
		}
		g.enter()
		defer g.leave()
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	t.Cleanup(letGo) // runs before home.Close: no handler is left holding

	run := testkit.Go("Crawl", func() error {
		_, err := Crawl(testContext(t), testClient(), home.URL+"/", o)
		return err
	})
	for i := range want {
		select {
		case <-arrived:
			continue
		case <-run.Done():
			require.FailNow(t, "Crawl returned before the pages it requested were answered", "error: %v", run.Err())
		case <-time.After(3 * time.Second):
			assert.Failf(t, "too few requests in flight", "with %+v, only %d requests were in flight at once; want %d", o, i, want)
		}
		break
	}
	select {
	case <-arrived: // one too many: the peak says so
	case <-time.After(200 * time.Millisecond):
	}
	letGo()
	require.NoError(t, run.Wait(t, 10*time.Second, "its pages were answered", "give the host slot back after each fetch"))
	return g.peak()
}

// endlessSite serves /n/0, which links to /n/1 and /n/2, which link on
// for ever, and counts the requests.
func endlessSite(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var served atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/n/"))
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<a href="/n/%d">next</a> <a href="/n/%d">and the one after</a>`, n+1, n+2)
	}))
	t.Cleanup(s.Close)
	return s, &served
}

// deadlines is a RoundTripper that records how far ahead the deadline of
// each request's context lies when the client sends it.
type deadlines struct {
	mu    sync.Mutex
	ahead []time.Duration // -1 for a request without a deadline
	next  http.RoundTripper
}

func (d *deadlines) RoundTrip(r *http.Request) (*http.Response, error) {
	ahead := time.Duration(-1)
	if dl, ok := r.Context().Deadline(); ok {
		ahead = time.Until(dl)
	}
	d.mu.Lock()
	d.ahead = append(d.ahead, ahead)
	d.mu.Unlock()
	return d.next.RoundTrip(r)
}

func TestCrawl_ZeroOptionsTakeTheDefaults(t *testing.T) {
	t.Run("PerHost", func(t *testing.T) {
		peak := peakPerHost(t, CrawlOptions{}, 2)
		assert.Equal(t, 2, peak, "PerHost 0 takes the default: 2 requests in flight to a host at once (if o.PerHost < 1 { o.PerHost = 2 })")

		peak = peakPerHost(t, CrawlOptions{PerHost: 1}, 1)
		assert.Equal(t, 1, peak, "PerHost 1 is one request at a time; only 0 (or less) takes the default")
	})
	t.Run("MaxPages", func(t *testing.T) {
		endless, served := endlessSite(t)
		pages, err := crawl(t, testContext(t), testClient(), endless.URL+"/n/0", CrawlOptions{PerHost: 4})
		require.NoError(t, err)
		assert.Len(t, pages, 100, "MaxPages 0 takes the default: 100 URLs checked, no more, no fewer")
		assert.EqualValues(t, 100, served.Load(), "MaxPages 0 takes the default: 100 requests")

		served.Store(0)
		pages, err = crawl(t, testContext(t), testClient(), endless.URL+"/n/0", CrawlOptions{MaxPages: 1})
		require.NoError(t, err)
		assert.Len(t, pages, 1, "MaxPages 1 checks the start page only; only 0 (or less) takes the default")
		assert.EqualValues(t, 1, served.Load(), "MaxPages 1 is one request")
	})
	t.Run("PageTimeout", func(t *testing.T) {
		home := newSite(t, map[string]string{"/": `<a href="/a">a</a>`, "/a": "a"}, nil)
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		d := &deadlines{next: tr}
		client := &http.Client{Timeout: 20 * time.Second, Transport: d}

		pages, err := crawl(t, testContext(t), client, home.URL+"/", CrawlOptions{})
		require.NoError(t, err)
		require.Len(t, pages, 2)
		d.mu.Lock()
		defer d.mu.Unlock()
		require.Len(t, d.ahead, 2, "one request per page")
		for _, ahead := range d.ahead {
			require.NotEqual(t, time.Duration(-1), ahead, "a request was sent without a deadline: bound each one with context.WithTimeout(ctx, o.PageTimeout)")
			assert.True(t, ahead > 4500*time.Millisecond && ahead <= 5*time.Second,
				"PageTimeout 0 takes the default: each request's context must end 5s after it starts "+
					"(context.WithTimeout(ctx, 5*time.Second)); this one ended %v after", ahead)
		}
	})
	t.Run("APageTimeoutOf1ns", func(t *testing.T) {
		home := newSite(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second):
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "too late")
			}
			return true
		})
		pages, err := crawl(t, testContext(t), testClient(), home.URL+"/", CrawlOptions{PageTimeout: time.Nanosecond})
		require.NoError(t, err)
		page := pages[home.URL+"/"]
		assert.True(t, isTimeout(page.Err), "PageTimeout 1ns is a (very short) timeout: only 0 (or less) takes the default; got %+v", page)
	})
}

func TestCrawl_ReturnsTheErrorOfABadStartURL(t *testing.T) {
	home := newSite(t, map[string]string{"/": "a page without links"}, nil)
	pages, err := crawl(t, testContext(t), testClient(), home.URL+"/", CrawlOptions{})
	require.NoError(t, err, "a crawl of a site of one page")
	require.Len(t, pages, 1, "a crawl of a site of one page")

	pages, err = crawl(t, testContext(t), testClient(), "http://a host with spaces/", CrawlOptions{})
	assert.Error(t, err, "a start URL that url.Parse rejects is Crawl's error")
	assert.Empty(t, pages, "no page was checked")
}

func TestCrawl_FollowsExactlyThe2xxStatuses(t *testing.T) {
	home := newSite(t, map[string]string{
		"/": `<a href="/s299">299</a> <a href="/s300">300</a>`,
	}, func(w http.ResponseWriter, r *http.Request) bool {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/s"))
		if err != nil {
			return false
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		fmt.Fprintf(w, `<a href="/from%d">a link</a>`, code)
		return true
	})
	pages, err := crawl(t, testContext(t), testClient(), home.URL+"/", CrawlOptions{})
	require.NoError(t, err)
	assert.Equal(t, 299, pages[home.URL+"/s299"].Status)
	assert.Equal(t, 300, pages[home.URL+"/s300"].Status)
	assert.Equal(t, 1, home.hitsOf("/from299"), "299 is a 2xx status: an HTML page with it is followed (200 <= status <= 299)")
	assert.Zero(t, home.hitsOf("/from300"), "300 is not a 2xx status: an HTML page with it is checked, not followed")
}

func TestCrawl_ABodyCutShortIsAnError(t *testing.T) {
	home := newSite(t, map[string]string{
		"/": `<a href="/cut">cut</a> <a href="/stall">stall</a>`,
	}, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/cut": // promises 1000 bytes, sends fewer: net/http then closes the connection
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, `<a href="/after-cut">the body breaks off after this</a>`)
			return true
		case "/stall": // sends part of the body, then nothing until PageTimeout
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<a href="/after-stall">the body stalls after this</a>`)
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
			return true
		}
		return false
	})
	pages, err := crawl(t, testContext(t), testClient(), home.URL+"/", CrawlOptions{PageTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	for _, p := range []string{"/cut", "/stall"} {
		page := pages[home.URL+p]
		assert.Error(t, page.Err, "%s: reading the body failed, so no complete response arrived: return Links' error as Page.Err", p)
		assert.Zero(t, page.Status, "%s: Status is 0 when Err is set", p)
		assert.Empty(t, page.Links, "%s: a page whose body broke off is not followed", p)
	}
	assert.True(t, isTimeout(pages[home.URL+"/stall"].Err), "/stall: PageTimeout bounds the body too, got %v", pages[home.URL+"/stall"].Err)
	assert.Zero(t, home.hitsOf("/after-cut"), "the links of a body cut short are not followed")
	assert.Zero(t, home.hitsOf("/after-stall"), "the links of a body that timed out are not followed")
}

func TestCrawl_ReusesConnections(t *testing.T) {
	var index strings.Builder
	for i := range 5 {
		fmt.Fprintf(&index, `<a href="/missing%d">404</a> <a href="/text%d">text</a> `, i, i)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, index.String())
		case strings.HasPrefix(r.URL.Path, "/text"):
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, strings.Repeat("not HTML, so nobody reads it for links\n", 100))
		default:
			http.NotFound(w, r)
		}
	}))
	conns := countConns(s)
	s.Start()
	t.Cleanup(s.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Timeout: 5 * time.Second, Transport: tr}

	// One slot: the requests go one after another, so one connection can
	// carry them all.
	pages, err := crawl(t, testContext(t), client, s.URL+"/", CrawlOptions{PerHost: 1})
	require.NoError(t, err)
	require.Len(t, pages, 11)
	assert.LessOrEqual(t, conns.Load(), int64(2),
		"11 requests one after another took %d connections: read what is left of every body (the 404s, the text pages) "+
			"before closing it (defer drain(resp.Body)), or the Transport cannot reuse the connection", conns.Load())
}
