package websocket_chat_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	chat "netlings/lessons/17_websocket_chat"
)

// within runs f and fails the test if it does not return in time: a hub
// call that blocks is a bug the test must report, not hang on.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	withinHint(t, d, what, "is Hub.Run running its select loop?", f)
}

// withinHint is within with a hint of its own for the failure message.
func withinHint(t *testing.T, d time.Duration, what, hint string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		require.FailNow(t, what+" blocked", hint)
	}
}

func startHub(t *testing.T) *chat.Hub {
	h := chat.NewHub()
	go h.Run()
	// Stop waits for Run: bounded, so that a Run stuck on a member reports
	// the failure above instead of hanging the test.
	t.Cleanup(func() { within(t, 2*time.Second, "Stop", h.Stop) })
	return h
}

// member is a test client: an outbox nobody drains unless the test does.
func member(size int) (*chat.Client, *atomic.Bool) {
	var dropped atomic.Bool
	return &chat.Client{Outbox: make(chan []byte, size), Drop: func() { dropped.Store(true) }}, &dropped
}

// receive takes n messages from an outbox, with a deadline.
func receive(t *testing.T, c *chat.Client, n int) []string {
	t.Helper()
	var got []string
	for range n {
		select {
		case m, ok := <-c.Outbox:
			require.True(t, ok, "the outbox was closed after %d messages: %q", len(got), got)
			got = append(got, string(m))
		case <-time.After(2 * time.Second):
			require.FailNow(t, "a member did not get a broadcast message", "got %d of %d: %q", len(got), n, got)
		}
	}
	return got
}

func TestHub_BroadcastsToEveryMemberInOrder(t *testing.T) {
	h := startHub(t)
	a, _ := member(16)
	b, _ := member(16)
	within(t, time.Second, "Join", func() { h.Join(a); h.Join(b) })
	var want []string
	within(t, time.Second, "Broadcast", func() {
		for i := range 5 {
			msg := fmt.Sprintf("message %d", i)
			want = append(want, msg)
			h.Broadcast([]byte(msg))
		}
	})
	require.Equal(t, want, receive(t, a, 5), "every member gets every message, in the order they were broadcast")
	require.Equal(t, want, receive(t, b, 5), "every member gets every message, in the order they were broadcast")
}

func TestHub_LeaveClosesTheOutbox(t *testing.T) {
	h := startHub(t)
	a, _ := member(4)
	b, _ := member(4)
	within(t, time.Second, "Join and Leave", func() { h.Join(a); h.Join(b); h.Leave(a) })
	within(t, time.Second, "Broadcast", func() { h.Broadcast([]byte("after a left")) })
	require.Equal(t, []string{"after a left"}, receive(t, b, 1))
	select {
	case _, ok := <-a.Outbox:
		require.False(t, ok, "a member that left must get no more messages")
	case <-time.After(2 * time.Second):
		require.FailNow(t, "Leave must close the member's Outbox, so its writer goroutine ends")
	}
	within(t, time.Second, "a second Leave", func() { h.Leave(a) }) // must not close the outbox twice
}

func TestHub_DropsAMemberWhoseOutboxIsFull(t *testing.T) {
	h := startHub(t)
	slow, slowDropped := member(2) // nobody drains it
	fast, fastDropped := member(64)
	within(t, time.Second, "Join", func() { h.Join(slow); h.Join(fast) })
	const waits = "Run must never wait for room in an Outbox: a send on a full channel blocks until someone receives"
	withinHint(t, time.Second, "Broadcast to a member whose Outbox is full", waits, func() {
		for i := range 10 {
			h.Broadcast(fmt.Appendf(nil, "m%d", i))
		}
	})
	require.Len(t, receive(t, fast, 10), 10, "the fast member must get every message")
	require.False(t, fastDropped.Load(), "the fast member was dropped")
	require.True(t, slowDropped.Load(), "a member whose Outbox is full must be dropped (call its Drop)")
	require.Equal(t, []string{"m0", "m1"}, receive(t, slow, 2), "the slow member keeps what was queued before it was dropped")
	select {
	case _, ok := <-slow.Outbox:
		require.False(t, ok, "a dropped member's Outbox must be closed, and get nothing more")
	case <-time.After(2 * time.Second):
		require.FailNow(t, "a dropped member's Outbox must be closed")
	}
}
