package testkit

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AcceptLoop is a server function under test that accepts connections on
// ln until ctx is cancelled or Accept fails, like ServeEcho.
type AcceptLoop func(ctx context.Context, ln net.Listener) error

// RequireStopOnClosedListener checks that serve, named name in the failure
// messages, returns nil when the listener's owner closes it: Accept then
// fails with net.ErrClosed, which is a stop, not a failure. serve has
// IOTimeout to return.
func RequireStopOnClosedListener(t testing.TB, name string, serve AcceptLoop) {
	t.Helper()
	ln := Listen(t)
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), ln) }()

	time.Sleep(50 * time.Millisecond) // let it block in Accept
	ln.Close()
	select {
	case err := <-done:
		require.NoError(t, err, "Accept fails with net.ErrClosed once the listener is closed: that is a stop, %s should return nil", name)
	case <-time.After(IOTimeout):
		t.Fatalf("%s did not return within %v after its listener was closed", name, IOTimeout)
	}
}

// RequireAcceptErrorReturned checks that serve, named name in the failure
// messages, returns Accept's error when Accept fails for another reason
// while ctx is not cancelled, and closes its listener. serve has IOTimeout
// to return.
func RequireAcceptErrorReturned(t testing.TB, name string, serve AcceptLoop) {
	t.Helper()
	errBroken := errors.New("accept: the test broke this listener")
	ln := &BrokenListener{Err: errBroken}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()

	select {
	case err := <-done:
		require.ErrorIs(t, err, errBroken, "when Accept fails and ctx is not cancelled, %s should return Accept's error", name)
		assert.True(t, ln.Closed(), "%s returned before its listener's Close had finished: close ln yourself before returning "+
			"(a deferred ln.Close()); a context.AfterFunc runs its function later, in a goroutine of its own", name)
	case <-time.After(IOTimeout):
		t.Fatalf("%s did not return within %v when Accept failed", name, IOTimeout)
	}
}
