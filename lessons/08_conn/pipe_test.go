package netconn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestPipe_ReturnsTwoEndsWithAddresses(t *testing.T) {
	a, b := newPipe(t)
	for _, c := range []struct {
		name          string
		conn          net.Conn
		local, remote string
	}{{"a", a, "a", "b"}, {"b", b, "b", "a"}} {
		local := testkit.Returns(t, "LocalAddr", "", c.conn.LocalAddr)
		remote := testkit.Returns(t, "RemoteAddr", "", c.conn.RemoteAddr)
		require.NotNil(t, local, "the %s end's LocalAddr is nil: code that logs conn.LocalAddr().String() would panic", c.name)
		require.NotNil(t, remote, "the %s end's RemoteAddr is nil", c.name)
		assert.Equal(t, Network, local.Network(), "LocalAddr().Network() of the %s end", c.name)
		assert.Equal(t, Network, remote.Network(), "RemoteAddr().Network() of the %s end", c.name)
		assert.Equal(t, c.local, local.String(), "Pipe's first end is Addr(\"a\"), its second Addr(\"b\"): LocalAddr of the %s end", c.name)
		assert.Equal(t, c.remote, remote.String(), "RemoteAddr of the %s end is the other end's LocalAddr", c.name)
	}
	second, _ := newPipe(t)
	require.NotSame(t, a, second, "two calls of Pipe returned the same Conn: every call makes a new connection")
}

// ANCHOR: bothways
func TestPipe_CarriesBytesBothWaysAtOnce(t *testing.T) {
	a, b := newPipe(t)
	// First one small message each way, one after the other.
	for _, dir := range []struct {
		from, to         net.Conn
		fromName, toName string
	}{{a, b, "a", "b"}, {b, a, "b", "a"}} {
		msg := "to " + dir.toName
		writeAll(t, dir.from, dir.fromName, []byte(msg))
		r := goRead(dir.toName+".Read", dir.to, 100)
		res := r.wait(t, wakeTimeout, dir.fromName+" wrote "+msg,
			"what one end writes, the other reads: Pipe makes two streams and gives them to the ends crosswise (a's outgoing stream is b's incoming one)")
		require.NoError(t, res.err)
		require.Equal(t, msg, string(res.data), "what %s read", dir.toName)
	}

	// Both ends write and read at the same time, more than BufferSize each
	// way, in Writes of odd sizes, and read into small buffers: every byte
	// must arrive once, in order, on the right side.
	const total = 5*BufferSize + 123
	toB, toA := testkit.RandomBytes(total), testkit.RandomBytes(total + 1)[1:]
	sizes := []int{1, 7, 1000, BufferSize - 1, BufferSize, BufferSize + 1, 3*BufferSize + 5}

	type got struct {
		data []byte
		err  error
	}
	var wg sync.WaitGroup
	results := make([]got, 2)
	errs := make([]error, 2)
	testkit.CallWithin(t, ioTimeout, "the exchange (Read and Write on both ends at once)",
		"both ends write more than BufferSize while the other reads: Write must wait for room and Read must wake up when bytes arrive",
		func() {
			for i, end := range []struct {
				w, r net.Conn
				send []byte
			}{{a, b, toB}, {b, a, toA}} {
				wg.Go(func() { errs[i] = writeInPieces(end.w, end.send, sizes) })
				wg.Go(func() {
					buf := make([]byte, 0, total)
					small := make([]byte, 777)
					for len(buf) < total {
						n, err := end.r.Read(small)
						buf = append(buf, small[:n]...)
						if err != nil {
							results[i] = got{buf, err}
							return
						}
					}
					results[i] = got{buf, nil}
				})
			}
			wg.Wait()
		})
	for i, dir := range []string{"a → b", "b → a"} {
		require.NoError(t, errs[i], "writing %s", dir)
		require.NoError(t, results[i].err, "reading %s, after %d of %d bytes", dir, len(results[i].data), total)
	}
	testkit.RequireSameBytes(t, toB, results[0].data, "what b read")
	testkit.RequireSameBytes(t, toA, results[1].data, "what a read")
}

