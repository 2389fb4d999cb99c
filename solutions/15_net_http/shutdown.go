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
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err // serving failed: nobody asked us to stop
	case <-ctx.Done():
	}

	// ctx is done already: a timeout derived from it would give Shutdown
	// no time at all. The grace period needs a fresh clock.
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(graceCtx)
	if err != nil {
		srv.Close() // grace is over: cut the requests still running
	}
	// srv.Serve returned ErrServerClosed as soon as Shutdown began; the
	// requests were still running then, so it is Shutdown we waited for.
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// ANCHOR_END: serve
