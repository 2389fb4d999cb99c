package nethttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
)

// ANCHOR: newclient

// NewClient returns the client to use with Fetch and Crawl: it has a
// Timeout (ClientTimeout), and a Transport of its own that keeps up to 16
// idle connections per host (net/http's default keeps 2, so a burst of
// concurrent requests to one host opens connections it then throws away).
func NewClient() *http.Client {
	// TODO: clone http.DefaultTransport (it is an *http.Transport), set
	// MaxIdleConnsPerHost, and return a client with it and a Timeout.
	return nil
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
	// TODO: a loop of attempts. Each one: http.NewRequestWithContext,
	// c.Do, check err BEFORE touching resp, defer resp.Body.Close(), and
	// read or drain the body. On 503, wait (Retry-After or backoff) in a
	// select on ctx.Done() and a timer, then try again.
	return nil, errors.New("TODO: Fetch is not written yet")
}

// ANCHOR_END: fetch