// ANCHOR_END: bothways

func TestPipe_PingPongNeverLosesAWakeUp(t *testing.T) {
	a, b := newPipe(t)
	// Thousands of one-byte round trips: every Read waits, and the Write
	// that wakes it comes at any moment, also just between "nothing there"
	// and the select. A wake-up that gets lost then (an unbuffered signal
	// channel, say) leaves both ends waiting for each other forever.
	const rounds = 5000
	var errA, errB error
	testkit.CallWithin(t, ioTimeout, fmt.Sprintf("%d one-byte round trips", rounds),
		"a Read missed the Write that should have woken it: a Write that comes after Read found nothing and before it waits must leave a signal behind (a channel with room for one)",
		func() {
			var wg sync.WaitGroup
			bounce := func(c net.Conn, start bool) error {
				buf := []byte{0}
				if start {
					if _, err := c.Write(buf); err != nil {
						return err
					}
				}
				for i := range rounds {
					if _, err := io.ReadFull(c, buf); err != nil {
						return fmt.Errorf("round %d: %w", i, err)
					}
					if start && i == rounds-1 {
						return nil
					}
					if _, err := c.Write(buf); err != nil {
						return fmt.Errorf("round %d: %w", i, err)
					}
				}
				return nil
			}
			wg.Go(func() { errA = bounce(a, true) })
			wg.Go(func() { errB = bounce(b, false) })
			wg.Wait()
		})
	require.NoError(t, errA, "a's side of the ping-pong")
	require.NoError(t, errB, "b's side of the ping-pong")
}

// writeInPieces writes p to w in Writes of the given sizes, in turn.
func writeInPieces(w net.Conn, p []byte, sizes []int) error {
	for i := 0; len(p) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(p))
		m, err := w.Write(p[:n])
		if err != nil {
			return err
		}
		if m != n {
			return fmt.Errorf("Write of %d bytes returned n = %d with no error: a Write without error writes everything", n, m)
		}
		p = p[n:]
	}
	return nil
}

func TestConn_ReadReturnsWhatIsBufferedWithoutWaitingForMore(t *testing.T) {
	a, b := newPipe(t)
	writeAll(t, a, "a", []byte("hello, world"))

	// A bigger buffer than the data: Read returns what is there.
	r := goRead("b.Read", b, 100)
	res := r.wait(t, wakeTimeout, "12 bytes were written", "Read must return what is buffered (n > 0) without waiting to fill p")
	require.NoError(t, res.err)
	require.Equal(t, "hello, world", string(res.data), "b.Read(100-byte buffer) after a.Write(\"hello, world\")")

	// A smaller buffer than the data: the rest waits for the next Read.
	writeAll(t, a, "a", []byte("0123456789"))
	for _, want := range []string{"0", "1234", "5678", "9"} {
		r := goRead("b.Read", b, len(want))
		res := r.wait(t, wakeTimeout, "bytes were written", "Read must return what is buffered")
		require.NoError(t, res.err)
		require.Equal(t, want, string(res.data), "reading \"0123456789\" 1, 4, 4 and 1 bytes at a time: keep what does not fit in p for the next Read")
	}

	// Nothing buffered: Read waits until a Write.
	r = goRead("b.Read", b, 10)
	r.requireBlocked(t, "nothing was written, so Read must wait (returning 0, nil would make callers spin)")
	writeAll(t, a, "a", []byte("x"))
	res = r.wait(t, wakeTimeout, "a.Write(\"x\")", "a Write must wake the Read that waits on the other end")
	require.NoError(t, res.err)
	require.Equal(t, "x", string(res.data))
}

