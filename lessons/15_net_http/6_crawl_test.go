package nethttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
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

	links, err := extractLinks(t, base, strings.NewReader(doc))
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

	errBroken := errors.New("the test broke this reader")
	_, err = extractLinks(t, base, iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(`<a href="/first">1</a><a href="/second">2</a>`))))
	assert.Error(t, err, "a read error of r is returned: only io.EOF is the normal end of the tokens")
	_, err = extractLinks(t, base, io.MultiReader(strings.NewReader(`<a href="/x">x</a>`), iotest.ErrReader(errBroken)))
	assert.ErrorIs(t, err, errBroken, "the read error of r is returned as it is (html.Tokenizer.Err())")

	links, err = extractLinks(t, base, strings.NewReader("<a href=x.html><<<>>>&&&</b></a><a href=y.html>"))
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
	pages, err := crawl(t, testContext(t), testClient(), home.URL+"/", CrawlOptions{PerHost: 2, PageTimeout: 300 * time.Millisecond})
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

	pages, err := crawl(t, testContext(t), testClient(), a.URL+"/", CrawlOptions{PerHost: perHost})
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

	pages, err := crawl(t, testContext(t), testClient(), endless.URL+"/n/0", CrawlOptions{MaxPages: 10})
	require.NoError(t, err)
	assert.Len(t, pages, 10, "MaxPages: 10 URLs checked, no more")
	assert.EqualValues(t, 10, served.Load(), "MaxPages: 10 requests, no more")

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = crawl(t, ctx, testClient(), endless.URL+"/n/0", CrawlOptions{MaxPages: 1 << 30})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a crawl whose ctx ends returns ctx.Err()")
	assert.Less(t, time.Since(start), 2*time.Second, "the crawl must stop soon after ctx is done")
}

// deadAddr is the address of a port on which nothing listens: connecting
// to it fails at once.
func deadAddr(t *testing.T) string {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// ANCHOR: failedfetch
func TestCrawl_FreesTheHostSlotWhenAFetchFails(t *testing.T) {
	dead := "http://" + deadAddr(t)
	home := newSite(t, map[string]string{
		"/": `<a href="` + dead + `/a">dead</a> <a href="` + dead + `/b">dead too</a> <a href="` + dead + `/c">and this one</a>
		      <a href="/slow1">slow</a> <a href="/slow2">slow too</a> <a href="/fine">fine</a>`,
		"/fine": `fine <a href="/gone">gone</a>`,
	}, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/gone" {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `<a href="/secret">an error page is not followed</a>`)
			return true
		}
		if strings.HasPrefix(r.URL.Path, "/slow") {
			<-r.Context().Done() // never answers; PageTimeout ends it
			return true
		}
		return false
	})

	// One slot per host: a failed fetch that keeps its slot blocks every
	// later URL of its host for ever.
	pages, err := crawl(t, testContext(t), testClient(), home.URL+"/", CrawlOptions{PerHost: 1, PageTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	for _, p := range []string{dead + "/a", dead + "/b", dead + "/c"} {
		page, ok := pages[p]
		require.True(t, ok, "%s was not checked: a fetch that failed must still give its host's slot back", p)
		assert.Error(t, page.Err, "%s: nothing listens there, so Page.Err must say why no response came", p)
		assert.Zero(t, page.Status, "%s: Status is 0 when Err is set", p)
	}
	for _, p := range []string{"/slow1", "/slow2"} {
		page, ok := pages[home.URL+p]
		require.True(t, ok, "%s was not checked: a fetch that timed out must still give its host's slot back", p)
		assert.True(t, isTimeout(page.Err), "%s: PageTimeout should end it with a timeout error, got %v", p, page.Err)
		assert.Zero(t, page.Status, "%s: Status is 0 when Err is set", p)
	}
	assert.Equal(t, http.StatusOK, pages[home.URL+"/fine"].Status, "/fine, after two time-outs on its host")
	assert.Equal(t, http.StatusNotFound, pages[home.URL+"/gone"].Status, "/gone answers 404")
	assert.Zero(t, home.hitsOf("/secret"), "only HTML pages with a 2xx status are followed: /gone is a 404")
}

// ANCHOR_END: failedfetch

// lateRequests is a RoundTripper that counts the requests it is asked to
// send when their ctx has ended already.
type lateRequests struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (l *lateRequests) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Context().Err() != nil {
		l.n.Add(1)
	}
	return l.next.RoundTrip(r)
}

func TestCrawl_StopsWaitingForAHostSlotWhenCtxEnds(t *testing.T) {
	hit := make(chan struct{}, 1)
	var index strings.Builder
	for i := range 10 {
		fmt.Fprintf(&index, `<a href="/hang%d">%d</a> `, i, i)
	}
	home := newSite(t, map[string]string{"/": index.String()}, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/hang") {
			select {
			case hit <- struct{}{}:
			default:
			}
			<-r.Context().Done() // holds the host's only slot until the crawl's ctx ends
			return true
		}
		return false
	})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	late := &lateRequests{next: tr}
	client := &http.Client{Timeout: 5 * time.Second, Transport: late}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := testkit.Go("Crawl", func() error {
		_, err := Crawl(ctx, client, home.URL+"/", CrawlOptions{PerHost: 1, PageTimeout: 5 * time.Second})
		return err
	})
	select {
	case <-hit:
	case <-run.Done():
		t.Fatalf("Crawl returned before it fetched the linked pages: %v", run.Err())
	case <-time.After(5 * time.Second):
		t.Fatal("none of the linked pages was requested within 5s")
	}
	time.Sleep(300 * time.Millisecond) // nine goroutines now wait for the slot
	cancel()
	err := run.Wait(t, 2*time.Second, "its ctx was cancelled", "wait for a host slot in a select with ctx.Done()")
	assert.ErrorIs(t, err, context.Canceled, "a crawl whose ctx ends returns ctx.Err()")
	assert.Zero(t, late.n.Load(),
		"after ctx was cancelled, Crawl still asked its client to send %d requests: a goroutine waiting for a host slot must give up "+
			"when ctx is done (select { case slots <- struct{}{}: case <-ctx.Done(): return })", late.n.Load())
}
