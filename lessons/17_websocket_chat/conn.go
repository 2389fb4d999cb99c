package wschat

import (
	"errors"
	"sync"
	"time"

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
	// TODO: loop over c.ws.ReadFrame(): answer control frames at once (ping:
	// pong; pong: signal c.pongs without blocking; close: see RFC 6455
	// section 5.5.1 and 7.4), check the continuation rules, append fragments
	// up to c.limit, check a text message's UTF-8 as each fragment arrives
	// (utf8.DecodeRune and utf8.FullRune help with a character cut in two),
	// and return on the final fragment. Fail the connection with the right
	// close code on every error.
	return 0, nil, errors.New("TODO: ReadMessage")
}

// MaxFrameSize is the largest frame WriteMessage sends: a longer message
// goes out as several fragments.
const MaxFrameSize = 16 << 10

// WriteMessage sends p as a message of type op (ws.OpText or ws.OpBinary),
// in fragments of at most MaxFrameSize bytes. It is safe to call from
// several goroutines at once: the fragments of one message are never
// interleaved with frames of another. After a close frame went out it
// returns ErrClosed.
func (c *Conn) WriteMessage(op ws.Opcode, p []byte) error {
	// TODO: hold c.writeMu for the whole message, return ErrClosed if
	// c.closeSent, set a write deadline (writeTimeout), and write p with
	// c.ws.WriteFrame in frames of at most MaxFrameSize: the first with op,
	// the others ws.OpContinuation, FIN on the last (an empty message is one
	// empty frame).
	return errors.New("TODO: WriteMessage")
}

// Close starts the closing handshake from the server's side: it sends a
// close frame with code and reason and closes the TCP connection without
// waiting for the client's answer. The reader, if any, then gets an error.
// It is safe to call from any goroutine, more than once.
func (c *Conn) Close(code uint16, reason string) error {
	// TODO: under c.writeMu, send a close frame once (ws.ClosePayload), then
	// close the TCP connection.
	c.ws.Close()
	return errors.New("TODO: Close")
}
