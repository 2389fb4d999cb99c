package tcplife

import "net"

// ANCHOR: abort

// Abort closes conn with a reset instead of the usual goodbye: the kernel
// sends RST, not FIN, and throws away whatever conn had not sent yet. The
// peer's next Read fails with ECONNRESET (errors.Is(err,
// syscall.ECONNRESET)), where a plain Close would give it io.EOF.
//
// Abort closes conn in every case. On a conn that is closed already it
// returns an error matching net.ErrClosed.
func Abort(conn *net.TCPConn) error {
	// SO_LINGER with a zero timeout: "on close, do not linger to deliver
	// what is queued; drop it and reset the connection".
	if err := conn.SetLinger(0); err != nil {
		conn.Close()
		return err
	}
	return conn.Close()
}

// ANCHOR_END: abort
