package deadlines

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestDial_ConnectsWithTheCallersDialer(t *testing.T) {
	ln := testkit.Listen(t)
	addr := ln.Addr().String()

	// accepted returns the server side of the next connection.
	accepted := func(t *testing.T) net.Conn {
		t.Helper()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
		c, err := ln.Accept()
		require.NoError(t, err, "the test's listener saw no connection: Dial returned a connection that is not connected to addr")
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("nil dialer and no timeout", func(t *testing.T) {
		for _, timeout := range []time.Duration{0, -time.Second} {
			conn, err := testkit.Returns2(t, "Dial", "", func() (net.Conn, error) {
				return Dial(context.Background(), nil, addr, timeout)
			})
			require.NoError(t, err, "Dial(ctx, nil, %q, %v): a nil dialer means a zero net.Dialer, and a timeout <= 0 means no limit (context.WithTimeout(ctx, 0) would end the dial before it starts)", addr, timeout)
			require.NotNil(t, conn, "Dial returned a nil connection and no error")
			t.Cleanup(func() { conn.Close() })
			srv := accepted(t)
			assert.Equal(t, srv.RemoteAddr().String(), conn.LocalAddr().String(), "the connection Dial returned is not the one the server accepted")
		}
	})

	t.Run("the caller's dialer is used and left as it was", func(t *testing.T) {
		var calls int
		d := &net.Dialer{
			Timeout:   7 * time.Second,
			KeepAlive: -1,
			ControlContext: func(ctx context.Context, network, address string, c syscall.RawConn) error {
				calls++
				return nil
			},
		}
		conn, err := testkit.Returns2(t, "Dial", "", func() (net.Conn, error) {
			return Dial(context.Background(), d, addr, 3*time.Second)
		})
		require.NoError(t, err, "Dial to a listening server")
		require.NotNil(t, conn, "Dial returned a nil connection and no error")
		t.Cleanup(func() { conn.Close() })
		accepted(t)
		assert.Equal(t, 1, calls, "the dialer's ControlContext hook ran %d times, want 1: dial with the *net.Dialer you were given (its hooks, LocalAddr, KeepAlive are the caller's settings), not one of your own", calls)
		assert.Equal(t, 7*time.Second, d.Timeout, "Dial changed the caller's d.Timeout: leave *d alone and put the timeout on ctx (context.WithTimeout)")
		assert.Equal(t, time.Duration(-1), d.KeepAlive, "Dial changed the caller's d.KeepAlive")
	})
}

func TestDial_TimeoutEndsTheDial(t *testing.T) {
	addr := testkit.Listen(t).Addr().String()

	cases := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		timeout time.Duration
		dialer  func(d *net.Dialer)
		hint    string
	}{
		{
			name:    "timeout",
			ctx:     func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			timeout: 300 * time.Millisecond,
			hint:    "wrap ctx with context.WithTimeout(ctx, timeout) and dial with d.DialContext",
		},
		{
			name: "ctx deadline earlier than timeout",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			timeout: time.Hour,
			hint:    "ctx's deadline applies too: dial with d.DialContext(ctx, ...) and derive your timeout from ctx",
		},
		{
			name:    "dialer's own Timeout, no timeout argument",
			ctx:     func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			timeout: 0,
			dialer:  func(d *net.Dialer) { d.Timeout = 300 * time.Millisecond },
			hint:    "the caller's d.Timeout still applies: use d itself (do not copy it and overwrite its Timeout)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			d, entered := blockingDialer(t)
			if tc.dialer != nil {
				tc.dialer(d)
			}
			ctx, cancel := tc.ctx()
			defer cancel()

			start := time.Now()
			r, conn := startDialing(ctx, d, addr, tc.timeout)
			err := r.Wait(t, ioTimeout, "a 300ms limit", tc.hint)
			elapsed := time.Since(start)
			if *conn != nil {
				(*conn).Close()
			}

			require.Len(t, entered, 1, "the dial never reached the caller's dialer: use the *net.Dialer you were given and its DialContext")
			requireDialTimeout(t, err)
			assert.GreaterOrEqual(t, elapsed, 250*time.Millisecond, "Dial gave up after %v, before the 300ms limit", elapsed)
			requireNoLeftovers(t, "Dial", ignore) // a dial left running in a goroutine of its own
		})
	}

	t.Run("a 1ns timeout is a limit too", func(t *testing.T) {
		d, _ := blockingDialer(t)
		conn, err := returns2Within(t, 2*time.Second, "Dial", "only a timeout <= 0 means no limit", func() (net.Conn, error) {
			return Dial(context.Background(), d, addr, time.Nanosecond)
		})
		if conn != nil {
			conn.Close()
		}
		requireDialTimeout(t, err)
	})

	t.Run("a real connect to a server whose backlog is full", func(t *testing.T) {
		addr := fullBacklog(t)
		start := time.Now()
		conn, err := testkit.Returns2(t, "Dial", "a dial to a full backlog hangs until the timeout: wrap ctx with context.WithTimeout", func() (net.Conn, error) {
			return Dial(context.Background(), nil, addr, 300*time.Millisecond)
		})
		if conn != nil {
			conn.Close()
		}
		requireDialTimeout(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond, "Dial gave up before the 300ms limit")
	})
}

