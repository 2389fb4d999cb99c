package tcplife

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

const writeHint = "set one write deadline for the whole call, SetWriteDeadline(time.Now().Add(d)), before writing: Write to a peer that does not read blocks until the deadline"

func TestWriteWithin_WritesEverythingToAReadingPeer(t *testing.T) {
	conn, peer := tcpPair(t)
	withDeadline(t, peer)
	data := testkit.RandomBytes(4 << 20)
	read := readN(peer, len(data))

	n, err := testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, data, 4*time.Second) })
	require.NoError(t, err, "WriteWithin to a peer that reads everything")
	require.Equal(t, len(data), n, "WriteWithin should report every byte written")
	res := <-read
	require.NoError(t, res.err, "the peer got %d of %d bytes", len(res.data), len(data))
	testkit.RequireSameBytes(t, data, res.data, "what the peer received")

	empty, err := testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, nil, time.Second) })
	require.NoError(t, err, "writing nothing is not a failure")
	require.Zero(t, empty)
}

// ANCHOR: backpressure
func TestWriteWithin_StopsAtTheBudgetWhenThePeerStopsReading(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trickle bool // the peer reads a little now and then
	}{
		{"peer reads nothing", false},
		{"peer reads 8 KiB every 10 ms", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, peer := tcpPair(t)
			shrinkBuffers(t, conn, peer)
			withDeadline(t, peer)
			stopTrickle := make(chan struct{})
			var trickled <-chan []byte
			if tc.trickle {
				trickled = trickle(peer, stopTrickle)
			}

			// 4 MiB cannot fit in the shrunk socket buffers: the kernel
			// takes what fits and Write waits for room until the budget is
			// spent.
			data := testkit.RandomBytes(4 << 20)
			const budget = 300 * time.Millisecond
			start := time.Now()
			n, err := testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, data, budget) })
			took := time.Since(start)
			close(stopTrickle)

			require.ErrorIs(t, err, os.ErrDeadlineExceeded, "WriteWithin to a peer that stops reading should end with the write deadline's error (wrote %d bytes in %v)", n, took)
			require.GreaterOrEqual(t, took, budget-50*time.Millisecond, "WriteWithin gave up before its budget of %v", budget)
			require.Less(t, took, budget+2*time.Second,
				"WriteWithin took %v with a budget of %v: d is for the whole call. Set the deadline once, time.Now().Add(d), not again for every chunk", took, budget)
			require.Positive(t, n, "the kernel takes what fits in its buffers before Write blocks: WriteWithin should report those bytes")
			require.Less(t, n, len(data), "WriteWithin claims all 4 MiB were written to a peer that stopped reading")

			// Now count what actually arrives: exactly n bytes, no more (a
			// goroutine still writing) and no fewer (a count that lies).
			var got []byte
			if trickled != nil {
				got = <-trickled
				withDeadline(t, peer)
			}
			require.NoError(t, conn.CloseWrite())
			rest, err := readAll(peer)
			got = append(got, rest...)
			require.NoError(t, ignoreEOF(err), "the peer, reading what WriteWithin sent")
			require.Equal(t, n, len(got), "WriteWithin returned %d but the peer received %d bytes: the count must be what the kernel took, and nothing may be sent after WriteWithin returns", n, len(got))
			testkit.RequireSameBytes(t, data[:n], got, "what the peer received")
		})
	}
}

// ANCHOR_END: backpressure

func TestWriteWithin_LeavesNoDeadlineBehind(t *testing.T) {
	conn, peer := tcpPair(t)
	shrinkBuffers(t, conn, peer)
	withDeadline(t, peer)

	// A call that times out, then one that succeeds: neither may leave
	// its deadline on conn.
	const budget = 200 * time.Millisecond
	first, err := testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, testkit.RandomBytes(4<<20), budget) })
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "WriteWithin to a peer that is not reading")
	drained := readN(peer, first)
	require.NoError(t, (<-drained).err)
	_, err = testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, []byte("small"), budget) })
	require.NoError(t, err, "WriteWithin after a timed-out one, to a peer that reads again")
	require.NoError(t, (<-readN(peer, 5)).err)

	time.Sleep(2 * budget) // both budgets are over
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(ioTimeout)))
	_, err = conn.Write([]byte("later"))
	require.NoError(t, err, "a plain Write after WriteWithin returned failed: clear the deadline before returning (SetWriteDeadline(time.Time{}), deferred)")
}

func TestWriteWithin_NoBudgetWritesNothing(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Second} {
		conn, peer := tcpPair(t)
		withDeadline(t, peer)
		n, err := testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, []byte("too late"), d) })
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "WriteWithin with d = %v: the budget is spent before it starts", d)
		require.Zero(t, n, "WriteWithin with d = %v should write nothing", d)
		require.NoError(t, conn.CloseWrite())
		got, err := readAll(peer)
		require.NoError(t, ignoreEOF(err))
		require.Empty(t, got, "WriteWithin with d = %v sent bytes to the peer", d)
	}
}

func TestWriteWithin_ReturnsOtherErrorsAsTheyAre(t *testing.T) {
	conn, peer := tcpPair(t)
	withDeadline(t, conn)
	read := readAsync(conn)
	resetByTest(t, peer)
	waitRead(t, read) // the peer's RST has arrived

	data := testkit.RandomBytes(1 << 20)
	start := time.Now()
	n, err := testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, data, 3*time.Second) })
	require.Error(t, err, "WriteWithin to a connection the peer has reset")
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded) || testkit.IsTimeout(err),
		"WriteWithin to a reset connection returned a timeout error (after %v): return Write's own error as it is (ECONNRESET or EPIPE); only a deadline that passed is a timeout", time.Since(start))
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE),
		"WriteWithin to a reset connection should return Write's own error (ECONNRESET or EPIPE), got %v", err)
	require.Less(t, n, len(data))

	require.NoError(t, conn.Close())
	n, err = testkit.Returns2(t, "WriteWithin", writeHint, func() (int, error) { return WriteWithin(conn, data, time.Second) })
	require.ErrorIs(t, err, net.ErrClosed, "WriteWithin on a closed conn: SetWriteDeadline's (or Write's) net.ErrClosed, as it is")
	require.Zero(t, n, "WriteWithin on a closed conn wrote nothing, so its count must be 0 (when SetWriteDeadline fails, return 0 and its error)")
}

// trickle reads up to 8 KiB from conn every 10 ms until stop is closed,
// then sends everything it read. It leaves a read deadline on conn.
func trickle(conn *net.TCPConn, stop <-chan struct{}) <-chan []byte {
	out := make(chan []byte, 1)
	go func() {
		var got []byte
		buf := make([]byte, 8<<10)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				out <- got
				return
			case <-tick.C:
				// A short deadline: when nothing is there, try next tick.
				conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
				n, err := conn.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil && !testkit.IsTimeout(err) {
					out <- got
					return
				}
			}
		}
	}()
	return out
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
