package nethttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
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
	// TODO: walk the tokens of golang.org/x/net/html's NewTokenizer(r)
	// until an ErrorToken (io.EOF is the normal end); on every start tag
	// "a", find the "href" attribute and resolve it with base.Parse.
	return nil, errors.New("TODO: Links is not written yet")
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
	// TODO: a goroutine per URL (a sync.WaitGroup to wait for them all), a
	// mutex-guarded "seen" set so each URL is enqueued once, and one
	// buffered channel of capacity PerHost per host as a semaphore around
	// each request. See "A link checker" in the chapter.
	return nil, errors.New("TODO: Crawl is not written yet")
}

// ANCHOR_END: crawl
