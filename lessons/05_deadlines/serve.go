package deadlines

//netlings:given

import (
	"context"
	"errors"
	"net"
	"sync"
)

// ANCHOR: serve

// Serve accepts connections on ln and calls handle for each one in its own
// goroutine; the connection is closed when handle returns. When ctx is
// cancelled, Serve closes ln and every connection still open, waits for
// the handlers to return, and returns nil. Any other Accept error is
// returned after the same cleanup. It is lesson 02's ServeEcho with the
// echo taken out: the tests run your EchoIdle under it.
func Serve(ctx context.Context, ln net.Listener, handle func(net.Conn)) error {
	ctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		ln.Close()
		stop()
		wg.Wait()
	}()
	context.AfterFunc(ctx, func() { ln.Close() })

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Go(func() {
			defer conn.Close()
			unwatch := context.AfterFunc(ctx, func() { conn.Close() })
			defer unwatch()
			handle(conn)
		})
	}
}

// ANCHOR_END: serve
