package websocket

import "errors"

// ReadFrame reads the next frame from the client. On top of the checks of
// the package-level ReadFrame (with c.ReadLimit, or DefaultReadLimit when it
// is zero), it enforces the server's rule: every client frame is masked,
// and an unmasked one is a *CloseError with CloseProtocolError (1002).
func (c *Conn) ReadFrame() (Frame, error) {
	// TODO: call ReadFrame(c.br, limit) and reject unmasked frames.
	return Frame{}, errors.New("TODO: Conn.ReadFrame")
}

// WriteFrame sends f to the client. A server never masks, so f.Masked and
// f.MaskKey are ignored.
func (c *Conn) WriteFrame(f Frame) error {
	// TODO: clear f.Masked and write the frame to c.nc.
	return errors.New("TODO: Conn.WriteFrame")
}

// Fail fails the connection (RFC 6455, section 7.1.7): it sends a close
// frame with code and reason, then closes the TCP connection. The server
// closes TCP first (section 7.1.1). Before the final Close, Fail shuts down
// its sending side and discards what the client still sends for a moment,
// because closing a socket with unread bytes makes the kernel send a reset,
// which can destroy the close frame before the client reads it.
// Fail always closes the connection; it returns the error of the write.
func (c *Conn) Fail(code uint16, reason string) error {
	// TODO: write a close frame (see ClosePayload) with a write deadline,
	// CloseWrite, drain the reader for a bounded time, then Close.
	c.nc.Close()
	return errors.New("TODO: Conn.Fail")
}
