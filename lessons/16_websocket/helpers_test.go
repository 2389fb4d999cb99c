package websocket_test

import (
	"encoding/binary"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ws "netlings/lessons/16_websocket"
	"netlings/tools/testkit"
)

// Every call into your code goes through one of these, so that a function
// that never returns is reported by name within seconds.

func readFrame(t *testing.T, r io.Reader, limit int64) (ws.Frame, error) {
	t.Helper()
	return testkit.Returns2(t, "ReadFrame", "does it wait for more bytes than the frame has?",
		func() (ws.Frame, error) { return ws.ReadFrame(r, limit) })
}

func writeFrame(t *testing.T, w io.Writer, f ws.Frame) error {
	t.Helper()
	return testkit.Returns(t, "WriteFrame", "", func() error { return ws.WriteFrame(w, f) })
}

func acceptKey(t *testing.T, key string) string {
	t.Helper()
	return testkit.Returns(t, "AcceptKey", "", func() string { return ws.AcceptKey(key) })
}

// lingerHint is what a reset after the close frame means. (A stricter
// ExpectClose than testkit's, which accepts a reset as the end.)
const lingerHint = "closing a socket whose receive buffer still holds the client's bytes makes the kernel send a reset " +
	"instead of a FIN, and a reset can destroy the close frame before the client reads it: " +
	"in Conn.Fail, write the close frame, CloseWrite, read and discard what the client still sends for a moment " +
	"(a read deadline of a second or two), and only then Close"

// expectCloseThenEOF reads one frame, which must be a close frame with
// code, then requires the server to end the TCP connection cleanly (FIN,
// read as io.EOF) at once: not a reset, not silence.
func expectCloseThenEOF(t *testing.T, c *testkit.WSClient, code uint16, why string) {
	t.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := c.ReadFrame()
	if errors.Is(err, syscall.ECONNRESET) {
		require.Failf(t, why+": the connection was reset before the close frame arrived", "want a close frame with code %d; %s", code, lingerHint)
	}
	require.NoError(t, err, "%s: expected a close frame with code %d before the server closes the connection", why, code)
	require.False(t, f.Masked, "%s: the server masked a frame: servers never mask", why)
	require.Equal(t, byte(0x8), f.Op, "%s: expected a close frame (opcode 0x8) with code %d, got opcode 0x%X %q: "+
		"nothing may be echoed before the connection is failed", why, code, f.Op, short(f.Payload))
	require.GreaterOrEqual(t, len(f.Payload), 2, "%s: the close frame must carry the status code %d", why, code)
	require.Equal(t, code, binary.BigEndian.Uint16(f.Payload), "%s: wrong close code", why)
	requireCleanEOF(t, c, why)
}

// requireCleanEOF requires the server's FIN right after its close frame:
// io.EOF within a second, not a reset and not more bytes.
func requireCleanEOF(t *testing.T, c *testkit.WSClient, why string) {
	t.Helper()
	// The FIN leaves right after the close frame: a second is plenty.
	c.Conn.SetReadDeadline(time.Now().Add(time.Second))
	f, err := c.ReadFrame()
	switch {
	case err == nil:
		require.Failf(t, why+": the server sent a frame after its close frame", "opcode 0x%X %q: nothing may follow a close frame", f.Op, short(f.Payload))
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		require.Failf(t, why+": after the close frame the connection was reset, not closed", lingerHint)
	case testkit.IsTimeout(err):
		require.Failf(t, why+": no FIN within a second of the close frame",
			"Fail must shut down its sending side (CloseWrite) right after the close frame, so the client sees the end at once, "+
				"then drain; a server that only drains waits for a client that is waiting for it")
	case !errors.Is(err, io.EOF):
		require.Failf(t, why+": expected the server to end the TCP connection cleanly (io.EOF)", "got %v", err)
	}
}

// short keeps a failure message short.
func short(p []byte) []byte {
	if len(p) > 40 {
		return p[:40]
	}
	return p
}
