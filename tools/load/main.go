package load

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// Main is the command line of the load generator (the verb `netlings load`):
//
//	netlings load -url http://127.0.0.1:8080/ -c 16 -d 5s
//	netlings load -url http://127.0.0.1:8080/ -c 4 -n 10000
//	netlings load -url ws://127.0.0.1:8080/echo -c 8 -size 128
//	netlings load -url tcp://127.0.0.1:9000 -c 32 -idle 9968 -size 64
//
// It prints the Result, or the error, on stdout and returns the exit status:
// 0 when the run finished, 1 when it could not run or the server never
// answered successfully, 2 for bad flags. Ctrl-C stops the run early and
// still prints what was measured.
func Main(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o Options
	fs.StringVar(&o.URL, "url", "", "target `URL`: http://127.0.0.1:PORT/path, ws://127.0.0.1:PORT/path or tcp://127.0.0.1:PORT (an echo server; loopback only)")
	fs.IntVar(&o.Conns, "c", 16, fmt.Sprintf("keep-alive connections, one request in flight on each (with -idle, at most %d)", MaxConns))
	fs.IntVar(&o.Idle, "idle", 0, "more connections held open without sending a byte")
	fs.DurationVar(&o.Duration, "d", 0, fmt.Sprintf("how long to run (default %s, or until -n requests; at most %s)", DefaultDuration, MaxDuration))
	fs.IntVar(&o.Requests, "n", 0, "stop after this many requests in total (0 = no limit)")
	fs.IntVar(&o.Message, "size", 64, "WebSocket and TCP mode: payload bytes per echoed message")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.URL == "" || fs.NArg() > 0 {
		fmt.Fprintln(stdout, "usage: load -url http://127.0.0.1:PORT/path [-c conns] [-idle conns] [-d duration] [-n requests] [-size bytes]")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	r, err := Run(ctx, o)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stdout, err)
		return 1
	}
	if r.Elapsed == 0 {
		r.Elapsed = time.Since(start)
	}
	fmt.Fprintln(stdout, r)
	if r.Requests > 0 && r.Errors == r.Requests {
		fmt.Fprintln(stdout, "load: every request failed: is the server running at", o.URL+"?")
		return 1
	}
	return 0
}
