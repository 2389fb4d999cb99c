package nethttp

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/net/html"
)

// ANCHOR: links

// Links returns the targets of the <a href> links in the HTML document r,
// as absolute URLs resolved against base (the page's own URL), in document
// order and without duplicates. The fragment (#section) is dropped, since
// it names a place in a page, not another page, and only http and https
// links are kept (mailto:, javascript: and the like are not pages).
// Malformed HTML is parsed the way browsers do; only a read error of r is
// returned.
func Links(base *url.URL, r io.Reader) ([]string, error) {
	var links []string
	seen := map[string]bool{}
	z := html.NewTokenizer(r)
	for {
		switch z.Next() {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return links, nil
			}
			return links, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			if link, ok := hrefOf(z, base); ok && !seen[link] {
				seen[link] = true
				links = append(links, link)
			}
		}
	}
}

// hrefOf returns the absolute link of the tag z is on, if it is an <a href>.
func hrefOf(z *html.Tokenizer, base *url.URL) (string, bool) {
	name, hasAttr := z.TagName()
	if string(name) != "a" {
		return "", false
	}
	for hasAttr {
		var key, val []byte
		key, val, hasAttr = z.TagAttr()
		if string(key) != "href" {
			continue
		}
		u, err := base.Parse(string(val))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return "", false
		}
		u.Fragment, u.RawFragment = "", ""
		return u.String(), true
	}
	return "", false
}

// ANCHOR_END: links

// CrawlOptions bound a crawl. Zero fields take the defaults in brackets.
type CrawlOptions struct {
	PerHost     int           // requests in flight to one host at most [2]
	MaxPages    int           // URLs checked at most, the start included [100]
	PageTimeout time.Duration // for one request, body included [5s]
}

// Page is what Crawl found at one URL.
type Page struct {
	Status int      // the response's status code; 0 when Err is set
	Err    error    // why no complete response arrived (timeout, refused, body cut short, ...)
	Links  []string // the page's links, for followed pages (see Crawl)
}

// ANCHOR: crawl

// Crawl checks the link graph that starts at start: it fetches start, every
// page linked from it, every page linked from those, and so on, each URL
// once, loops in the links included. It follows (reads the links of) only
// HTML pages with a 2xx status on start's own host; a link to another host
// is checked (fetched for its status) but not followed, so a crawl never
// wanders off across the web.
//
// Pages are fetched concurrently, with at most o.PerHost requests in flight
// to any one host at any moment, each request bounded by o.PageTimeout.
// Every response body is read to its end (up to a bound) and closed, so
// that c can reuse the connection. Crawl returns a Page for every URL it
// checked, keyed by URL; a start that url.Parse rejects is the error. When
// ctx is done it stops early and returns what it has, with ctx.Err().
func Crawl(ctx context.Context, c *http.Client, start string, o CrawlOptions) (map[string]Page, error) {
	u, err := url.Parse(start)
	if err != nil {
		return nil, err
	}
	cr := &crawler{
		ctx: ctx, client: c, o: withDefaults(o), home: u.Host,
		pages: map[string]Page{}, seen: map[string]bool{}, hosts: map[string]chan struct{}{},
	}
	cr.enqueue(u.String())
	cr.wg.Wait()
	return cr.pages, ctx.Err()
}

// ANCHOR_END: crawl

func withDefaults(o CrawlOptions) CrawlOptions {
	if o.PerHost < 1 {
		o.PerHost = 2
	}
	if o.MaxPages < 1 {
		o.MaxPages = 100
	}
	if o.PageTimeout <= 0 {
		o.PageTimeout = 5 * time.Second
	}
	return o
}

// crawler is the state of one Crawl. Every URL gets a goroutine (at most
// MaxPages of them); the per-host semaphores decide which of them may send.
type crawler struct {
	ctx    context.Context
	client *http.Client
	o      CrawlOptions
	home   string // start's host: only its pages are followed
	wg     sync.WaitGroup

	mu    sync.Mutex
	pages map[string]Page          // results so far
	seen  map[string]bool          // every URL ever enqueued
	hosts map[string]chan struct{} // one semaphore per host, PerHost slots each
}

// ANCHOR: visit

// enqueue starts checking link unless it was seen before or the page
// budget is spent.
func (cr *crawler) enqueue(link string) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	if cr.seen[link] || len(cr.seen) >= cr.o.MaxPages {
		return
	}
	cr.seen[link] = true
	cr.wg.Go(func() { cr.visit(link) })
}

// visit checks one URL while holding a slot of its host, then enqueues
// the links it found.
func (cr *crawler) visit(link string) {
	u, _ := url.Parse(link) // enqueued links were produced by url.Parse
	slots := cr.slotsFor(u.Host)
	select {
	case slots <- struct{}{}:
	case <-cr.ctx.Done():
		return
	}
	page := cr.fetch(u, u.Host == cr.home)
	<-slots

	cr.mu.Lock()
	cr.pages[link] = page
	cr.mu.Unlock()
	for _, l := range page.Links {
		cr.enqueue(l)
	}
}

func (cr *crawler) slotsFor(host string) chan struct{} {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	s, ok := cr.hosts[host]
	if !ok {
		s = make(chan struct{}, cr.o.PerHost)
		cr.hosts[host] = s
	}
	return s
}

// ANCHOR_END: visit

// fetch GETs u; when follow is set and u is an HTML page, it collects the
// page's links too.
func (cr *crawler) fetch(u *url.URL, follow bool) Page {
	ctx, cancel := context.WithTimeout(cr.ctx, cr.o.PageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{Err: err}
	}
	resp, err := cr.client.Do(req)
	if err != nil {
		return Page{Err: err}
	}
	defer resp.Body.Close()
	defer drain(resp.Body)

	page := Page{Status: resp.StatusCode}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if follow && mt == "text/html" && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// Resolve against the URL that answered, which differs from u
		// after a redirect.
		page.Links, err = Links(resp.Request.URL, io.LimitReader(resp.Body, MaxFetchBytes))
		if err != nil {
			return Page{Err: err}
		}
	}
	return page
}
