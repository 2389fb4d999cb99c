// Package load is netlings' load generator: N keep-alive connections, each
// with one request in flight, against a server on this machine, for a
// duration or a request count, reporting requests per second, latency
// percentiles and errors.
//
// HTTP mode (http:// URLs) speaks HTTP/1.1 over raw TCP connections: it
// writes the request bytes itself and parses the status line, the headers
// and a Content-Length or chunked body. It does not use net/http's client,
// so what it measures is the server, not the client's connection pool.
// WebSocket mode (ws:// URLs) echoes messages; it lives in ws.go. Raw TCP
// mode (tcp:// URLs) sends bytes to an echo server and checks that they come
// back; it lives in tcp.go.
//
// Besides the active connections, a run can hold Idle connections open
// without sending a byte on them, the way most of a real server's clients
// sit between requests: lesson 12 measures what each I/O model pays to hold
// them.
//
// The generator is bounded on purpose: it only talks to loopback addresses,
// runs at most MaxDuration and opens at most MaxConns connections, and every
// read, write and dial has a deadline.
package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits that keep a typo from turning the load generator into a problem.
const (
	MaxDuration     = 60 * time.Second // Options.Duration is capped at this
	DefaultDuration = 10 * time.Second // used when neither Duration nor Requests is set
	MaxConns        = 10000            // Options.Conns + Options.Idle is capped at this
	IOTimeout       = 10 * time.Second // deadline of one dial, or of one request and its response
)

// Options says what load to send where.
type Options struct {
	URL      string        // http://, ws:// or tcp://127.0.0.1:PORT[/path]; loopback only
	Conns    int           // keep-alive connections, each with one request in flight (default 1, capped at MaxConns)
	Idle     int           // more connections, opened first and held open, silent (TCP mode: after one echo); Conns + Idle capped at MaxConns
	Duration time.Duration // stop after this long (capped at MaxDuration) ...
	Requests int           // ... or after this many requests in total, whichever first (0 = no count limit)
	Message  int           // WebSocket and TCP mode: payload bytes per echoed message

	// Hold, when set, is called once the load has ended, while every
	// connection of the run (active and idle) is still open; they are
	// closed when it returns. Lesson 12 measures the server's memory there.
	// (In HTTP mode, a connection whose request the end cut short is
	// closed already.)
	Hold func()

	idleHello int // TCP mode: each idle connection echoes one message of this many bytes first
}

// Result is what one run measured.
//
// Requests counts every request that was sent or attempted, Errors the ones
// that failed: a status outside 2xx, a malformed response, an I/O error or
// a failed dial. Requests cut short by the end of the run are in neither.
// The latencies are those of the requests that got a response. In
// WebSocket mode a request is one echoed message.
type Result struct {
	Name             string
	Messages         bool // WebSocket and TCP mode: Requests counts messages
	Idle             int  // idle connections still open when the load ended (Compare: the fewest of any run)
	Requests, Errors int
	Elapsed          time.Duration
	PerSecond        float64
	P50, P99, Max    time.Duration
}

// String formats r on one line, for a terminal.
func (r Result) String() string {
	unit, rate := "requests", "req/s"
	if r.Messages {
		unit, rate = "messages", "msg/s"
	}
	return fmt.Sprintf("%s: %d %s in %s, %.0f %s, latency p50 %s p99 %s max %s, %d errors",
		r.Name, r.Requests, unit, r.Elapsed.Round(time.Millisecond), r.PerSecond, rate,
		r.P50, r.P99, r.Max, r.Errors) + r.idleString()
}

func (r Result) idleString() string {
	if r.Idle == 0 {
		return ""
	}
	return fmt.Sprintf(", %d idle connections held", r.Idle)
}

// Run sends the load described by o and reports what it measured.
//
// It returns an error before sending anything when o is invalid (a URL that
// is not http://, ws:// or tcp://, or whose host is not a loopback address). It stops
// after o.Duration, after o.Requests requests, or when ctx is done; in the
// last case it returns the partial Result together with ctx.Err().
func Run(ctx context.Context, o Options) (Result, error) {
	s, err := run(ctx, o)
	if err != nil {
		return Result{Name: o.URL}, err
	}
	return s.result(o.URL, o.URL), ctx.Err()
}