func TestConn_ReadOfAnEmptySliceReturnsZeroAtOnce(t *testing.T) {
	a, b := newPipe(t)
	const hint = "a Read with len(p) == 0 has no room to fill: return 0, nil at once (check len(p) before waiting), and never a count above len(p)"

	// Nothing buffered: there is nothing to wait for either.
	n, err := testkit.Returns2(t, "Read of an empty p", hint, func() (int, error) { return b.Read([]byte{}) })
	require.NoError(t, err, "b.Read of an empty p with nothing buffered: %s", hint)
	require.Zero(t, n, "b.Read of an empty p with nothing buffered: %s", hint)

	// Something buffered: it stays there for the next Read.
	writeAll(t, a, "a", []byte("hi"))
	n, err = testkit.Returns2(t, "Read of an empty p", hint, func() (int, error) { return b.Read([]byte{}) })
	require.NoError(t, err, "b.Read of an empty p with 2 bytes buffered: %s", hint)
	require.Zero(t, n, "b.Read of an empty p with 2 bytes buffered: %s", hint)
	require.Equal(t, "hi", string(readN(t, b, "b", 2)), "a Read of an empty p must take nothing from the buffer")
}

func TestConn_WriteBuffersUpToBufferSizeWithoutAReader(t *testing.T) {
	a, b := newPipe(t)

	// Write copies: once it has returned, the caller may reuse p.
	p := []byte("copied")
	writeAll(t, a, "a", p)
	copy(p, "XXXXXX")
	require.Equal(t, "copied", string(readN(t, b, "b", 6)),
		"the caller changed p after a.Write(p) returned, and b read the change: Write must copy p into the buffer (append(buf, p...)), not keep p")

	fill(t, a, "a")

	// The buffer is full: one more byte must wait.
	w := goWrite("a.Write", a, []byte{42})
	w.requireBlocked(t, "the buffer already held BufferSize bytes and nobody read: Write must wait for room, never buffer more (a writer that buffers without bound eats all memory)")

	// Reading one byte makes room for one.
	first := readN(t, b, "b", 1)
	res := w.wait(t, wakeTimeout, "b read 1 byte and so made room", "Read must wake a Write that waits for room")
	require.NoError(t, res.err)
	require.Equal(t, 1, res.n)
	rest := readN(t, b, "b", BufferSize)
	all := append(first, rest...)
	require.Equal(t, make([]byte, BufferSize), all[:BufferSize], "the first BufferSize bytes b read")
	require.Equal(t, byte(42), all[BufferSize], "the byte written when the buffer was full came out wrong")
}

func TestConn_WriteReturnsOnlyWhenTheLastByteIsBuffered(t *testing.T) {
	a, b := newPipe(t)
	const size = 3*BufferSize + 1
	data := testkit.RandomBytes(size)
	w := goWrite("a.Write", a, data)
	w.requireBlocked(t, "a Write of 3*BufferSize+1 bytes with nobody reading cannot be done: wait for the reader")

	// Read slowly. Before each Read, the Write may only have returned if
	// what is not read yet fits in the buffer.
	var got []byte
	buf := make([]byte, 1000)
	for len(got) < size {
		select {
		case res := <-w.done:
			w.res, w.got = res, true
			require.GreaterOrEqual(t, len(got), size-BufferSize,
				"a.Write(%d bytes) returned (%d, %v) when b had read only %d bytes: the other %d cannot all be in a buffer of BufferSize. Write returns only when its last byte is buffered",
				size, res.n, res.err, len(got), size-len(got))
		default:
		}
		n, err := testkit.Returns2(t, "b.Read", "a Write is still sending", func() (int, error) { return b.Read(buf) })
		require.NoError(t, err, "b.Read after %d bytes", len(got))
		got = append(got, buf[:n]...)
	}
	res := w.wait(t, wakeTimeout, "b read every byte", "")
	require.NoError(t, res.err)
	require.Equal(t, size, res.n)
	testkit.RequireSameBytes(t, data, got, "what b read")
}

