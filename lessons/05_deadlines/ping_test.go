package deadlines

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// ANCHOR: pings
func TestHeartbeat_PingsAtEveryIntervalAndStopsAtOnce(t *testing.T) {
	inBubble(t, "Heartbeat", func(t *testing.T) {
		const interval = time.Second
		ours, peer := pipe(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		hb := testkit.Go("Heartbeat", func() error { return Heartbeat(ctx, ours, interval) })

		// The peer reads five pings; on the fake clock each one arrives
		// exactly on its tick.
		lines := bufio.NewReader(peer)
		for i := 1; i <= 5; i++ {
			peer.SetReadDeadline(time.Now().Add(fakeLimit))
			line, err := lines.ReadString('\n')
			require.NoError(t, err, "waiting for ping %d (got %q; Heartbeat returned: %v)", i, line, hb.Returned())
			require.Equal(t, Ping, line, "ping %d", i)
			require.Equal(t, time.Duration(i)*interval, time.Since(start),
				"ping %d arrived at the wrong time: pings go out at interval, 2*interval, 3*interval, ... after the call, like the ticks of a time.Ticker", i)
		}

		time.Sleep(interval / 2)
		cancel()
		cancelled := time.Now()
		err := hb.Wait(t, fakeLimit, "its ctx was cancelled", "select on ctx.Done() and the ticker's channel")
		require.NoError(t, err, "a cancelled ctx is the normal way to stop a heartbeat: Heartbeat should return nil")
		require.Zero(t, time.Since(cancelled),
			"Heartbeat returned %v after its ctx was cancelled, not at once: time.Sleep cannot hear a cancel, select on ctx.Done() and the ticker's channel instead", time.Since(cancelled))

		// Nothing more may arrive, ever.
		peer.SetReadDeadline(time.Now().Add(10 * interval))
		line, err := lines.ReadString('\n')
		require.NotErrorIs(t, err, io.EOF, "Heartbeat closed conn: it belongs to the caller, who may still use it. Leave it open")
		require.True(t, isTimeout(err), "the peer received %q after Heartbeat returned (read error %v): once ctx is cancelled, no goroutine may write another ping", line, err)
	})
}

// ANCHOR_END: pings

func TestHeartbeat_CancelWakesABlockedPing(t *testing.T) {
	inBubble(t, "Heartbeat", func(t *testing.T) {
		const interval = time.Second
		ours, peer := pipe(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		hb := testkit.Go("Heartbeat", func() error { return Heartbeat(ctx, ours, interval) })

		// The peer does not read: the first ping, due at 1 s, blocks in
		// Write (net.Pipe has no buffer) with a deadline of 2 s. At 1.5 s
		// the ctx is cancelled.
		time.Sleep(interval + interval/2)
		require.False(t, hb.Returned(), "Heartbeat returned after %v (error: %v) while its ctx was alive and its first ping was not late yet", time.Since(start), hb.Err())
		cancel()
		err := hb.Wait(t, fakeLimit, "its ctx was cancelled during a blocked ping",
			"context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Now()) }) wakes a blocked Write")
		waited := time.Since(start) - (interval + interval/2)
		require.Zero(t, waited,
			"Heartbeat returned %v after the cancel: its Write was blocked and nothing woke it. context.AfterFunc(ctx, ...) can move the write deadline to time.Now()", waited)
		require.NoError(t, err,
			"Heartbeat should return nil after a cancel, even when the cancel is what made its Write fail: check ctx.Err() before you report a write error")

		// Heartbeat leaves conn open for its owner.
		go writeAllWithin(peer, []byte("still there?"), time.Second)
		buf := make([]byte, 32)
		n, err := readWithin(ours, buf, time.Second)
		require.NoError(t, err, "conn no longer works after Heartbeat returned: Heartbeat must not close it, the caller owns it")
		assert.Equal(t, "still there?", string(buf[:n]))
	})
}

func TestHeartbeat_PeerThatStopsReadingIsAnError(t *testing.T) {
	inBubble(t, "Heartbeat", func(t *testing.T) {
		const interval = time.Second
		ours, peer := pipe(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		start := time.Now()
		hb := testkit.Go("Heartbeat", func() error { return Heartbeat(ctx, ours, interval) })

		// The peer reads two pings, then stops reading. The third ping,
		// due at 3 s, is not taken by the time the fourth is due (4 s).
		lines := bufio.NewReader(peer)
		for i := 1; i <= 2; i++ {
			peer.SetReadDeadline(time.Now().Add(fakeLimit))
			line, err := lines.ReadString('\n')
			require.NoError(t, err, "waiting for ping %d", i)
			require.Equal(t, Ping, line, "ping %d", i)
		}
		err := hb.Wait(t, fakeLimit, "its peer stopped reading",
			"a ping must be written within interval: set the write deadline to time.Now().Add(interval) before each Write")
		require.Error(t, err, "Heartbeat returned nil although its third ping was never taken: a peer that stops reading is the failure a heartbeat exists to find")
		assert.True(t, isTimeout(err), "the error should match os.ErrDeadlineExceeded (return the Write's error), got %T %v", err, err)
		assert.Equal(t, 4*interval, time.Since(start), "the third ping (due at 3s) should fail when the fourth is due, at 4s")
	})
}

// TestHeartbeat_LeavesNoGoroutineBehind uses the real clock and a real TCP
// connection, whose kernel buffers take the pings at once, so that a slow
// machine cannot make a ping late.
func TestHeartbeat_LeavesNoGoroutineBehind(t *testing.T) {
	const interval = 50 * time.Millisecond

	// connPair returns the two ends of a loopback TCP connection.
	connPair := func(t *testing.T) (ours, peer net.Conn) {
		ln := testkit.Listen(t)
		ours = testkit.DialTCP(t, ln.Addr().String())
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
		peer, err := ln.Accept()
		require.NoError(t, err, "the test could not accept its own connection")
		t.Cleanup(func() { peer.Close() })
		return ours, peer
	}

	// firstPing waits for the peer to read one ping, or for hb to return.
	firstPing := func(t *testing.T, peer net.Conn, hb *testkit.Running) {
		t.Helper()
		got := make(chan error, 1)
		go func() {
			peer.SetReadDeadline(time.Now().Add(ioTimeout))
			_, err := bufio.NewReader(peer).ReadString('\n')
			got <- err
		}()
		select {
		case err := <-got:
			require.NoError(t, err, "waiting for the first ping")
		case <-hb.Done():
			t.Fatalf("Heartbeat returned before its first ping (error: %v), its ctx still alive", hb.Err())
		}
	}

	t.Run("after a cancel", func(t *testing.T) {
		ignore := goleak.IgnoreCurrent()
		ours, peer := connPair(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()

		hb := testkit.Go("Heartbeat", func() error { return Heartbeat(ctx, ours, interval) })
		firstPing(t, peer, hb)
		time.Sleep(3 * interval)
		require.False(t, hb.Returned(), "Heartbeat returned (error: %v) before its ctx was cancelled, while its peer was reading", hb.Err())
		cancel()
		require.NoError(t, hb.Wait(t, ioTimeout, "its ctx was cancelled", "select on ctx.Done()"), "Heartbeat should return nil after a cancel")
		requireNoLeftovers(t, "Heartbeat", ignore)
	})

	t.Run("on a conn its owner closed", func(t *testing.T) {
		ours, _ := connPair(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ignore := goleak.IgnoreCurrent()
		ours.Close()

		hb := testkit.Go("Heartbeat", func() error { return Heartbeat(ctx, ours, interval) })
		err := hb.Wait(t, ioTimeout, "its conn was closed", "return the error of SetWriteDeadline or Write")
		require.ErrorIs(t, err, net.ErrClosed, "the first ping on a closed conn fails: Heartbeat should return that error")
		requireNoLeftovers(t, "Heartbeat (on a closed conn)", ignore)
	})

	t.Run("after a write error, ctx still alive", func(t *testing.T) {
		ours, peer := connPair(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // only after the check: a leaked watcher of ctx must show up
		ignore := goleak.IgnoreCurrent()

		hb := testkit.Go("Heartbeat", func() error { return Heartbeat(ctx, ours, interval) })
		firstPing(t, peer, hb)
		peer.Close() // a later ping fails: the peer answers with a reset

		err := hb.Wait(t, ioTimeout, "its peer closed the connection", "return the Write's error")
		require.Error(t, err, "Heartbeat returned nil after a ping failed: return the Write's error")
		requireNoLeftovers(t, "Heartbeat (after a failed ping, its ctx still alive)", ignore)
	})
}
