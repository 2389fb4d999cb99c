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

// ANCHOR: aborttest
func TestAbort_PeerReadsConnectionResetNotEOF(t *testing.T) {
	conn, peer := tcpPair(t)
	withDeadline(t, peer)

	// The peer waits in Read with nothing unread: whatever arrives next,
	// FIN or RST, is what its Read reports.
	read := readAsync(peer)
	err := testkit.Returns(t, "Abort", "SetLinger(0), then Close", func() error { return Abort(conn) })
	require.NoError(t, err, "Abort of an open connection")

	res := waitRead(t, read)
	if errors.Is(res.err, io.EOF) {
		t.Fatal("the peer read io.EOF: that is a FIN, the normal goodbye of Close. Call conn.SetLinger(0) before Close, so that Close sends RST")
	}
	require.False(t, testkit.IsTimeout(res.err), "the peer heard nothing after Abort: Abort must close the connection")
	require.ErrorIs(t, res.err, syscall.ECONNRESET, "the peer's Read should fail with ECONNRESET after Abort, got %s", describe(res.err))
	requireClosed(t, conn, "after Abort the connection must be closed (Close, after SetLinger(0))")
}

// ANCHOR_END: aborttest

func TestAbort_DropsWhatWasNotSentYet(t *testing.T) {
	conn, peer := tcpPair(t)
	shrinkBuffers(t, conn, peer)

	// The peer is not reading yet: conn's Write fills both socket buffers
	// and then waits, until its deadline, with data still queued.
	data := testkit.RandomBytes(4 << 20)
	require.NoError(t, conn.SetWriteDeadline(time.Now().Add(300*time.Millisecond)))
	queued, err := conn.Write(data)
	require.True(t, testkit.IsTimeout(err), "the test's writer should have filled the buffers: %v", err)
	require.Positive(t, queued, "the test's writer could not queue anything")

	err = testkit.Returns(t, "Abort", "SetLinger(0), then Close", func() error { return Abort(conn) })
	require.NoError(t, err, "Abort of an open connection with data still queued")

	// Now the peer reads: some of what conn queued, never all, and then
	// the reset. A Close without SetLinger(0) would deliver everything
	// and a FIN.
	withDeadline(t, peer)
	got, err := readAll(peer)
	if errors.Is(err, io.EOF) {
		t.Fatalf("the peer read %d of %d queued bytes and then io.EOF: a plain Close sends everything still queued, then FIN. Abort must drop it: SetLinger(0) before Close", len(got), queued)
	}
	require.ErrorIs(t, err, syscall.ECONNRESET, "the peer should read ECONNRESET after Abort, got %s", describe(err))
	require.Less(t, len(got), queued, "the peer received every queued byte although Abort should have dropped what was still in the send buffer")
}

func TestAbort_OnAClosedConnReturnsErrClosed(t *testing.T) {
	conn, _ := tcpPair(t)
	require.NoError(t, conn.Close())
	err := testkit.Returns(t, "Abort", "", func() error { return Abort(conn) })
	require.ErrorIs(t, err, net.ErrClosed, "Abort of a connection that is closed already should return net.ErrClosed (SetLinger's or Close's error, as it is)")
}
