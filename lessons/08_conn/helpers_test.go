package netconn

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

const (
	// ioTimeout bounds every exchange that should succeed: generous, so a
	// slow machine never fails a correct Conn.
	ioTimeout = 3 * time.Second

	// wakeTimeout is how long after its deadline (or Close) a blocked call
	// may take to return. A Conn that ignores deadlines fails after this
	// long, not after a minute.
	wakeTimeout = 2 * time.Second

	// stillBlocked is how long a call is watched to make sure it does not
	// return when it must not: short, because it is the slow path of a
	// passing test.
	stillBlocked = 200 * time.Millisecond
)

// aLongTimeAgo is a deadline in the past, as nettest uses.
var aLongTimeAgo = time.Unix(233431200, 0)

// newPipe calls your Pipe, checks that it returned two ends of your own
// type that can carry a few bytes, and closes both when the test ends.
func newPipe(t *testing.T) (a, b net.Conn) {
	t.Helper()
	a, b = callPipe(t)
	checkBasics(t)
	t.Cleanup(func() {
		closeInCleanup(t, a, "a")
		closeInCleanup(t, b, "b")
	})
	return a, b
}

// callPipe calls Pipe and checks what it returned.
func callPipe(t *testing.T) (a, b net.Conn) {
	t.Helper()
	a, b = testkit.Returns2(t, "Pipe", "", Pipe)
	if a == nil || b == nil {
		t.Fatalf("Pipe returned (%v, %v): it must return two connected ends, *Conn values that you write (see the TODO in pipe.go)", a, b)
	}
	for _, c := range []net.Conn{a, b} {
		if _, ok := c.(*Conn); !ok {
			t.Fatalf("Pipe returned a %T, not a *Conn: net.Pipe exists, but this lesson is about writing one, and net.Pipe is unbuffered (its Write waits for a reader), which is not what Pipe promises", c)
		}
	}
	if a == b {
		t.Fatalf("Pipe returned the same Conn twice: it must return the two ends of a connection")
	}
	return a, b
}

// basics is what checkBasics found, once for all tests: a Conn whose small
// Write or Read never returns would otherwise make every test wait for
// its time-outs, and the whole run would take minutes.
var basics struct {
	once    sync.Once
	problem string
}

// checkBasics fails the test if a small Write without a reader, or a Read
// with bytes buffered, does not return: the first test finds out, and
// every later one says the same at once.
func checkBasics(t *testing.T) {
	t.Helper()
	basics.once.Do(func() {
		a, b := Pipe()
		defer func() {
			go closeQuietly(a)
			go closeQuietly(b)
		}()
		// within runs f and reports whether it returned within wakeTimeout.
		within := func(f func()) bool {
			done := make(chan struct{})
			go func() {
				defer close(done)
				f()
			}()
			select {
			case <-done:
				return true
			case <-time.After(wakeTimeout):
				return false
			}
		}
		if !within(func() { a.Write([]byte("ping")) }) {
			basics.problem = fmt.Sprintf("a.Write of 4 bytes with nobody reading did not return within %v: each direction buffers up to BufferSize bytes, so a small Write returns at once (net.Pipe's waits for a reader: that is the difference)", wakeTimeout)
			return
		}
		if !within(func() { b.Read(make([]byte, 100)) }) {
			basics.problem = fmt.Sprintf("b.Read(a 100-byte buffer) did not return within %v after a wrote 4 bytes: Read returns what is buffered (n > 0) without waiting to fill p", wakeTimeout)
			return
		}
		// A Read that waits must wake when bytes arrive...
		if !within(func() {
			go func() {
				time.Sleep(10 * time.Millisecond)
				a.Write([]byte("x"))
			}()
			b.Read(make([]byte, 100))
		}) {
			basics.problem = fmt.Sprintf("b.Read waited for bytes, a wrote 1 byte, and b.Read did not return within %v: a Write must wake the Read waiting on the other end (signal it after putting the bytes in the buffer)", wakeTimeout)
			return
		}
		// ...and a Write that waits must wake when room appears.
		go io.ReadFull(b, make([]byte, BufferSize+1))
		if !within(func() { a.Write(make([]byte, BufferSize+1)) }) {
			basics.problem = fmt.Sprintf("a.Write of BufferSize+1 bytes waited for room while b read, and did not return within %v: a Read that takes bytes must wake the Write waiting for room (signal it)", wakeTimeout)
		}
	})
	if basics.problem != "" {
		t.Fatal(basics.problem)
	}
}

