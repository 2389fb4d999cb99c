package tcplife

import (
	"errors"
	"net"
)

// ANCHOR: abort

// Abort closes conn with a reset instead of the usual goodbye: the kernel
// sends RST, not FIN, and throws away whatever conn had not sent yet. The
// peer's next Read fails with ECONNRESET (errors.Is(err,
// syscall.ECONNRESET)), where a plain Close would give it io.EOF.
//
// Abort closes conn in every case. On a conn that is closed already it
// returns an error matching net.ErrClosed.
func Abort(conn *net.TCPConn) error {
	// TODO: conn.SetLinger(0), then conn.Close(). See "FIN or RST" in the
	// chapter.
	return errors.New("TODO: Abort is not written yet")
}

// ANCHOR_END: abort