// Target names one server for Compare.
type Target struct{ Name, URL string }

// Compare runs the same load against every target, alternating target order
// over `rounds` rounds, and returns one aggregated Result per target (same order).
//
// Each round runs o once against each target (so the whole comparison takes
// about rounds × len(targets) × o.Duration). Even rounds go through the
// targets in order, odd rounds in reverse, so that neither target always
// runs first (on a cold CPU) or last (on a hot one). The Result of a target
// sums its requests, errors and elapsed time over the rounds and takes its
// percentiles from all its latencies together.
func Compare(ctx context.Context, targets []Target, o Options, rounds int) ([]Result, error) {
	if rounds < 1 {
		rounds = 1
	}
	for _, t := range targets { // refuse a bad target before loading any of them
		if _, err := parseTarget(t.URL); err != nil {
			return nil, fmt.Errorf("load: target %s: %w", t.Name, err)
		}
	}
	all := make([]stats, len(targets))
	for round := range rounds {
		for _, i := range roundOrder(len(targets), round) {
			one := o
			one.URL = targets[i].URL
			s, err := run(ctx, one)
			if err != nil {
				return nil, fmt.Errorf("load: target %s: %w", targets[i].Name, err)
			}
			all[i].add(s)
			if ctx.Err() != nil {
				return results(targets, all), ctx.Err()
			}
		}
	}
	return results(targets, all), nil
}

// roundOrder is the order in which Compare visits n targets in a round.
func roundOrder(n, round int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if round%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

func results(targets []Target, all []stats) []Result {
	out := make([]Result, len(targets))
	for i, t := range targets {
		out[i] = all[i].result(t.Name, t.URL)
	}
	return out
}

// stats is the raw outcome of one or more runs.
type stats struct {
	requests, errors int
	elapsed          time.Duration
	latencies        []time.Duration // one per request that got a response
	idle             int             // idle connections open at the end
	runs             int
}

func (s *stats) add(o stats) {
	if s.runs == 0 || o.idle < s.idle {
		s.idle = o.idle
	}
	s.runs += max(o.runs, 1)
	s.requests += o.requests
	s.errors += o.errors
	s.elapsed += o.elapsed
	s.latencies = append(s.latencies, o.latencies...)
}

func (s stats) result(name, url string) Result {
	messages := strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "tcp://")
	r := Result{Name: name, Messages: messages, Idle: s.idle, Requests: s.requests, Errors: s.errors, Elapsed: s.elapsed}
	if s.elapsed > 0 {
		r.PerSecond = float64(s.requests) / s.elapsed.Seconds()
	}
	lat := slices.Clone(s.latencies)
	slices.Sort(lat)
	r.P50, r.P99 = percentile(lat, 50), percentile(lat, 99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	return r
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n), 1-based
	return sorted[max(rank, 1)-1]
}

// target is a parsed, checked Options.URL.
type target struct {
	scheme string // "http", "ws" or "tcp"
	addr   string // host:port to dial
	host   string // the Host header
	path   string // the request target, e.g. "/hello?x=1"
}

// parseTarget checks that raw is an http://, ws:// or tcp:// URL of a loopback host.
func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, err
	}
	if u.Scheme != "http" && u.Scheme != "ws" && u.Scheme != "tcp" {
		return target{}, fmt.Errorf("unsupported URL scheme %q in %q: use http://, ws:// or tcp://", u.Scheme, raw)
	}
	host := u.Hostname()
	if !isLoopback(host) {
		return target{}, fmt.Errorf("refusing to send load to %q: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed", host)
	}
	port := u.Port()
	if port == "" && u.Scheme == "tcp" {
		return target{}, fmt.Errorf("%q has no port: tcp:// URLs need one", raw)
	}
	if port == "" {
		port = "80"
	}
	if host == "localhost" {
		host = "127.0.0.1" // do not let a resolver decide where "localhost" is
	}
	return target{
		scheme: u.Scheme,
		addr:   net.JoinHostPort(host, port),
		host:   u.Host,
		path:   u.RequestURI(),
	}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalize applies the defaults and caps to o.