// ANCHOR: readdeadline
func TestConn_ReadDeadlineWakesABlockedRead(t *testing.T) {
	a, b := newPipe(t)
	const after = 150 * time.Millisecond
	start := time.Now()
	setDeadline(t, a, "SetReadDeadline", start.Add(after))
	r := goRead("a.Read", a, 10)
	res := r.wait(t, after+wakeTimeout, "its read deadline passed",
		"a deadline must wake a Read that is already waiting: select on the deadline's channel too, not only check it when Read starts")
	took := time.Since(start)
	requireTimeout(t, res.err, "a.Read")
	require.Zero(t, res.n, "a.Read that timed out")
	require.GreaterOrEqual(t, took, after, "a.Read timed out after %v, before its deadline (%v)", took, after)

	// The read deadline is for Read only: Write still works.
	n, err := testkit.Returns2(t, "a.Write", "", func() (int, error) { return a.Write([]byte("still here")) })
	require.NoError(t, err, "a.Write after a's read deadline passed: the read deadline is for Read only")
	require.Equal(t, 10, n)
	require.Equal(t, "still here", string(readN(t, b, "b", 10)), "after a's read deadline passed, a.Write must still work")

	// A deadline that has passed stays passed, even when bytes arrive...
	writeAll(t, b, "b", []byte("late"))
	r = goRead("a.Read", a, 10)
	res = r.wait(t, wakeTimeout, "its deadline had passed long ago", "check the deadline before anything else")
	requireTimeout(t, res.err, "a.Read with bytes waiting but a read deadline in the past")
	require.Zero(t, res.n)

	// ...until it is cleared; and nothing was lost.
	setDeadline(t, a, "SetReadDeadline", time.Time{})
	require.Equal(t, "late", string(readN(t, a, "a", 4)), "after SetReadDeadline(time.Time{}), a must read the bytes that arrived while it was timed out")
}

// ANCHOR_END: readdeadline

func TestConn_WriteDeadlineWakesABlockedWrite(t *testing.T) {
	a, b := newPipe(t)
	const after = 150 * time.Millisecond
	start := time.Now()
	setDeadline(t, a, "SetWriteDeadline", start.Add(after))

	// More than fits: the Write buffers BufferSize bytes, then waits for
	// room until the deadline, and says how much it wrote.
	data := testkit.RandomBytes(BufferSize + 100)
	w := goWrite("a.Write", a, data)
	res := w.wait(t, after+wakeTimeout, "its write deadline passed",
		"a deadline must wake a Write that waits for room: select on the deadline's channel too")
	took := time.Since(start)
	requireTimeout(t, res.err, "a.Write")
	require.Equal(t, BufferSize, res.n, "a Write interrupted by its deadline returns how many bytes it buffered: BufferSize here")
	require.GreaterOrEqual(t, took, after, "a.Write timed out after %v, before its deadline (%v)", took, after)

	// The write deadline is for Write only: Read still works, both ways.
	got := readN(t, b, "b", BufferSize)
	testkit.RequireSameBytes(t, data[:BufferSize], got, "the bytes a buffered before its Write timed out")
	writeAll(t, b, "b", []byte("pong"))
	require.Equal(t, "pong", string(readN(t, a, "a", 4)), "after a's write deadline passed, a.Read must still work")

	// Cleared, a can write again.
	setDeadline(t, a, "SetWriteDeadline", time.Time{})
	writeAll(t, a, "a", []byte("again"))
	require.Equal(t, "again", string(readN(t, b, "b", 5)))
}

