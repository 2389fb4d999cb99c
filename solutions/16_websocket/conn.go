package websocket

import (
	"errors"
	"io"
	"net"
	"time"
)

// ANCHOR: connread

// ReadFrame reads the next frame from the client. On top of the checks of
// the package-level ReadFrame (with c.ReadLimit, or DefaultReadLimit when it
// is zero), it enforces the server's rule: every client frame is masked,
// and an unmasked one is a *CloseError with CloseProtocolError (1002).
func (c *Conn) ReadFrame() (Frame, error) {
	limit := c.ReadLimit
	if limit == 0 {
		limit = DefaultReadLimit
	}
	f, err := ReadFrame(c.br, limit)
	if err != nil {
		return Frame{}, err
	}
	if !f.Masked {
		return Frame{}, protocolError("client frame is not masked")
	}
	return f, nil
}

// ANCHOR_END: connread

// WriteFrame sends f to the client. A server never masks, so f.Masked and
// f.MaskKey are ignored.
func (c *Conn) WriteFrame(f Frame) error {
	f.Masked = false
	if len(f.Payload) < bigFrame {
		return WriteFrame(c.nc, f)
	}
	// Copying a big payload behind its header costs more than a second
	// buffer: net.Buffers writes both with one writev system call.
	bufs := net.Buffers{appendHeader(make([]byte, 0, 14), f), f.Payload}
	_, err := bufs.WriteTo(c.nc)
	return err
}

// bigFrame is the payload size from which Conn.WriteFrame avoids the copy.
const bigFrame = 4 << 10

// lingerTime bounds how long Fail waits for the client to close its side.
const lingerTime = 2 * time.Second

// ANCHOR: fail

// Fail fails the connection (RFC 6455, section 7.1.7): it sends a close
// frame with code and reason, then closes the TCP connection. The server
// closes TCP first (section 7.1.1). Before the final Close, Fail shuts down
// its sending side and discards what the client still sends for a moment,
// because closing a socket with unread bytes makes the kernel send a reset,
// which can destroy the close frame before the client reads it.
// Fail always closes the connection; it returns the error of the write.
func (c *Conn) Fail(code uint16, reason string) error {
	defer c.nc.Close()
	c.nc.SetWriteDeadline(time.Now().Add(lingerTime))
	err := c.WriteFrame(Frame{Fin: true, Opcode: OpClose, Payload: ClosePayload(code, reason)})
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && err == nil {
		cw.CloseWrite()
		c.nc.SetReadDeadline(time.Now().Add(lingerTime))
		io.Copy(io.Discard, io.LimitReader(c.br, 1<<20))
	}
	return err
}

// ANCHOR_END: fail

// errClosed is how serveEcho ends after a close handshake.
var errClosed = errors.New("websocket: connection closed")
