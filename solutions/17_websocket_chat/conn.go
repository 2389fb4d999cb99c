package wschat

import (
	"encoding/binary"
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	ws "netlings/lessons/16_websocket"
)

// DefaultMessageLimit is the largest message a Conn accepts when NewConn is
// given a limit of zero.
const DefaultMessageLimit int64 = 1 << 20

// ErrClosed is returned by writes after the connection started closing.
var ErrClosed = errors.New("websocket: connection closed")

// writeTimeout bounds every write, so a peer that stops reading can hold a
// writer (and the write lock) for this long at most.
const writeTimeout = 10 * time.Second

// Conn reads and writes whole messages over a lesson-16 connection.
//
// One goroutine reads (ReadMessage); any number may write (WriteMessage,
// Close, the heartbeat's pings, the reader's pongs): a mutex lets one
// writer at a time put a whole message on the wire, so the fragments of two
// messages never interleave.
type Conn struct {
	ws    *ws.Conn
	limit int64 // the largest message ReadMessage accepts

	writeMu   sync.Mutex // held while a frame or a whole message is written
	closeSent bool       // guarded by writeMu: a close frame went out, write nothing more

	pongs chan struct{} // ReadMessage signals each pong here for the heartbeat
}

// NewConn wraps an upgraded connection. limit is the largest message (after
// reassembly) ReadMessage accepts; zero means DefaultMessageLimit.
func NewConn(c *ws.Conn, limit int64) *Conn {
	if limit <= 0 {
		limit = DefaultMessageLimit
	}
	c.ReadLimit = limit // no single frame may be larger than a whole message
	return &Conn{ws: c, limit: limit, pongs: make(chan struct{}, 1)}
}

// ANCHOR: readmessage

// ReadMessage returns the next whole message: its opcode (ws.OpText or
// ws.OpBinary) and its payload, reassembled from its fragments.
//
// While it reads, it answers every ping with a pong at once, even between
// the fragments of a message, and notes every pong for the heartbeat.
//
// It fails the connection (a close frame with the code, then the TCP
// connection closed) and returns a *ws.CloseError with that code when the
// client breaks the rules: any frame error of lesson 16 (1002, 1009); a
// continuation frame with no message to continue, or a new message before
// the last one's final fragment (1002); a message over the limit (1009);
// a text message that is not UTF-8, checked as the fragments arrive (1007).
//
// When the client sends a close frame, ReadMessage finishes the closing
// handshake: it answers with a close frame that echoes a valid code (1000
// for an empty close frame), or fails the connection with 1002 for a code
// nobody may send or a 1-byte payload and with 1007 for a reason that is
// not UTF-8; then it closes the TCP connection and returns a *ws.CloseError
// with the client's code (ws.CloseNoStatus when the frame had none).
//
// When the connection ends without a close frame (EOF, a reset, a
// deadline), ReadMessage returns the read's error.
func (c *Conn) ReadMessage() (ws.Opcode, []byte, error) {
	var (
		op      ws.Opcode // the opcode of the message being assembled; 0 while none
		msg     []byte
		checked int // msg[:checked] is known to be complete, valid UTF-8
	)
	for {
		f, err := c.ws.ReadFrame()
		if err != nil {
			return 0, nil, c.failOn(err)
		}
		if f.Opcode.IsControl() {
			if err := c.handleControl(f); err != nil {
				return 0, nil, err
			}
			continue
		}
		switch {
		case f.Opcode == ws.OpContinuation && op == 0:
			return 0, nil, c.fail(ws.CloseProtocolError, "continuation frame without a message to continue")
		case f.Opcode != ws.OpContinuation && op != 0:
			return 0, nil, c.fail(ws.CloseProtocolError, "new message before the last one was finished")
		case f.Opcode != ws.OpContinuation:
			op = f.Opcode
		}
		if int64(len(msg)+len(f.Payload)) > c.limit {
			return 0, nil, c.fail(ws.CloseMessageTooBig, "message over the size limit")
		}
		msg = append(msg, f.Payload...)
		if op == ws.OpText {
			n, ok := validUTF8Prefix(msg[checked:], f.Fin)
			if !ok {
				return 0, nil, c.fail(ws.CloseInvalidPayload, "text message is not valid UTF-8")
			}
			checked += n
		}
		if f.Fin {
			if msg == nil {
				msg = []byte{}
			}
			return op, msg, nil
		}
	}
}

// ANCHOR_END: readmessage

// ANCHOR: utf8

// validUTF8Prefix checks p, the next piece of a text message. It returns how
// many bytes of p are complete, valid characters, and false as soon as p
// cannot be the start of valid UTF-8. Unless final is set, p may end in the
// first bytes of a character whose remaining bytes are in the next fragment.
func validUTF8Prefix(p []byte, final bool) (int, bool) {
	n := 0
	for n < len(p) {
		r, size := utf8.DecodeRune(p[n:])
		if r == utf8.RuneError && size == 1 {
			// utf8.FullRune is false only for a valid but cut-short sequence.
			return n, !final && !utf8.FullRune(p[n:])
		}
		n += size
	}
	return n, true
}

