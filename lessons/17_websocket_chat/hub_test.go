package wschat_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	chat "netlings/lessons/17_websocket_chat"
	"netlings/tools/testkit"
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
	testkit.CallWithin(t, d, what, hint, f)
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

func TestHub_KeepsAMemberThatIsOnlyMomentarilyBehind(t *testing.T) {
	h := chat.NewHub()
	h.SlowAfter = 3 * time.Second
	go h.Run()
	t.Cleanup(func() { within(t, 2*time.Second, "Stop", h.Stop) })
	busy, busyDropped := member(2) // its writer is busy for a moment
	within(t, time.Second, "Join", func() { h.Join(busy) })
	withinHint(t, time.Second, "Broadcast to a member whose Outbox is full",
		"Run must never wait for room in an Outbox: a send on a full channel blocks until someone receives", func() {
			for i := range 10 {
				h.Broadcast(fmt.Appendf(nil, "m%d", i))
			}
		})
	time.Sleep(100 * time.Millisecond) // then the writer catches up
	start := time.Now()
	var got []string
	for len(got) < 10 {
		select {
		case m, ok := <-busy.Outbox:
			require.True(t, ok, "a member whose Outbox was full for a moment was dropped after %d of 10 messages: "+
				"in a burst every member is behind for a moment, that is not slow. Keep what does not fit in a backlog "+
				"and drop a member only when it stays behind for SlowAfter", len(got))
			got = append(got, string(m))
		case <-time.After(2 * time.Second):
			require.FailNow(t, "a member that makes room in its Outbox did not get the messages that waited", "got %d of 10: %q: "+
				"move the backlog into the Outbox as room appears, also when no new message comes (a timer in Run's select)", len(got), got)
		}
	}
	require.Equal(t, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"}, got,
		"a member that was behind must get every message, in order")
	require.False(t, busyDropped.Load(), "a member that caught up must not be dropped")
	// Taken as fast as they come, the 8 that waited need 4 moves into the
	// Outbox of 2: a few milliseconds each, if Run looks again that often.
	require.Less(t, time.Since(start), 750*time.Millisecond, "the backlog reached the Outbox too slowly "+
		"(10 messages through an Outbox of 2 took %v): while anyone is behind, look again every few milliseconds "+
		"(a time.After of 5 ms or so in Run's select)", time.Since(start))
}

func TestHub_DropsAMemberThatStaysBehind(t *testing.T) {
	h := chat.NewHub()
	h.SlowAfter = 200 * time.Millisecond
	go h.Run()
	t.Cleanup(func() { within(t, 2*time.Second, "Stop", h.Stop) })
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
	for deadline := time.Now().Add(3 * time.Second); !slowDropped.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	require.True(t, slowDropped.Load(), "a member whose Outbox stayed full for SlowAfter (200ms) was not dropped within 3s: "+
		"check how long each member has been behind, also when no message comes (a timer in Run's select), and call its Drop")
	require.False(t, fastDropped.Load(), "the fast member was dropped")
	require.Equal(t, []string{"m0", "m1"}, receive(t, slow, 2), "the slow member keeps what was in its Outbox when it was dropped")
	select {
	case _, ok := <-slow.Outbox:
		require.False(t, ok, "a dropped member's Outbox must be closed, and get nothing more")
	case <-time.After(2 * time.Second):
		require.FailNow(t, "a dropped member's Outbox must be closed")
	}
	within(t, time.Second, "Broadcast after a member was dropped", func() { h.Broadcast([]byte("after")) })
	require.Equal(t, []string{"after"}, receive(t, fast, 1), "the others keep getting messages")
}

