package nethttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ANCHOR: serve

// Serve serves srv on ln until ctx is done, then shuts srv down gracefully:
// it stops accepting (ln is closed), closes idle keep-alive connections,
// and waits up to grace for the requests in flight to finish. Connections
// still busy after grace are closed.
//
// Serve returns nil after a shutdown in which every request finished,
// context.DeadlineExceeded when grace ran out first, and the error of
// srv.Serve when serving failed before ctx was done. It never returns
// while a request that started before the shutdown is still running,
// unless grace ran out.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	// TODO: run srv.Serve(ln) in a goroutine that sends its error on a
	// channel; wait for that error or for ctx.Done(). Then call
	// srv.Shutdown with a context that has `grace` to live (careful: ctx
	// is done already), srv.Close() if that fails, and collect the error
	// of srv.Serve (http.ErrServerClosed means "shut down", not failure).
	return errors.New("TODO: Serve is not written yet")
}

// ANCHOR_END: serve
