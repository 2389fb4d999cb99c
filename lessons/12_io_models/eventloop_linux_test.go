//go:build linux

package iomodels

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	eventloop "netlings/lessons/11_event_loop"
	"netlings/tools/testkit"
)

// Run can fail on its own, before any cancel: here because another Run is
// already serving the same loop, so Serve's Run returns ErrRunning at once.
// Serve must not sit waiting for a ctx that never ends.
func TestEventLoop_ReturnsTheErrorRunFailsWith(t *testing.T) {
	srv := newServerOn(t, "EventLoop", func(addr string) (Server, error) { return NewEventLoop(addr) }, "127.0.0.1:0")
	e := srv.(*EventLoop)
	first := testkit.Go("the loop's first Run", e.loop.Run)
	t.Cleanup(func() { e.loop.Stop() })
	c, err := net.DialTimeout("tcp", e.loop.Addr().String(), ioTimeout)
	require.NoError(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	require.NoError(t, roundTrip(c, []byte("serving")), "the loop's first Run does not echo (is lesson 11 done?)")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // only when the test ends: Serve must return before that
	err = testkit.Go("EventLoop.Serve", func() error { return e.Serve(ctx) }).
		Wait(t, stopTimeout, "its Run failed at once (another Run was serving the loop) and its ctx is not cancelled",
			"wait for whichever comes first, ctx.Done() or Run's result (a select on both)")
	require.ErrorIs(t, err, eventloop.ErrRunning,
		"EventLoop.Serve must return the error its Run failed with (here eventloop.ErrRunning), not nil: a failure is not a stop")
	require.NoError(t, first.Wait(t, stopTimeout, "Serve returned", "Serve stops the loop before it returns, whatever the reason"),
		"the first Run should end with nil: Serve stopped the loop")
	require.NoError(t, expectClosed(c, 2*time.Second), "the client was still connected after Serve returned: stop the loop on every way out")
}
