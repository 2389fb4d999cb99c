package testkit_test

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestListen_OpensAFreeLoopbackPort(t *testing.T) {
	ln := testkit.Listen(t)
	addr := ln.Addr().(*net.TCPAddr)
	assert.True(t, addr.IP.Equal(net.IPv4(127, 0, 0, 1)), "Listen must listen on 127.0.0.1 only, got %v", addr.IP)
	assert.NotZero(t, addr.Port)
}

func TestDialTCP_FailsTheTestWhenNobodyListens(t *testing.T) {
	ln := testkit.Listen(t)
	addr := ln.Addr().String()
	ln.Close()
	r := record(t, func(tb testing.TB) { testkit.DialTCP(tb, addr) })
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "the test client could not connect to the server")
}

func TestStartTCPServer_ServesClientsAndCleansUp(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var running atomic.Int32
	t.Run("serving", func(t *testing.T) {
		addr := testkit.StartTCPServer(t, func(conn *net.TCPConn) {
			running.Add(1)
			defer running.Add(-1)
			io.Copy(conn, conn) // an echo that ends when the client closes, or the test
		})
		a, b := testkit.DialTCP(t, addr), testkit.DialTCP(t, addr)
		for _, c := range []*net.TCPConn{b, a} { // b first: each client has its own goroutine
			_, err := c.Write([]byte("ping"))
			require.NoError(t, err)
			got := make([]byte, 4)
			_, err = io.ReadFull(c, got)
			require.NoError(t, err)
			assert.Equal(t, "ping", string(got))
		}
		assert.EqualValues(t, 2, running.Load(), "both connections are open")
	})
	assert.Zero(t, running.Load(), "when the test ended, every connection should be closed and every handler done")
}

func TestStartSilentServer_NeverAnswers(t *testing.T) {
	conn := testkit.DialTCP(t, testkit.StartSilentServer(t))
	_, err := conn.Write([]byte("Hello?"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	n, err := conn.Read(make([]byte, 1))
	assert.Zero(t, n)
	assert.True(t, testkit.IsTimeout(err), "the silent server neither answers nor closes: the read should time out, got %v", err)
}

func TestIsTimeout_OnlyForDeadlines(t *testing.T) {
	assert.False(t, testkit.IsTimeout(nil))
	assert.False(t, testkit.IsTimeout(io.EOF))
	assert.True(t, testkit.IsTimeout(&net.OpError{Op: "read", Err: errTimeout{}}))
}

type errTimeout struct{}

func (errTimeout) Error() string   { return "i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }

func TestBrokenListener_FailsEveryAcceptAndRecordsClose(t *testing.T) {
	errBroken := errors.New("broken")
	ln := &testkit.BrokenListener{Err: errBroken}
	for range 2 {
		conn, err := ln.Accept()
		assert.Nil(t, conn)
		assert.ErrorIs(t, err, errBroken)
	}
	assert.False(t, ln.Closed())
	require.NoError(t, ln.Close())
	assert.True(t, ln.Closed())
	assert.Equal(t, "127.0.0.1:0", ln.Addr().String())
}