// closeHung is set once a Close in a cleanup did not return: later
// cleanups skip Close rather than wait for it again.
var closeHung atomic.Bool

// closeInCleanup closes c when a test ends, within wakeTimeout, and says so
// if Close panics or hangs.
func closeInCleanup(t *testing.T, c net.Conn, name string) {
	t.Helper()
	if closeHung.Load() {
		return
	}
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		c.Close()
	}()
	select {
	case p := <-done:
		if p != nil {
			t.Errorf("%s.Close panicked when the test closed it at the end (%v): Close may be called more than once, and every call after the first returns net.ErrClosed (sync.Once; close of a closed channel panics)", name, p)
		}
	case <-time.After(wakeTimeout):
		closeHung.Store(true)
		t.Errorf("%s.Close did not return within %v when the test closed it at the end: Close must never wait (close a channel, set flags under the mutex, return)", name, wakeTimeout)
	}
}

// callClose calls c.Close within wakeTimeout and returns its error; a
// panic fails the test with advice.
func callClose(t *testing.T, c net.Conn, name string) error {
	t.Helper()
	var err error
	var p any
	testkit.CallWithin(t, wakeTimeout, name+".Close", "Close must never wait: close a channel, set flags under the mutex, return", func() {
		defer func() { p = recover() }()
		err = c.Close()
	})
	if p != nil {
		t.Fatalf("%s.Close panicked (%v): a second Close must return net.ErrClosed, not close a channel again (sync.Once)", name, p)
	}
	return err
}

// result is what a Read or a Write returned.
type result struct {
	n    int
	err  error
	data []byte // what a Read read
}

// pending is a Read or a Write running in the background, started by
// goRead or goWrite, so a test can watch it block and wake.
type pending struct {
	name string // "a.Read", "b.Write"
	done chan result
	res  result
	got  bool
}

// goRead starts name (c.Read with a buffer of size bytes) in the background.
func goRead(name string, c net.Conn, size int) *pending {
	p := &pending{name: name, done: make(chan result, 1)}
	go func() {
		buf := make([]byte, size)
		n, err := c.Read(buf)
		p.done <- result{n: n, err: err, data: buf[:max(n, 0)]}
	}()
	return p
}

// goWrite starts name (c.Write(data)) in the background.
func goWrite(name string, c net.Conn, data []byte) *pending {
	p := &pending{name: name, done: make(chan result, 1)}
	go func() {
		n, err := c.Write(data)
		p.done <- result{n: n, err: err}
	}()
	return p
}

// wait waits up to d for the call to return and gives back its result. If
// it is still blocked, the test fails with "<name> did not return within d
// after <event>: <hint>".
func (p *pending) wait(t *testing.T, d time.Duration, event, hint string) result {
	t.Helper()
	if p.got {
		return p.res
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case p.res = <-p.done:
		p.got = true
		return p.res
	case <-timer.C:
		t.Fatalf("%s did not return within %v after %s: %s", p.name, d, event, hint)
		return result{}
	}
}

// requireBlocked fails the test if the call returns within stillBlocked.
func (p *pending) requireBlocked(t *testing.T, why string) {
	t.Helper()
	requireBlockedFor(t, stillBlocked, why, p)
}

