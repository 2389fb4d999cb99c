package netconn

import (
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// suiteTimeout bounds the whole nettest run. On a correct Conn it takes
// about a second (a few with -race); nettest's own limit is a minute per
// subtest, which is far too long to wait for an answer.
const suiteTimeout = 10 * time.Second

// ANCHOR: suite
func TestPipe_PassesNettest(t *testing.T) {
	// nettest.TestConn is the Go team's own test of the net.Conn contract.
	// A Conn whose deadlines or Close do not wake a blocked call would make
	// it hang for a minute per subtest, so first a quick look at those
	// (the tests above say the same in more detail).
	preflight(t)

	var mu sync.Mutex
	var open []net.Conn
	makePipe := func() (c1, c2 net.Conn, stop func(), err error) {
		c1, c2 = Pipe()
		mu.Lock()
		open = append(open, c1, c2)
		mu.Unlock()
		stop = func() {
			closeQuietly(c1)
			closeQuietly(c2)
		}
		return c1, c2, stop, nil
	}

	finished := make(chan struct{})
	go func() {
		defer close(finished)
		nettest.TestConn(t, makePipe)
	}()
	select {
	case <-finished:
	case <-time.After(suiteTimeout):
		// Close every pipe, which should let nettest's goroutines return,
		// and give them a moment before giving up.
		mu.Lock()
		for _, c := range open {
			go closeQuietly(c)
		}
		mu.Unlock()
		select {
		case <-finished:
		case <-time.After(wakeTimeout):
		}
		t.Fatalf("nettest.TestConn did not finish within %v: a Read or Write stayed blocked. Make the tests above pass first; see which nettest subtest is still running in the output", suiteTimeout)
	}
}

// ANCHOR_END: suite

// preflight stops the test with a clear message if Pipe is unwritten, or
// if a deadline or Close does not wake a blocked call.
func preflight(t *testing.T) {
	t.Helper()
	a, _ := newPipe(t)
	r := goRead("a.Read", a, 10)
	setDeadline(t, a, "SetReadDeadline", time.Now().Add(10*time.Millisecond))
	requireTimeout(t, r.wait(t, wakeTimeout, "its read deadline passed", "see TestConn_ReadDeadlineWakesABlockedRead").err, "a.Read")

	a, _ = newPipe(t)
	fill(t, a, "a")
	w := goWrite("a.Write", a, []byte("x"))
	setDeadline(t, a, "SetWriteDeadline", time.Now().Add(10*time.Millisecond))
	requireTimeout(t, w.wait(t, wakeTimeout, "its write deadline passed", "see TestConn_WriteDeadlineWakesABlockedWrite").err, "a.Write")

	a, b := newPipe(t)
	r = goRead("a.Read", a, 10)
	rb := goRead("b.Read", b, 10)
	time.Sleep(10 * time.Millisecond)
	callClose(t, a, "a")
	r.wait(t, wakeTimeout, "a.Close()", "see TestConn_CloseWakesBlockedReads")
	rb.wait(t, wakeTimeout, "a.Close()", "see TestConn_CloseWakesBlockedReads")

	a, b = newPipe(t)
	fill(t, a, "a")
	fill(t, b, "b")
	w = goWrite("a.Write", a, []byte("x"))
	wb := goWrite("b.Write", b, []byte("y"))
	time.Sleep(10 * time.Millisecond)
	callClose(t, a, "a")
	w.wait(t, wakeTimeout, "a.Close()", "see TestConn_CloseWakesBlockedWrites")
	wb.wait(t, wakeTimeout, "a.Close()", "see TestConn_CloseWakesBlockedWrites")
}

// closeQuietly closes c for nettest, which closes some Conns twice: a Close
// that panics then is reported by TestConn_CallsAfterCloseFailWithErrClosed,
// and must not crash the whole test binary here.
func closeQuietly(c net.Conn) {
	defer func() { _ = recover() }()
	c.Close()
}
