package net_http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinks_ExtractsAbsoluteLinks(t *testing.T) {
	base, err := url.Parse("http://example.test/dir/page.html")
	require.NoError(t, err)
	doc := `<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body>
<a href="other.html">relative</a>
<a href="/root">absolute path</a>
<a href="http://elsewhere.test/x?q=1#frag">absolute URL with a fragment</a>
<a href="other.html#section">the same page again</a>
<a href="mailto:someone@example.test">mail</a>
<a href="javascript:alert(1)">script</a>
<a name="no-href">an anchor without href</a>
<A HREF="../up.html">upper case</A>
<a href="/search?a=1&amp;b=2">an entity in the attribute</a>
<p><a href="unclosed.html">unclosed <b>tags</p>
<img src="/picture.png">
<a href='https://secure.test/'>single quotes</a>`

	links, err := Links(base, strings.NewReader(doc))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"http://example.test/dir/other.html",
		"http://example.test/root",
		"http://elsewhere.test/x?q=1",
		"http://example.test/up.html",
		"http://example.test/search?a=1&b=2",
		"http://example.test/dir/unclosed.html",
		"https://secure.test/",
	}, links, "the <a href> targets, resolved against the page's URL, without #fragments, duplicates or non-http schemes")

	links, err = Links(base, strings.NewReader("<a href=x.html><<<>>>&&&</b></a><a href=y.html>"))
	require.NoError(t, err, "broken HTML is parsed the way a browser would, not rejected")
	assert.Equal(t, []string{"http://example.test/dir/x.html", "http://example.test/dir/y.html"}, links)
}

// site is a test web site that counts the requests for each path.
type site struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newSite(t *testing.T, pages map[string]string, extra func(w http.ResponseWriter, r *http.Request) bool) *site {
	s := &site{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if extra != nil && extra(w, r) {
			return
		}
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func TestCrawl_VisitsEveryPageOnceAndReportsBrokenLinks(t *testing.T) {
	other := newSite(t, map[string]string{
		"/ext": `<a href="/deep">a page on another host is checked, not followed</a>`,
	}, nil)
	home := newSite(t, map[string]string{
		"/": `<a href="/a">a</a> <a href="/slow">slow</a> <a href="/missing">404</a>
		      <a href="/a#top">a again</a> <a href="mailto:x@example.test">mail</a>
		      <a href="/text">text</a> <a href="` + other.URL + `/ext">elsewhere</a>`,
		"/a": `<a href="/">home</a> <a href="/b">b</a>`,
		"/b": `<a href="/a">back to a: a loop</a> <a href="b">itself</a>`,
	}, func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/slow":
			<-r.Context().Done() // never answers; the crawler's PageTimeout ends it
			return true
		case "/text":
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `<a href="/hidden">not HTML, so not a link</a>`)
			return true
		}
		return false
	})

	start := time.Now()
	pages, err := Crawl(testContext(t), testClient(), home.URL+"/", CrawlOptions{PerHost: 2, PageTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 3*time.Second, "a slow page must not hold up the crawl for longer than PageTimeout")

	want := []string{"/", "/a", "/b", "/slow", "/missing", "/text"}
	keys := make([]string, 0, len(pages))
	for k := range pages {
		keys = append(keys, k)
	}
	for _, p := range want {
		assert.Contains(t, keys, home.URL+p, "a page linked from the site was not checked")
	}
	assert.Contains(t, keys, other.URL+"/ext", "a link to another host is checked too")
	assert.Len(t, pages, len(want)+1, "every linked URL once, nothing else: %v", keys)

	for _, p := range []string{"/", "/a", "/b", "/text"} {
		assert.Equal(t, http.StatusOK, pages[home.URL+p].Status, "status of %s", p)
		assert.NoError(t, pages[home.URL+p].Err, "%s", p)
		assert.Equal(t, 1, home.hitsOf(p), "%s was fetched %d times: remember which URLs you have seen (the links have loops)", p, home.hitsOf(p))
	}
	assert.Equal(t, http.StatusNotFound, pages[home.URL+"/missing"].Status, "a broken link is reported with its status")
	slow := pages[home.URL+"/slow"]
	assert.True(t, isTimeout(slow.Err), "the slow page must end in a timeout error (PageTimeout), got %v", slow.Err)
	assert.Equal(t, 0, home.hitsOf("/hidden"), "links in a text/plain page are not links")
	assert.Equal(t, http.StatusOK, pages[other.URL+"/ext"].Status)
	assert.Equal(t, 0, other.hitsOf("/deep"), "pages on other hosts are checked, not followed")
	assert.ElementsMatch(t, []string{home.URL + "/a", home.URL + "/b"}, pages[home.URL+"/b"].Links, "Page.Links of /b")
}

// gauge tracks how many requests a server is handling at once.
type gauge struct {
	mu       sync.Mutex
	now, max int
}

func (g *gauge) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now++
	g.max = max(g.max, g.now)
}

func (g *gauge) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now--
}

func (g *gauge) peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}

func TestCrawl_NeverExceedsThePerHostLimit(t *testing.T) {
	const perHost, pagesPerHost = 3, 12
	var both gauge
	slowSite := func(g *gauge, index string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, index)
				return
			}
			g.enter()
			both.enter()
			time.Sleep(50 * time.Millisecond)
			both.leave()
			g.leave()
			io.WriteString(w, "ok")
		}))
		t.Cleanup(s.Close)
		return s
	}
	var ga, gb gauge
	b := slowSite(&gb, "")
	var index strings.Builder
	for i := range pagesPerHost {
		fmt.Fprintf(&index, `<a href="/p%d">p%d</a> <a href="%s/q%d">q%d</a>`, i, i, b.URL, i, i)
	}
	a := slowSite(&ga, index.String())

	pages, err := Crawl(testContext(t), testClient(), a.URL+"/", CrawlOptions{PerHost: perHost})
	require.NoError(t, err)
	assert.Len(t, pages, 1+2*pagesPerHost, "the index and every page it links to")
	assert.LessOrEqual(t, ga.peak(), perHost, "host A had %d requests in flight at once; PerHost is %d", ga.peak(), perHost)
	assert.LessOrEqual(t, gb.peak(), perHost, "host B had %d requests in flight at once; PerHost is %d", gb.peak(), perHost)
	assert.GreaterOrEqual(t, ga.peak(), 2, "host A never had two requests in flight: crawl concurrently")
	assert.Greater(t, both.peak(), perHost, "the two hosts never had more than PerHost requests in flight together: the limit is per host, not global")
}

func TestCrawl_StopsAtMaxPagesAndWithTheContext(t *testing.T) {
	// An endless site: /n/1 links to /n/2, which links to /n/3, ...
	var served atomic.Int64
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		var n int
		fmt.Sscanf(r.URL.Path, "/n/%d", &n)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<a href="/n/%d">next</a> <a href="/n/%d">and the one after</a>`, n+1, n+2)
	}))
	t.Cleanup(endless.Close)

	pages, err := Crawl(testContext(t), testClient(), endless.URL+"/n/0", CrawlOptions{MaxPages: 10})
	require.NoError(t, err)
	assert.Len(t, pages, 10, "MaxPages: 10 URLs checked, no more")
	assert.EqualValues(t, 10, served.Load(), "MaxPages: 10 requests, no more")

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Crawl(ctx, testClient(), endless.URL+"/n/0", CrawlOptions{MaxPages: 1 << 30})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a crawl whose ctx ends returns ctx.Err()")
	assert.Less(t, time.Since(start), 2*time.Second, "the crawl must stop soon after ctx is done")
}