func TestConn_DeadlineInThePastFailsAtOnce(t *testing.T) {
	for _, c := range []struct {
		name string
		when func() time.Time
	}{{"long ago", func() time.Time { return aLongTimeAgo }}, {"now", time.Now}} {
		t.Run(c.name, func(t *testing.T) {
			a, b := newPipe(t)
			writeAll(t, b, "b", []byte("ready")) // a could read...
			// ...and a's buffer to b has room: both calls could go ahead,
			// but their deadline has passed.
			setDeadline(t, a, "SetDeadline", c.when())

			n, err := testkit.Returns2(t, "a.Read", "", func() (int, error) { return a.Read(make([]byte, 10)) })
			requireTimeout(t, err, "a.Read with a deadline "+c.name)
			require.Zero(t, n, "a.Read with a deadline %s must read nothing, even with bytes waiting", c.name)
			n, err = testkit.Returns2(t, "a.Write", "", func() (int, error) { return a.Write([]byte("x")) })
			requireTimeout(t, err, "a.Write with a deadline "+c.name)
			require.Zero(t, n, "a.Write with a deadline %s must write nothing, even with room in the buffer", c.name)

			setDeadline(t, a, "SetDeadline", time.Time{})
			require.Equal(t, "ready", string(readN(t, a, "a", 5)), "after SetDeadline(time.Time{}), a.Read must work again")
			writeAll(t, a, "a", []byte("go"))
			require.Equal(t, "go", string(readN(t, b, "b", 2)), "only the Write after SetDeadline(time.Time{}) reaches b")
		})
	}
}

// ANCHOR: setwhileblocked
func TestConn_DeadlineSetWhileBlockedWakesTheCall(t *testing.T) {
	a, _ := newPipe(t)
	fill(t, a, "a")

	// No deadline yet: both calls wait.
	r := goRead("a.Read", a, 10)
	w := goWrite("a.Write", a, []byte("x"))
	requireBlockedFor(t, stillBlocked, "nothing was written to a, and a's buffer to b is full and b does not read", r, w)

	// A deadline set now, while they wait, applies to them.
	setDeadline(t, a, "SetDeadline", time.Now().Add(100*time.Millisecond))
	hint := "a deadline set while a call waits must wake it: the call selects on the deadline's channel, and set closes that same channel (see TestDeadline_AWaiterSeesLaterSets)"
	requireTimeout(t, r.wait(t, wakeTimeout, "SetDeadline(now + 100ms)", hint).err, "a.Read blocked before its deadline was set")
	requireTimeout(t, w.wait(t, wakeTimeout, "SetDeadline(now + 100ms)", hint).err, "a.Write blocked before its deadline was set")

	// The same with a deadline in the past, for each direction alone.
	setDeadline(t, a, "SetDeadline", time.Time{})
	r = goRead("a.Read", a, 10)
	r.requireBlocked(t, "the deadline was cleared")
	setDeadline(t, a, "SetReadDeadline", aLongTimeAgo)
	requireTimeout(t, r.wait(t, wakeTimeout, "SetReadDeadline(long ago)", hint).err, "a.Read")

	w = goWrite("a.Write", a, []byte("x"))
	w.requireBlocked(t, "the write deadline was cleared and the buffer is full")
	setDeadline(t, a, "SetWriteDeadline", aLongTimeAgo)
	requireTimeout(t, w.wait(t, wakeTimeout, "SetWriteDeadline(long ago)", hint).err, "a.Write")
}

// ANCHOR_END: setwhileblocked

func TestConn_ExtendingADeadlineKeepsTheCallWaiting(t *testing.T) {
	for i, later := range []time.Time{time.Now().Add(time.Hour), {}} {
		// On a very busy machine the test itself may be held up for longer
		// than the first deadline before it moves it; then it tries again.
		for attempt := 0; !extendWhileBlocked(t, i == 0, later); attempt++ {
			if attempt == 2 {
				t.Logf("this machine is too busy to move a deadline within 150ms: not judged")
				break
			}
		}
	}
}

