package testkit_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"

	"netlings/tools/testkit"
)

// goodLoop is the accept loop the checks expect.
func goodLoop(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	for {
		conn, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		conn.Close()
	}
}

func TestAcceptLoopChecks_PassAGoodLoop(t *testing.T) {
	testkit.RequireStopOnClosedListener(t, "goodLoop", goodLoop)
	testkit.RequireAcceptErrorReturned(t, "goodLoop", goodLoop)
}

func TestAcceptLoopChecks_FailWrongLoops(t *testing.T) {
	returnsEverything := func(ctx context.Context, ln net.Listener) error {
		defer ln.Close()
		for {
			if _, err := ln.Accept(); err != nil {
				return err // net.ErrClosed too
			}
		}
	}
	r := record(t, func(tb testing.TB) { testkit.RequireStopOnClosedListener(tb, "Serve", returnsEverything) })
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "that is a stop, Serve should return nil")

	swallows := func(ctx context.Context, ln net.Listener) error { ln.Close(); return nil }
	r = record(t, func(tb testing.TB) { testkit.RequireAcceptErrorReturned(tb, "Serve", swallows) })
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "Serve should return Accept's error")

	keepsListener := func(ctx context.Context, ln net.Listener) error { _, err := ln.Accept(); return err }
	r = record(t, func(tb testing.TB) { testkit.RequireAcceptErrorReturned(tb, "Serve", keepsListener) })
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "Serve returned before its listener's Close had finished")

	closesLater := func(ctx context.Context, ln net.Listener) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // runs the AfterFunc, in a goroutine of its own
		context.AfterFunc(ctx, func() { ln.Close() })
		_, err := ln.Accept()
		return err
	}
	r = record(t, func(tb testing.TB) { testkit.RequireAcceptErrorReturned(tb, "Serve", closesLater) })
	assert.True(t, r.failed, "a listener closed by a goroutine after Serve returned is not closed when Serve returns")
	assert.Contains(t, r.msg, "a context.AfterFunc runs its function later")
}
