package tcplife

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ANCHOR: statetest
func TestState_FollowsTheFourWayClose(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("TCP_INFO is a Linux socket option; %s does not show a socket's TCP state this way (State returns ErrNoTCPInfo here)", runtime.GOOS)
	}
	a, b := tcpPair(t)
	withDeadline(t, a)
	withDeadline(t, b)
	requireState(t, a, "ESTABLISHED", "the dialing end of a fresh connection")
	requireState(t, b, "ESTABLISHED", "the accepted end of a fresh connection")

	// a half-closes: FIN →, ← ACK. b's Read returns io.EOF once the FIN
	// is in, and b's kernel has acknowledged it.
	require.NoError(t, a.CloseWrite())
	_, err := b.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	requireState(t, b, "CLOSE_WAIT", "the end that received a FIN (it may still send)")
	requireState(t, a, "FIN_WAIT2", "the end that sent a FIN, once it was acknowledged (it may still receive)")

	// b still talks to a, then half-closes too: ← FIN, ACK →.
	_, err = b.Write([]byte("still here"))
	require.NoError(t, err)
	require.NoError(t, b.CloseWrite())
	got, err := readAll(a)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, "still here", string(got))
	requireState(t, b, "CLOSE", "the end that sent the last FIN, once it was acknowledged (LAST_ACK is over)")
	// a's kernel now keeps a TIME_WAIT entry of its own (ss -tan shows it);
	// the socket a still holds is done: CLOSE.
	requireState(t, a, "CLOSE", "the end that sent the first FIN, after the second one (its TIME_WAIT lives on in the kernel, apart from the socket)")

	a.Close()
	_, err = testkit.Returns2(t, "State", "", func() (string, error) { return State(a) })
	require.Error(t, err, "State of a closed connection should fail: there is no socket to ask")
}

// ANCHOR_END: statetest

// requireState waits up to 2 s for conn to reach the state want: a
// segment's effect on the other end takes a moment to land.
func requireState(t *testing.T, conn *net.TCPConn, want, what string) {
	t.Helper()
	var got string
	var err error
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, err = testkit.Returns2(t, "State", "read TCP_INFO in raw.Control and look its State byte up in tcpStates", func() (string, error) { return State(conn) })
		require.NoError(t, err, "State of %s", what)
		if got == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, want, got, "the kernel's state of %s", what)
}
