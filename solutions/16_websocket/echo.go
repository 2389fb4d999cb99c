package websocket

import (
	"encoding/binary"
	"errors"
	"net/http"
)

// EchoServer is an http.Handler that upgrades every request to WebSocket and
// sends every data frame back to the client, unmasked, frame by frame: a
// message the client fragments comes back fragmented the same way.
//
// It answers a ping with a pong carrying the same payload, ignores pongs,
// and answers a close frame with a close frame carrying the same status
// code, then closes the connection. A frame that breaks the protocol fails
// the connection with the code of its *CloseError (1002, 1009).
type EchoServer struct {
	// ReadLimit is the largest frame payload accepted; zero means
	// DefaultReadLimit.
	ReadLimit int64
}

// ANCHOR: echo

func (s EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := Upgrade(w, r)
	if err != nil {
		return // Upgrade has answered with the HTTP error
	}
	defer c.Close()
	c.ReadLimit = s.ReadLimit
	for {
		f, err := c.ReadFrame()
		if err != nil {
			var ce *CloseError
			if errors.As(err, &ce) {
				c.Fail(ce.Code, ce.Reason)
			}
			return // EOF or a broken connection: nothing to tell the client
		}
		if err := echoFrame(c, f); err != nil {
			return
		}
	}
}

// echoFrame answers one frame from the client.
func echoFrame(c *Conn, f Frame) error {
	switch f.Opcode {
	case OpPing:
		return c.WriteFrame(Frame{Fin: true, Opcode: OpPong, Payload: f.Payload})
	case OpPong:
		return nil // an unsolicited pong needs no answer
	case OpClose:
		code := CloseNormal
		if len(f.Payload) >= 2 {
			code = binary.BigEndian.Uint16(f.Payload)
		}
		c.Fail(code, "")
		return errClosed
	}
	return c.WriteFrame(Frame{Fin: f.Fin, Opcode: f.Opcode, Payload: f.Payload})
}

// ANCHOR_END: echo
