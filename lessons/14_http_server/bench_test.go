package httpserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"netlings/tools/load"
)

// BenchmarkVersusNetHTTP puts the same hello-world keep-alive load on your
// server and on a net/http server, in alternating rounds (so neither always
// runs on a cold or a hot CPU), and reports both rates and their ratio.
// Run it once, not b.N times:
//
//	go test -run '^$' -bench . -benchtime 1x ./lessons/14_http_server
//
// (or `make bench-lesson N=14`). A ratio near 1 means your server keeps up
// with net/http on this load; the chapter says where the difference goes.
func BenchmarkVersusNetHTTP(b *testing.B) {
	yours := start(b, newServer(b))
	theirs := startNetHTTP(b)
	targets := []load.Target{
		{Name: "yours", URL: yours.url + "/"},
		{Name: "net/http", URL: theirs + "/"},
	}
	opts := load.Options{Conns: 8, Duration: time.Second}
	const rounds = 4

	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*rounds*load.MaxDuration)
		results, err := load.Compare(ctx, targets, opts, rounds)
		cancel()
		if err != nil {
			b.Fatalf("load.Compare: %v", err)
		}
		for _, r := range results {
			b.Log(r.String())
			if r.Errors > 0 {
				b.Errorf("%s: %d of %d requests failed (a status other than 2xx, a broken response or a closed connection)", r.Name, r.Errors, r.Requests)
			}
		}
		b.ReportMetric(results[0].PerSecond, "yours-req/s")
		b.ReportMetric(results[1].PerSecond, "nethttp-req/s")
		if results[1].PerSecond > 0 {
			b.ReportMetric(results[0].PerSecond/results[1].PerSecond, "ratio")
		}
		b.ReportMetric(0, "ns/op") // one op is a whole comparison: its duration says nothing
	}
}

// startNetHTTP runs net/http's answer to GET / on loopback until the
// benchmark ends, and returns its base URL.
func startNetHTTP(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, Hello)
		}),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	b.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("net/http server: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