func normalize(o Options) Options {
	o.Conns = min(max(o.Conns, 1), MaxConns)
	o.Idle = min(max(o.Idle, 0), MaxConns-o.Conns)
	if o.Duration <= 0 && o.Requests <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration <= 0 || o.Duration > MaxDuration {
		o.Duration = MaxDuration
	}
	return o
}

// run checks o, then runs the load in the mode its URL names.
func run(ctx context.Context, o Options) (stats, error) {
	t, err := parseTarget(o.URL)
	if err != nil {
		return stats{}, fmt.Errorf("load: %w", err)
	}
	o = normalize(o)
	switch t.scheme {
	case "ws":
		return runWebSocket(ctx, o)
	case "tcp":
		return runTCP(ctx, o)
	}
	request := []byte("GET " + t.path + " HTTP/1.1\r\nHost: " + t.host + "\r\nUser-Agent: netlings-load\r\n\r\n")
	return drive(ctx, o, t.addr, func() exchanger { return &worker{addr: t.addr, request: request} }), nil
}

// exchanger is one protocol's half of a worker: it owns one connection and
// makes one exchange on it at a time (a request and its response, a message
// and its echo), dialling again whenever it has no connection.
type exchanger interface {
	// roundTrip makes one exchange. answered reports whether a whole answer
	// came back, even a wrong one, so that its latency counts.
	roundTrip(ctx context.Context) (answered bool, err error)
	hangUp()
}

// drive opens o.Idle idle connections to addr, then runs o.Conns
// exchangers, one connection each with one exchange in flight, until
// o.Duration has passed, o.Requests exchanges were made or ctx is done, and
// adds up what they measured. The clock starts once the idle connections
// are open; every connection stays open until o.Hold has returned.
func drive(ctx context.Context, o Options, addr string, newExchanger func() exchanger) stats {
	idle := openIdle(ctx, addr, o.Idle, o.idleHello)
	defer closeIdle(idle)

	// The clock starts before the run's deadline is set, so that Elapsed is
	// never shorter than Duration, however late this goroutine runs.
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(o.Duration))
	defer cancel()
	tickets := newTickets(o.Requests)
	tallies := make([]stats, o.Conns)
	xs := make([]exchanger, o.Conns)
	var wg sync.WaitGroup
	for i := range tallies {
		xs[i] = newExchanger()
		wg.Go(func() { work(runCtx, xs[i], tickets, &tallies[i]) })
	}
	wg.Wait()

	s := stats{}
	for _, t := range tallies {
		s.add(t)
	}
	s.elapsed = time.Since(start)
	s.idle, s.runs = stillOpen(idle), 1
	if o.Hold != nil {
		o.Hold()
	}
	for _, x := range xs {
		x.hangUp()
	}
	return s
}

// work makes exchanges until ctx is done or tickets run out, counting each
// into tally. It leaves x's connection open: drive hangs up.
func work(ctx context.Context, x exchanger, t *tickets, tally *stats) {
	for ctx.Err() == nil && t.take() {
		start := time.Now()
		answered, err := x.roundTrip(ctx)
		if ctx.Err() != nil {
			return // cut short by the end of the run: neither a request nor an error
		}
		tally.requests++
		if answered {
			tally.latencies = append(tally.latencies, time.Since(start))
		}
		if err != nil {
			tally.errors++
		}
	}
}

// tickets hands out the permission to send one request, so that a limit of
// N requests sends exactly N however many workers share it.
type tickets struct {
	limited bool
	left    atomic.Int64
}

func newTickets(n int) *tickets {
	t := &tickets{limited: n > 0}
	t.left.Store(int64(n))
	return t
}

func (t *tickets) take() bool {
	return !t.limited || t.left.Add(-1) >= 0
}

// errStatus is the error of a response outside 2xx.
var errStatus = errors.New("status outside 2xx")
