package nethttp

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Client limits.
const (
	// ClientTimeout bounds a whole exchange: dial, TLS, request, response
	// header and reading the body. http.DefaultClient has none, so one
	// stuck server can hang a goroutine of yours forever.
	ClientTimeout = 10 * time.Second

	// MaxFetchBytes is the largest body Fetch returns.
	MaxFetchBytes = 1 << 20

	// MaxAttempts is how many times Fetch sends its request at most.
	MaxAttempts = 4

	// BaseBackoff is the wait before the first retry when the server gives
	// no Retry-After; each further retry waits about twice as long.
	BaseBackoff = 100 * time.Millisecond

	// MaxRetryAfter is the longest Retry-After that Fetch waits for. A
	// server that asks for more gets no retry: the 503 is returned at once.
	MaxRetryAfter = 5 * time.Second

	// maxDrain is how much of an unwanted body is read to keep the
	// connection reusable. Past this, a new connection is cheaper.
	maxDrain = 64 << 10
)

// ANCHOR: newclient

// NewClient returns the client to use with Fetch and Crawl: it has a
// Timeout (ClientTimeout), and a Transport of its own that keeps up to 16
// idle connections per host (net/http's default keeps 2, so a burst of
// concurrent requests to one host opens connections it then throws away).
func NewClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Timeout: ClientTimeout, Transport: t}
}

// ANCHOR_END: newclient

// StatusError is Fetch's error for a response whose status is not 2xx.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// ANCHOR: fetch

// Fetch GETs url with c and returns the response body (at most
// MaxFetchBytes; a longer body is an error).
//
// A 503 Service Unavailable is retried, up to MaxAttempts requests in all:
// after the Retry-After the server sent (in seconds or as an HTTP date), or
// else after an exponential backoff from BaseBackoff, with jitter. A
// Retry-After longer than MaxRetryAfter is not waited for. Only 503 is
// retried, and only because GET is idempotent: sending it twice does no
// harm. Any other status outside 2xx is a *StatusError at once.
//
// Every response body is read to its end (up to a bound) and closed, so
// that c can reuse the connection. Fetch stops as soon as ctx is done,
// waiting included, and returns an error that wraps ctx.Err().
func Fetch(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, wait, err := fetchOnce(ctx, c, url)
		if err == nil {
			return body, nil
		}
		if wait < 0 || attempt == MaxAttempts {
			return nil, err
		}
		if wait == 0 {
			wait = backoff(attempt)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("GET %s: gave up waiting to retry: %w", url, err)
		}
	}
}

// ANCHOR_END: fetch

// ANCHOR: fetchonce

// fetchOnce sends one GET. On an error, wait says whether and when to try
// again: -1 never, 0 after the usual backoff, more after that long.
func fetchOnce(ctx context.Context, c *http.Client, url string) (body []byte, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, -1, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, -1, err // resp is nil: there is no body to close
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		drain(resp.Body)
		err := &StatusError{URL: url, Code: resp.StatusCode}
		if resp.StatusCode != http.StatusServiceUnavailable {
			return nil, -1, err
		}
		return nil, retryAfter(resp.Header.Get("Retry-After")), err
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, MaxFetchBytes+1))
	if err != nil {
		return nil, -1, err
	}
	if len(body) > MaxFetchBytes {
		return nil, -1, fmt.Errorf("GET %s: body larger than %d bytes", url, MaxFetchBytes)
	}
	return body, 0, nil
}

// ANCHOR_END: fetchonce

// drain reads what is left of a body, up to maxDrain bytes, so that the
// Transport can put the connection back in its pool when it is closed.
func drain(body io.Reader) {
	io.Copy(io.Discard, io.LimitReader(body, maxDrain))
}

// retryAfter turns a Retry-After value (RFC 9110, section 10.2.3) into a
// wait for fetchOnce: 0 when absent or unparsable, -1 when over MaxRetryAfter.
func retryAfter(v string) time.Duration {
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(time.Until(t), 0)
	}
	if d > MaxRetryAfter {
		return -1
	}
	return d
}

// backoff is the wait before retry number attempt (1, 2, ...): BaseBackoff
// doubled each time, with "equal jitter" (half fixed, half random) so that
// many clients that failed together do not all come back together.
func backoff(attempt int) time.Duration {
	d := BaseBackoff << (attempt - 1)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