// ANCHOR_END: utf8

// handleControl answers a ping, notes a pong and handles a close frame.
func (c *Conn) handleControl(f ws.Frame) error {
	switch f.Opcode {
	case ws.OpPing:
		return c.writeFrame(ws.Frame{Fin: true, Opcode: ws.OpPong, Payload: f.Payload})
	case ws.OpPong:
		select {
		case c.pongs <- struct{}{}:
		default: // the heartbeat has not taken the last one yet: one is enough
		}
		return nil
	}
	return c.closeHandshake(f.Payload)
}

// ANCHOR: close

// closeHandshake answers the client's close frame (RFC 6455, section 5.5.1)
// and closes the TCP connection. A valid code is echoed; a payload of one
// byte, a code nobody may send, or a reason that is not UTF-8 fail the
// connection with 1002 or 1007 instead. An empty payload is answered with
// 1000. It returns the client's code as a *ws.CloseError.
func (c *Conn) closeHandshake(payload []byte) error {
	switch {
	case len(payload) == 0:
		c.fail(ws.CloseNormal, "")
		return &ws.CloseError{Code: ws.CloseNoStatus}
	case len(payload) == 1:
		return c.fail(ws.CloseProtocolError, "close payload of one byte")
	}
	code := binary.BigEndian.Uint16(payload)
	reason := payload[2:]
	switch {
	case !validCloseCode(code):
		return c.fail(ws.CloseProtocolError, "invalid close code")
	case !utf8.Valid(reason):
		return c.fail(ws.CloseInvalidPayload, "close reason is not UTF-8")
	}
	c.fail(code, "")
	return &ws.CloseError{Code: code, Reason: string(reason)}
}

// validCloseCode reports whether a peer may send code in a close frame: the
// codes RFC 6455 and the IANA registry define for use on the wire
// (1000-1003, 1007-1014) and the ranges for libraries and applications
// (3000-4999). 1004 is reserved, 1005, 1006 and 1015 must never be sent.
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// ANCHOR_END: close

// failOn fails the connection for a protocol error of lesson 16 and closes
// it after any other error (EOF, a timeout, a reset).
func (c *Conn) failOn(err error) error {
	var ce *ws.CloseError
	if errors.As(err, &ce) {
		return c.fail(ce.Code, ce.Reason)
	}
	c.ws.Close()
	return err
}

// fail sends a close frame with code (unless one went out already) and
// closes the connection, holding the write lock so no other frame can slip
// in after the close frame. It returns the matching *ws.CloseError.
func (c *Conn) fail(code uint16, reason string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closeSent {
		c.ws.Close()
	} else {
		c.closeSent = true
		c.ws.Fail(code, reason)
	}
	return &ws.CloseError{Code: code, Reason: reason}
}

// ANCHOR: write

// MaxFrameSize is the largest frame WriteMessage sends: a longer message
// goes out as several fragments.
const MaxFrameSize = 16 << 10

// WriteMessage sends p as a message of type op (ws.OpText or ws.OpBinary),
// in fragments of at most MaxFrameSize bytes. It is safe to call from
// several goroutines at once: the fragments of one message are never
// interleaved with frames of another. After a close frame went out it
// returns ErrClosed.
func (c *Conn) WriteMessage(op ws.Opcode, p []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closeSent {
		return ErrClosed
	}
	c.ws.NetConn().SetWriteDeadline(time.Now().Add(writeTimeout))
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), MaxFrameSize)
		f := ws.Frame{Fin: n == len(p), Opcode: ws.OpContinuation, Payload: p[:n]}
		if first {
			f.Opcode = op
		}
		if err := c.ws.WriteFrame(f); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// writeFrame writes one control frame under the write lock, with a deadline.
func (c *Conn) writeFrame(f ws.Frame) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closeSent {
		return ErrClosed
	}
	c.ws.NetConn().SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteFrame(f)
}

// ANCHOR_END: write

// Close starts the closing handshake from the server's side: it sends a
// close frame with code and reason and closes the TCP connection without
// waiting for the client's answer. The reader, if any, then gets an error.
// It is safe to call from any goroutine, more than once.
func (c *Conn) Close(code uint16, reason string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	var err error
	if !c.closeSent {
		c.closeSent = true
		c.ws.NetConn().SetWriteDeadline(time.Now().Add(time.Second))
		err = c.ws.WriteFrame(ws.Frame{Fin: true, Opcode: ws.OpClose, Payload: ws.ClosePayload(code, reason)})
	}
	c.ws.Close()
	return err
}