// extendWhileBlocked starts a Read (nothing to read) and a Write (no room)
// with deadlines 300ms away, moves the deadlines to later before they
// pass, and checks that both calls go on waiting and then succeed. With
// each, it uses SetReadDeadline and SetWriteDeadline, else SetDeadline. It
// returns false if the test was held up so long that the first deadlines
// may have passed before they were moved.
func extendWhileBlocked(t *testing.T, each bool, later time.Time) bool {
	t.Helper()
	const first = 300 * time.Millisecond
	a, b := newPipe(t)
	fill(t, a, "a")

	start := time.Now()
	set := func(when time.Time) {
		if each {
			setDeadline(t, a, "SetReadDeadline", when)
			setDeadline(t, a, "SetWriteDeadline", when)
		} else {
			setDeadline(t, a, "SetDeadline", when)
		}
	}
	set(start.Add(first))
	r := goRead("a.Read", a, 10)
	w := goWrite("a.Write", a, []byte("yo"))
	set(later)
	if time.Since(start) > first/2 {
		return false
	}
	requireBlockedFor(t, first+stillBlocked,
		fmt.Sprintf("its deadline (now + %v) was moved to %s before it passed; a new deadline replaces the old one, so the old deadline's timer must be stopped", first, fmtDeadline(later)),
		r, w)

	writeAll(t, b, "b", []byte("hi"))
	res := r.wait(t, wakeTimeout, "b wrote", "")
	require.NoError(t, res.err, "a.Read, after its deadline was moved to %s", fmtDeadline(later))
	require.Equal(t, "hi", string(res.data))
	readN(t, b, "b", 2) // room for 2 bytes
	res = w.wait(t, wakeTimeout, "b read 2 bytes and so made room", "")
	require.NoError(t, res.err, "a.Write, after its deadline was moved to %s", fmtDeadline(later))
	require.Equal(t, 2, res.n)
	return true
}

func fmtDeadline(t time.Time) string {
	if t.IsZero() {
		return "the zero time (no deadline)"
	}
	return "an hour from now"
}

// ANCHOR: close
func TestConn_CloseWakesBlockedReads(t *testing.T) {
	a, b := newPipe(t)
	ra := goRead("a.Read", a, 10)
	rb := goRead("b.Read", b, 10)
	requireBlockedFor(t, stillBlocked, "nothing was written", ra, rb)

	require.NoError(t, callClose(t, a, "a"), "the first Close")

	res := ra.wait(t, wakeTimeout, "a.Close()", "Close must wake this end's waiting Read: close a channel that Read selects on")
	require.ErrorIs(t, res.err, net.ErrClosed, "a.Read, blocked when a.Close was called, must fail with net.ErrClosed")
	res = rb.wait(t, wakeTimeout, "a.Close()", "Close must wake the other end's waiting Read too: it sees the end of the stream")
	require.Equal(t, io.EOF, res.err, "b.Read, blocked when a.Close was called, must return io.EOF itself (not wrapped: callers compare err == io.EOF)")
	require.Zero(t, res.n)
}

// ANCHOR_END: close

func TestConn_CloseWakesBlockedWrites(t *testing.T) {
	a, b := newPipe(t)
	// Each Write buffers BufferSize bytes and waits for room for the rest.
	wa := goWrite("a.Write", a, make([]byte, BufferSize+5))
	wb := goWrite("b.Write", b, make([]byte, BufferSize+5))
	requireBlockedFor(t, stillBlocked, "both Writes are bigger than the buffer and nobody reads", wa, wb)

	require.NoError(t, callClose(t, a, "a"), "the first Close")

	res := wa.wait(t, wakeTimeout, "a.Close()", "Close must wake this end's waiting Write")
	require.ErrorIs(t, res.err, net.ErrClosed, "a.Write, blocked when a.Close was called, must fail with net.ErrClosed")
	require.Equal(t, BufferSize, res.n, "a.Write, interrupted by Close, returns how many bytes it had buffered")
	res = wb.wait(t, wakeTimeout, "a.Close()", "Close must wake the other end's waiting Write: nobody will ever read what it writes")
	require.ErrorIs(t, res.err, io.ErrClosedPipe, "b.Write, blocked when a (its reader) closed, must fail with io.ErrClosedPipe")
	require.Equal(t, BufferSize, res.n, "b.Write, interrupted when a closed, returns how many bytes it had buffered")
}

