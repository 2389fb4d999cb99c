package tcplife

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ioTimeout bounds every single read, write, dial and wait in these tests:
// nothing waits forever, even when the code under test is wrong.
const ioTimeout = testkit.IOTimeout

// tcpPair returns the two ends of a fresh loopback TCP connection: the
// end that dialed and the end the listener accepted. Both are closed when
// the test ends. Neither has a deadline: give each one that the test
// reads or writes its own (withDeadline).
func tcpPair(t *testing.T) (dialed, accepted *net.TCPConn) {
	t.Helper()
	ln := testkit.Listen(t)
	type result struct {
		conn net.Conn
		err  error
	}
	acc := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		acc <- result{c, err}
	}()
	d, err := net.DialTimeout("tcp", ln.Addr().String(), ioTimeout)
	require.NoError(t, err, "the test could not connect to its own listener")
	t.Cleanup(func() { d.Close() })
	var r result
	select {
	case r = <-acc:
	case <-time.After(ioTimeout):
		ln.Close()
		t.Fatal("the test's listener did not accept its own connection")
	}
	require.NoError(t, r.err, "the test's listener could not accept")
	t.Cleanup(func() { r.conn.Close() })
	return d.(*net.TCPConn), r.conn.(*net.TCPConn)
}

// withDeadline gives conn a deadline ioTimeout from now and returns it.
func withDeadline(t *testing.T, conn *net.TCPConn) *net.TCPConn {
	t.Helper()
	require.NoError(t, conn.SetDeadline(time.Now().Add(ioTimeout)))
	return conn
}

// shrinkBuffers caps both socket buffers of conn at 32 KiB (the kernel
// may double that), so that a peer that stops reading stops a writer
// after a few hundred KiB, not after the megabytes Linux allows on
// loopback.
func shrinkBuffers(t *testing.T, conns ...*net.TCPConn) {
	t.Helper()
	for _, c := range conns {
		require.NoError(t, c.SetReadBuffer(32<<10))
		require.NoError(t, c.SetWriteBuffer(32<<10))
	}
}

// readAll reads conn until its first error and returns what came and
// that error (io.EOF included, unlike io.ReadAll).
func readAll(conn net.Conn) ([]byte, error) {
	var got []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

// readAsync starts readAll(conn) now, so the read is under way (or its
// data waiting) before whatever the test does next.
func readAsync(conn net.Conn) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		got, err := readAll(conn)
		ch <- readResult{got, err}
	}()
	return ch
}

type readResult struct {
	data []byte
	err  error
}

// waitRead waits for a readAsync. The conn's own deadline ends the read,
// so this only guards against a test bug.
func waitRead(t *testing.T, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(2 * ioTimeout):
		t.Fatal("a test read did not end at its deadline")
		return readResult{}
	}
}

// requireClosed checks that conn was closed by the code under test: any
// operation on it then fails with net.ErrClosed.
func requireClosed(t *testing.T, conn *net.TCPConn, msg string, args ...any) {
	t.Helper()
	require.ErrorIs(t, conn.SetDeadline(time.Now().Add(ioTimeout)), net.ErrClosed, append([]any{msg}, args...)...)
}

// resetByTest closes conn with RST, the test's own way (SO_LINGER 0), so
// that tests of other exercises do not depend on your Abort.
func resetByTest(t *testing.T, conn *net.TCPConn) {
	t.Helper()
	require.NoError(t, conn.SetLinger(0))
	require.NoError(t, conn.Close())
}

// describe names a read's end in the learner's terms.
func describe(err error) string {
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, io.EOF):
		return "io.EOF (a FIN: the normal end)"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET (an RST)"
	case testkit.IsTimeout(err):
		return "its deadline (nothing arrived: " + err.Error() + ")"
	}
	return err.Error()
}
