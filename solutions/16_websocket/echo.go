package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// EchoServer is an http.Handler that upgrades every request to WebSocket and
// sends every data frame back to the client, unmasked, frame by frame: a
// message the client fragments comes back fragmented the same way.
//
// It answers a ping with a pong carrying the same payload, ignores pongs,
// and answers a close frame with a close frame carrying the same status
// code (1000 for a close frame without one), then closes the connection.
// It closes it too when the client just goes away (EOF or a broken
// connection, no close frame): however the loop ends, the Conn is closed.
//
// It never puts a frame on the wire that the client would have to refuse.
// A frame that breaks the protocol fails the connection with the code of
// its *CloseError (1002, 1009), and so do, before anything of them is
// echoed: a continuation frame with no message to continue or a new
// message before the last one's final fragment (1002); text that is not
// UTF-8, checked fragment by fragment (1007); a close frame with a 1-byte
// payload or a code no peer may send (1002; allowed are 1000-1003,
// 1007-1014 and 3000-4999) or with a reason that is not UTF-8 (1007).
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
	var m message
	for {
		f, err := c.ReadFrame()
		if err == nil {
			err = echoFrame(c, &m, f)
		}
		var ce *CloseError
		if errors.As(err, &ce) {
			c.Fail(ce.Code, ce.Reason)
			return
		}
		if err != nil {
			return // EOF, a broken connection or a finished close handshake
		}
	}
}

// echoFrame answers one frame from the client. A *CloseError means: fail
// the connection with its code, nothing was sent.
func echoFrame(c *Conn, m *message, f Frame) error {
	switch f.Opcode {
	case OpPing:
		return c.WriteFrame(Frame{Fin: true, Opcode: OpPong, Payload: f.Payload})
	case OpPong:
		return nil // an unsolicited pong needs no answer
	case OpClose:
		code, err := closeCode(f.Payload)
		if err != nil {
			return err
		}
		c.Fail(code, "")
		return errClosed
	}
	if err := m.check(f); err != nil {
		return err
	}
	return c.WriteFrame(Frame{Fin: f.Fin, Opcode: f.Opcode, Payload: f.Payload})
}

// ANCHOR_END: echo

// ANCHOR: closecode

// closeCode returns the code to answer a client's close frame with (RFC
// 6455, section 5.5.1): the client's own, or 1000 for an empty payload. A
// payload the client must not send is a *CloseError instead: echoing 1005
// or a reason that is not UTF-8 would make the client fail the connection.
func closeCode(payload []byte) (uint16, error) {
	switch len(payload) {
	case 0:
		return CloseNormal, nil
	case 1:
		return 0, protocolError("close payload of one byte")
	}
	code := binary.BigEndian.Uint16(payload)
	if !validCloseCode(code) {
		return 0, protocolError(fmt.Sprintf("close code %d may not be sent", code))
	}
	if !utf8.Valid(payload[2:]) {
		return 0, &CloseError{Code: CloseInvalidPayload, Reason: "close reason is not UTF-8"}
	}
	return code, nil
}

// validCloseCode reports whether a peer may send code in a close frame: the
// codes RFC 6455 and the IANA registry define for use on the wire
// (1000-1003, 1007-1014) and the ranges for libraries and applications
// (3000-4999). 1004 is reserved; 1005, 1006 and 1015 must never be sent.
func validCloseCode(code uint16) bool {
	return code >= 1000 && code <= 1003 ||
		code >= 1007 && code <= 1014 ||
		code >= 3000 && code <= 4999
}

// ANCHOR_END: closecode

// ANCHOR: message

// message follows the data message being echoed, so that its frames are
// checked before they go back on the wire.
type message struct {
	op      Opcode // the opcode of the unfinished message; 0 when none
	partial []byte // the start of a character cut at the end of the last text fragment
}

// check returns a *CloseError for a data frame that must not be echoed.
func (m *message) check(f Frame) error {
	switch {
	case f.Opcode == OpContinuation && m.op == 0:
		return protocolError("continuation frame without a message to continue")
	case f.Opcode != OpContinuation && m.op != 0:
		return protocolError("new message before the last one was finished")
	case f.Opcode != OpContinuation:
		m.op = f.Opcode
	}
	if m.op == OpText && !m.validText(f.Payload, f.Fin) {
		return &CloseError{Code: CloseInvalidPayload, Reason: "text message is not valid UTF-8"}
	}
	if f.Fin {
		m.op = 0
	}
	return nil
}

// validText reports whether p, the next fragment of a text message, goes on
// as valid UTF-8. A fragment may end in the first bytes of a character
// whose other bytes come in the next one; the final fragment may not.
func (m *message) validText(p []byte, final bool) bool {
	// First finish the character the last fragment cut.
	for len(m.partial) > 0 && !utf8.FullRune(m.partial) && len(p) > 0 {
		m.partial, p = append(m.partial, p[0]), p[1:]
	}
	if utf8.FullRune(m.partial) {
		if !utf8.Valid(m.partial) {
			return false
		}
		m.partial = m.partial[:0]
	}
	// Then split off a character cut at the end of p, if any: it starts in
	// the last three bytes.
	body := p
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				body = p[:i]
			}
			break
		}
	}
	if !utf8.Valid(body) {
		return false
	}
	m.partial = append(m.partial, p[len(body):]...)
	return !final || len(m.partial) == 0
}

// ANCHOR_END: message