func TestHub_ZeroSlowAfterMeansDefault(t *testing.T) {
	t.Parallel()               // it waits for DefaultSlowAfter (5 s)
	h := startHub(t)           // SlowAfter 0
	slow, dropped := member(2) // nobody drains it
	within(t, time.Second, "Join", func() { h.Join(slow) })
	within(t, time.Second, "Broadcast", func() {
		for i := range 10 {
			h.Broadcast(fmt.Appendf(nil, "m%d", i))
		}
	})
	start := time.Now()

	// Meanwhile: only zero means the default. A SlowAfter of 1ns drops a
	// member that stays behind at Run's next look.
	tiny := chat.NewHub()
	tiny.SlowAfter = time.Nanosecond
	go tiny.Run()
	defer within(t, 2*time.Second, "Stop", tiny.Stop)
	stuck, stuckDropped := member(1) // nobody drains it
	within(t, time.Second, "Join", func() { tiny.Join(stuck) })
	within(t, time.Second, "Broadcast", func() {
		for i := range 3 {
			tiny.Broadcast(fmt.Appendf(nil, "m%d", i))
		}
	})
	for !stuckDropped.Load() && time.Since(start) < 2*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	require.True(t, stuckDropped.Load(), "a member that stayed behind was not dropped within 2s with SlowAfter 1ns: "+
		"only a SlowAfter of 0 means DefaultSlowAfter; any positive value is how long a member may stay behind")

	time.Sleep(4*time.Second - time.Since(start))
	require.False(t, dropped.Load(), "a member was dropped within 4s of falling behind with SlowAfter 0: "+
		"SlowAfter 0 means DefaultSlowAfter (5 s), not \"drop at once\" nor another number")
	for !dropped.Load() && time.Since(start) < 8*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	require.True(t, dropped.Load(), "a member that stayed behind was not dropped within 8s with SlowAfter 0: "+
		"SlowAfter 0 means DefaultSlowAfter (5 s), not \"never\"")
}

func TestHub_SlowAfterCountsOneStretchBehind(t *testing.T) {
	const slowAfter = 500 * time.Millisecond
	startHubSlowAfter := func(t *testing.T) *chat.Hub {
		h := chat.NewHub()
		h.SlowAfter = slowAfter
		go h.Run()
		t.Cleanup(func() { within(t, 2*time.Second, "Stop", h.Stop) })
		return h
	}
	broadcast := func(t *testing.T, h *chat.Hub, n int) {
		within(t, time.Second, "Broadcast", func() {
			for i := range n {
				h.Broadcast(fmt.Appendf(nil, "m%d", i))
			}
		})
	}
	// take receives n messages; it reports false if the Outbox was closed.
	take := func(t *testing.T, c *chat.Client, n int) bool {
		t.Helper()
		for range n {
			select {
			case _, ok := <-c.Outbox:
				if !ok {
					return false
				}
			case <-time.After(2 * time.Second):
				require.FailNow(t, "a member did not get a broadcast message within 2s")
			}
		}
		return true
	}

	t.Run("a member that caught up starts afresh", func(t *testing.T) {
		h := startHubSlowAfter(t)
		busy, dropped := member(2)
		within(t, time.Second, "Join", func() { h.Join(busy) })
		broadcast(t, h, 10)
		require.True(t, take(t, busy, 10), "a member that took its messages at once was dropped")
		time.Sleep(slowAfter + 100*time.Millisecond) // caught up all that time
		broadcast(t, h, 10)
		time.Sleep(100 * time.Millisecond) // behind again, for a moment
		ok := take(t, busy, 10)
		require.True(t, ok && !dropped.Load(), "a member that caught up, then fell behind again for 100ms, was dropped "+
			"(SlowAfter %v): SlowAfter counts from when the backlog last became non-empty; "+
			"forget the moment it fell behind once its backlog is empty", slowAfter)
	})

	t.Run("taking a message now and then is not catching up", func(t *testing.T) {
		h := startHubSlowAfter(t)
		slow, dropped := member(1)
		within(t, time.Second, "Join", func() { h.Join(slow) })
		stop := make(chan struct{})
		sent := make(chan struct{})
		go func() { // a message every 10 ms for 3 s
			defer close(sent)
			for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				h.Broadcast([]byte("more"))
			}
		}()
		defer func() { close(stop); <-sent }()
		// Take one every 40 ms: the backlog grows and never empties.
		start := time.Now()
		for !dropped.Load() && time.Since(start) < 2*time.Second {
			select {
			case <-slow.Outbox:
			case <-time.After(time.Second):
			}
			time.Sleep(40 * time.Millisecond)
		}
		require.True(t, dropped.Load(), "a member whose backlog never emptied for 2s was not dropped (SlowAfter %v): "+
			"a member that takes a message now and then while its backlog keeps growing is still behind; "+
			"count from when the backlog became non-empty, not from the last message it took", slowAfter)
	})
}
