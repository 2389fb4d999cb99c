package deadlines

import (
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// readHint explains a Read that never returned.
const readHint = "a Read on a silent conn should fail after Idle: set the read deadline (r.Conn.SetReadDeadline(time.Now().Add(r.Idle))) before you call r.Conn.Read"

// These tests run in a synctest bubble (see inBubble): the clock is fake,
// so "10 s of silence" takes no time at all and every time below is exact.

// ANCHOR: steady
func TestIdleReader_SlowButSteadyStreamSucceeds(t *testing.T) {
	inBubble(t, "IdleReader", func(t *testing.T) {
		const idle = time.Second
		ours, peer := pipe(t)

		// The peer sends one byte every 0.6 s for 24 s: never silent for
		// idle, but far longer than idle in total.
		const n = 40
		go func() {
			defer peer.Close() // then our Read returns io.EOF
			for i := range n {
				time.Sleep(600 * time.Millisecond)
				if writeAllWithin(peer, []byte{'a' + byte(i%26)}, time.Second) != nil {
					return
				}
			}
		}()

		start := time.Now()
		got, err := returns2Within(t, fakeLimit, "io.ReadAll(&IdleReader{...})", readHint, func() ([]byte, error) {
			return io.ReadAll(&IdleReader{Conn: ours, Idle: idle})
		})
		if isTimeout(err) {
			t.Fatalf("the stream timed out after %v and %d of %d bytes, although the peer never paused for more than 0.6s (idle is 1s): "+
				"a deadline is an absolute time, so a deadline set once ends even a busy stream. Renew it before every Read", time.Since(start), len(got), n)
		}
		require.NoError(t, err, "reading a slow but steady stream that ends with the peer's Close (io.EOF)")
		assert.Len(t, got, n, "io.ReadAll should return every byte the peer sent")
	})
}

// ANCHOR_END: steady

func TestIdleReader_SilenceIsATimeoutNotEOF(t *testing.T) {
	inBubble(t, "IdleReader", func(t *testing.T) {
		const idle = 10 * time.Second
		ours, peer := pipe(t)
		r := &IdleReader{Conn: ours, Idle: idle}
		start := time.Now()

		// 1. No data at all.
		n, err := returns2Within(t, fakeLimit, "IdleReader.Read", readHint, func() (int, error) { return r.Read(make([]byte, 16)) })
		requireIdleTimeout(t, "a Read on a silent conn", n, err, time.Since(start), idle)

		// 2. Silence after some data.
		go func() {
			time.Sleep(2 * time.Second)
			writeAllWithin(peer, []byte("abc"), fakeLimit)
		}()
		lastByte := start.Add(12 * time.Second) // idle has passed once already, then 2 s
		got, err := returns2Within(t, fakeLimit, "io.ReadAll(&IdleReader{...})", readHint, func() ([]byte, error) { return io.ReadAll(r) })
		require.Equal(t, "abc", string(got), "io.ReadAll should return the bytes that came before the silence")
		requireIdleTimeout(t, "io.ReadAll after \"abc\" and silence", 0, err, time.Since(lastByte), idle)

		// 3. The next Read works again.
		go func() {
			time.Sleep(3 * time.Second)
			writeAllWithin(peer, []byte("more"), fakeLimit)
		}()
		buf := make([]byte, 16)
		n, err = returns2Within(t, fakeLimit, "IdleReader.Read", readHint, func() (int, error) { return r.Read(buf) })
		require.NoError(t, err, "a Read after a timeout starts a new idle period: the peer's next bytes, 3s later, should arrive (set the deadline again on every Read, and keep no error from earlier Reads)")
		assert.Equal(t, "more", string(buf[:n]))

		// 4. A tiny Idle is a limit too: only Idle <= 0 means none.
		tiny := &IdleReader{Conn: ours, Idle: time.Nanosecond}
		before := time.Now()
		n, err = returns2Within(t, fakeLimit, "IdleReader.Read", "with Idle 1ns the Read should time out after 1ns: only Idle <= 0 means no limit", func() (int, error) { return tiny.Read(buf) })
		requireIdleTimeout(t, "a Read with Idle 1ns", n, err, time.Since(before), time.Nanosecond)

		// 5. On a conn that its owner has closed, Read fails and reads nothing.
		ours.Close()
		n, err = returns2Within(t, fakeLimit, "IdleReader.Read", "", func() (int, error) { return r.Read(buf) })
		require.Error(t, err, "a Read on a closed conn should fail (SetReadDeadline or Read says so): return that error")
		assert.Zero(t, n, "a Read on a closed conn has read nothing")
	})
}

// requireIdleTimeout checks that a Read returned a deadline error after
// exactly idle of silence.
func requireIdleTimeout(t *testing.T, what string, n int, err error, silence, idle time.Duration) {
	t.Helper()
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("%s: after %v of silence Read returned (%d, %v): a Read that times out must return the deadline error as it is. "+
			"io.EOF, or no error, would tell the caller the peer has finished, and it has not: it is only silent", what, silence, n, err)
	}
	require.True(t, isTimeout(err), "%s: a Read that waited too long should fail with an error that matches os.ErrDeadlineExceeded and whose Timeout() is true; got %T %v", what, err, err)
	assert.Zero(t, n, "%s: a Read that times out has read nothing", what)
	assert.Equal(t, idle, silence, "%s: the Read should time out exactly Idle after it started waiting: deadline = time.Now().Add(Idle), set right before the Read", what)
}