func TestConn_CloseIsLikeTCPsFIN(t *testing.T) {
	a, b := newPipe(t)
	writeAll(t, a, "a", []byte("last words"))
	require.NoError(t, callClose(t, a, "a"))

	// b still reads what a wrote before it closed, then io.EOF, for good.
	require.Equal(t, "last words", string(readN(t, b, "b", 10)), "the bytes a wrote before Close must still reach b, as with TCP")
	for range 2 {
		n, err := testkit.Returns2(t, "b.Read", "", func() (int, error) { return b.Read(make([]byte, 10)) })
		require.Zero(t, n)
		require.Equal(t, io.EOF, err, "b.Read after a closed and everything was read: io.EOF itself, every time")
	}
	// Nobody will read what b writes now.
	_, err := testkit.Returns2(t, "b.Write", "", func() (int, error) { return b.Write([]byte("anyone?")) })
	require.ErrorIs(t, err, io.ErrClosedPipe, "b.Write after a closed")
	require.NoError(t, callClose(t, b, "b"), "b.Close after a.Close is b's first Close: nil")
}

func TestConn_CallsAfterCloseFailWithErrClosed(t *testing.T) {
	a, b := newPipe(t)
	writeAll(t, b, "b", []byte("unread"))
	require.NoError(t, callClose(t, a, "a"), "the first Close")

	err := callClose(t, a, "a")
	require.ErrorIs(t, err, net.ErrClosed, "a second Close")
	_, err = testkit.Returns2(t, "a.Read", "", func() (int, error) { return a.Read(make([]byte, 10)) })
	require.ErrorIs(t, err, net.ErrClosed, "a.Read after a.Close, even with bytes unread: Close drops them")
	_, err = testkit.Returns2(t, "a.Write", "", func() (int, error) { return a.Write([]byte("x")) })
	require.ErrorIs(t, err, net.ErrClosed, "a.Write after a.Close")
	for name, set := range map[string]func(time.Time) error{
		"SetDeadline": a.SetDeadline, "SetReadDeadline": a.SetReadDeadline, "SetWriteDeadline": a.SetWriteDeadline,
	} {
		err := testkit.Returns(t, name, "", func() error { return set(time.Now().Add(time.Second)) })
		require.ErrorIs(t, err, net.ErrClosed, "a.%s after a.Close", name)
	}
	require.Equal(t, "a", testkit.Returns(t, "LocalAddr", "", a.LocalAddr).String(), "LocalAddr keeps working after Close")
	require.Equal(t, "b", testkit.Returns(t, "RemoteAddr", "", a.RemoteAddr).String(), "RemoteAddr keeps working after Close")
}