// requireDialTimeout checks that err is a dial that ran out of time.
func requireDialTimeout(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err, "Dial returned no error, but the dial cannot succeed before the time limit")
	require.NotErrorIs(t, err, context.Canceled, "nobody cancelled ctx: a time limit ended the dial, so the error should match context.DeadlineExceeded")
	require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded),
		"a dial that ran out of time should return an error that matches context.DeadlineExceeded (or os.ErrDeadlineExceeded): DialContext's own error does, return it or wrap it with %%w; got %T %v", err, err)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "the error should be a net.Error whose Timeout() is true, so callers can tell a timeout from a refusal: got %T %v", err, err)
}

func TestDial_CancelEndsTheDialAtOnce(t *testing.T) {
	addr := testkit.Listen(t).Addr().String()

	for _, timeout := range []time.Duration{0, time.Hour} {
		t.Run("timeout "+timeout.String(), func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			d, entered := blockingDialer(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			r, conn := startDialing(ctx, d, addr, timeout)
			select {
			case <-entered:
			case <-r.Done():
				t.Fatalf("Dial returned before it connected (error: %v): with timeout %v nothing should end the dial but a cancel", r.Err(), timeout)
			case <-time.After(ioTimeout):
				t.Fatalf("the dial never reached the caller's dialer within %v: use the *net.Dialer you were given and its DialContext", ioTimeout)
			}
			time.Sleep(200 * time.Millisecond) // a cancel in the middle of the dial, not at its start
			require.False(t, r.Returned(), "Dial returned while neither its timeout (%v) nor a cancel had ended the dial (error: %v): a timeout <= 0 adds no limit", timeout, r.Err())

			cancel()
			err := r.Wait(t, 2*time.Second, "its ctx was cancelled",
				"pass ctx to d.DialContext: net.DialTimeout and Dialer.Dial cannot hear a cancel")
			if *conn != nil {
				(*conn).Close()
			}
			require.Error(t, err, "Dial returned no error after its ctx was cancelled")
			require.ErrorIs(t, err, context.Canceled, "a cancelled dial should return an error that matches context.Canceled (return DialContext's error, or wrap it with %%w)")
			require.NotErrorIs(t, err, context.DeadlineExceeded, "ctx was cancelled, not timed out: the error should not match context.DeadlineExceeded")
			requireNoLeftovers(t, "Dial", ignore) // a dial left running in a goroutine of its own
		})
	}

	t.Run("ctx cancelled before the call", func(t *testing.T) {
		d, _ := blockingDialer(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		conn, err := returns2Within(t, 2*time.Second, "Dial", "check ctx: DialContext with a cancelled ctx fails at once", func() (net.Conn, error) { return Dial(ctx, d, addr, time.Hour) })
		if conn != nil {
			conn.Close()
		}
		require.ErrorIs(t, err, context.Canceled, "Dial with a ctx that is already cancelled should fail at once with an error that matches context.Canceled")
	})
}