func TestIdleReader_RenewsTheReadDeadlineBeforeEveryRead(t *testing.T) {
	for _, tc := range []struct {
		idle time.Duration
		want string // the deadline each Read sets
	}{
		{10 * time.Second, "SetReadDeadline(10s)"},
		{0, "SetReadDeadline(none)"},
		{-time.Second, "SetReadDeadline(none)"},
	} {
		t.Run("Idle "+tc.idle.String(), func(t *testing.T) {
			inBubble(t, "IdleReader", func(t *testing.T) {
				ours, peer := pipe(t)
				conn := &recordingConn{Conn: ours}
				r := &IdleReader{Conn: conn, Idle: tc.idle}

				go func() {
					for _, s := range []string{"one", "two", "three"} {
						time.Sleep(4 * time.Second)
						writeAllWithin(peer, []byte(s), fakeLimit)
					}
				}()
				buf := make([]byte, 16)
				for i := range 3 {
					_, err := returns2Within(t, fakeLimit, "IdleReader.Read", readHint, func() (int, error) { return r.Read(buf) })
					require.NoError(t, err, "Read %d of 3, 4s after the previous one (Idle %v)", i+1, tc.idle)
				}

				want := []string{tc.want, "Read", tc.want, "Read", tc.want, "Read"}
				if got := conn.Log(); !slices.Equal(want, got) {
					t.Fatalf("three IdleReader.Reads made these calls on the conn:\n\t%s\nwant:\n\t%q\n"+
						"Each Read should call SetReadDeadline(time.Now().Add(Idle)) (the zero time.Time when Idle <= 0, which clears an old deadline), then Conn.Read once: "+
						"no polling with short deadlines, and SetReadDeadline, not SetDeadline (the write deadline belongs to whoever writes)", shortLog(got), want)
				}
			})
		})
	}
}

func TestIdleReader_ZeroIdleMeansNoLimit(t *testing.T) {
	for _, idle := range []time.Duration{0, -time.Second} {
		t.Run("Idle "+idle.String(), func(t *testing.T) {
			inBubble(t, "IdleReader", func(t *testing.T) {
				ours, peer := pipe(t)
				// Someone used this conn before with a deadline that has
				// passed: it must not end our Read.
				ours.SetReadDeadline(time.Now().Add(-time.Second))
				go func() {
					time.Sleep(30 * time.Second)
					writeAllWithin(peer, []byte("late"), fakeLimit)
				}()
				buf := make([]byte, 16)
				n, err := returns2Within(t, fakeLimit, "IdleReader.Read", readHint, func() (int, error) {
					return (&IdleReader{Conn: ours, Idle: idle}).Read(buf)
				})
				require.NoError(t, err, "with Idle %v there is no limit: clear the read deadline with SetReadDeadline(time.Time{}) (an old one is still set on this conn), then wait as long as it takes", idle)
				assert.Equal(t, "late", string(buf[:n]))
			})
		})
	}
}

var _ net.Conn = (*recordingConn)(nil)
var _ = testkit.IOTimeout