// ANCHOR: interleave
func TestConn_ConcurrentWritesDoNotInterleave(t *testing.T) {
	a, b := newPipe(t)
	// Writer i writes Writes of size[i] bytes, all equal to i. Each Write
	// is bigger than the buffer, so it has to wait for room in the middle:
	// another writer must not slip in then.
	sizes := []int{BufferSize + 1, 2*BufferSize - 3, BufferSize + 700, 3 * BufferSize, BufferSize + 1, 2*BufferSize + 9}
	const writes = 3
	total := 0
	for _, s := range sizes {
		total += writes * s
	}
	var wg sync.WaitGroup
	errs := make([]error, len(sizes))
	var got []byte
	var readErr error
	testkit.CallWithin(t, ioTimeout, fmt.Sprintf("%d writers and one reader", len(sizes)), "", func() {
		for i, size := range sizes {
			wg.Go(func() {
				p := make([]byte, size)
				for j := range p {
					p[j] = byte(i)
				}
				for range writes {
					if _, err := a.Write(p); err != nil {
						errs[i] = err
						return
					}
				}
			})
		}
		got = make([]byte, total)
		_, readErr = io.ReadFull(b, got)
		wg.Wait()
	})
	require.NoError(t, errors.Join(errs...), "the writers")
	require.NoError(t, readErr, "the reader")

	// got is a run of Writes: a run of byte i must be a whole number of
	// writer i's Writes.
	for start := 0; start < total; {
		v := got[start]
		end := start
		for end < total && got[end] == v {
			end++
		}
		require.Less(t, int(v), len(sizes), "byte %d at offset %d was never written", v, start)
		if (end-start)%sizes[v] != 0 {
			t.Fatalf("at offset %d, writer %d's bytes stop after %d bytes, but its Writes are %d bytes each: another Write got in between. Hold a write mutex for the whole Write, waits for room included", start, v, end-start, sizes[v])
		}
		start = end
	}
}

// ANCHOR_END: interleave

func TestConn_IsSafeForConcurrentUse(t *testing.T) {
	a, b := newPipe(t)
	// Every method of a, from many goroutines at once, while b echoes. The
	// results do not matter; run with -race (make check-lesson does) and a
	// missing mutex shows up as a DATA RACE report.
	go io.Copy(b, b) // ends when the test closes the pipe
	testkit.CallWithin(t, ioTimeout, "every method of a Conn from 70 goroutines at once",
		"a deadlock? Deadlines of 10ms and in the past were set, and every Read and Write must return once its deadline has passed",
		func() {
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() { a.Read(make([]byte, 1024)) })
				wg.Go(func() { a.Write(make([]byte, 1024)) })
				wg.Go(func() { a.SetDeadline(time.Now().Add(10 * time.Millisecond)) })
				wg.Go(func() { a.SetReadDeadline(aLongTimeAgo) })
				wg.Go(func() { a.SetWriteDeadline(aLongTimeAgo) })
				wg.Go(func() { _ = a.LocalAddr().String() })
				wg.Go(func() { _ = a.RemoteAddr().String() })
			}
			wg.Wait()
		})

	// Still a working connection.
	setDeadline(t, a, "SetDeadline", time.Time{})
	writeAll(t, a, "a", []byte{0xff})
	testkit.CallWithin(t, ioTimeout, "a.Read", "b echoes what a writes", func() {
		buf := make([]byte, 1024)
		for {
			n, err := a.Read(buf)
			if err != nil || (n > 0 && buf[n-1] == 0xff) {
				return
			}
		}
	})
}

func TestConn_CloseLeavesNoGoroutineBehind(t *testing.T) {
	before := goleak.IgnoreCurrent()
	a, b := callPipe(t)
	checkBasics(t)

	// Use it, with deadlines pending far in the future, then close both.
	setDeadline(t, a, "SetDeadline", time.Now().Add(time.Hour))
	setDeadline(t, b, "SetReadDeadline", time.Now().Add(time.Hour))
	writeAll(t, a, "a", []byte("bye"))
	readN(t, b, "b", 3)
	r := goRead("b.Read", b, 10)
	r.requireBlocked(t, "nothing more was written")
	callClose(t, a, "a")
	callClose(t, b, "b")
	r.wait(t, wakeTimeout, "both ends closed", "")

	// No goroutine you started may still run now, such as one that sleeps
	// until a deadline: time.AfterFunc needs no goroutine of its own until
	// it fires. (goleak retries for a while before it complains.)
	if err := goleak.Find(before); err != nil {
		t.Fatalf("both ends are closed, but goroutines started by your code are still running (for a deadline an hour away, say: use time.AfterFunc and Stop it, not a goroutine that sleeps):\n%v", err)
	}
}