// requireBlockedFor fails the test if any of the calls returns within d.
// The calls are watched at the same time, so more calls cost no more time.
func requireBlockedFor(t *testing.T, d time.Duration, why string, calls ...*pending) {
	t.Helper()
	time.Sleep(d)
	for _, p := range calls {
		select {
		case p.res = <-p.done:
			p.got = true
			t.Fatalf("%s returned (%d, %v), but it should still be waiting: %s", p.name, p.res.n, p.res.err, why)
		default:
		}
	}
}

// requireTimeout checks that err is what a passed deadline must return:
// os.ErrDeadlineExceeded for errors.Is, and a net.Error with Timeout() true
// for a plain type assertion, which is how nettest (and much real code)
// looks at it.
func requireTimeout(t *testing.T, err error, what string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("%s returned no error, but its deadline had passed: once the deadline has passed, every call fails with os.ErrDeadlineExceeded", what)
	case errors.Is(err, io.EOF):
		t.Fatalf("%s returned %v after its deadline passed: a time-out is not the end of the stream (the peer is still there), return os.ErrDeadlineExceeded", what, err)
	case !errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("%s returned %q (%T) after its deadline passed; want an error that errors.Is matches with os.ErrDeadlineExceeded", what, err, err)
	}
	ne, ok := err.(net.Error)
	if !ok {
		t.Fatalf("%s returned a %T, which is not a net.Error: return os.ErrDeadlineExceeded itself or wrap it in a *net.OpError (fmt.Errorf's wrapper hides the Timeout method from err.(net.Error))", what, err)
	}
	if !ne.Timeout() {
		t.Fatalf("%s returned %q whose Timeout() is false; a deadline error must say it is a time-out", what, err)
	}
}

// fill writes BufferSize bytes into w, which a correct Conn takes without a
// reader, so that the next Write blocks.
func fill(t *testing.T, w net.Conn, name string) {
	t.Helper()
	n, err := testkit.Returns2(t, name+".Write", "a Write of BufferSize bytes must fit in the empty buffer without a reader (net.Pipe's Write waits for one; yours must not)",
		func() (int, error) { return w.Write(make([]byte, BufferSize)) })
	require.NoError(t, err, "%s.Write of BufferSize bytes into an empty buffer", name)
	require.Equal(t, BufferSize, n, "%s.Write of BufferSize bytes into an empty buffer returned the wrong count", name)
}

// readN reads exactly n bytes from r within ioTimeout.
func readN(t *testing.T, r net.Conn, name string, n int) []byte {
	t.Helper()
	buf := make([]byte, n)
	var got int
	var err error
	testkit.CallWithin(t, ioTimeout, name+".Read", "the bytes were written: Read must return them", func() {
		got, err = io.ReadFull(r, buf)
	})
	require.NoError(t, err, "reading %d bytes from %s: got %d before the error", n, name, got)
	return buf
}

// writeAll writes p to w within ioTimeout, while someone reads.
func writeAll(t *testing.T, w net.Conn, name string, p []byte) {
	t.Helper()
	n, err := testkit.Returns2(t, name+".Write", "", func() (int, error) { return w.Write(p) })
	require.NoError(t, err, "%s.Write", name)
	require.Equal(t, len(p), n, "%s.Write returned the wrong count", name)
}

// setDeadline calls c's method ("SetDeadline", "SetReadDeadline" or
// "SetWriteDeadline") with when, and requires nil.
func setDeadline(t *testing.T, c net.Conn, method string, when time.Time) {
	t.Helper()
	f := map[string]func(time.Time) error{
		"SetDeadline": c.SetDeadline, "SetReadDeadline": c.SetReadDeadline, "SetWriteDeadline": c.SetWriteDeadline,
	}[method]
	err := testkit.Returns(t, method, "setting a deadline must not wait for it: arm a timer and return", func() error { return f(when) })
	require.NoError(t, err, "%s on an open Conn", method)
}
