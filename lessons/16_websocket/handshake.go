package websocket

import (
	"bufio"
	"errors"
	"net"
	"net/http"
)

// acceptGUID is the fixed string RFC 6455 appends to the client's key. Any
// server that answers with the right accept value has read the handshake and
// understood it as WebSocket (section 1.3).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value for a client's
// Sec-WebSocket-Key: base64(SHA-1(key + acceptGUID)).
func AcceptKey(key string) string {
	// TODO: hash key+acceptGUID with crypto/sha1 and encode the 20-byte sum
	// with encoding/base64's StdEncoding.
	return ""
}

// DefaultReadLimit is the largest frame payload a Conn accepts when its
// ReadLimit is zero.
const DefaultReadLimit int64 = 4 << 20

// Conn is the server's side of a WebSocket connection after the handshake.
// It is not safe for concurrent writers: one goroutine writes at a time.
type Conn struct {
	// ReadLimit is the largest frame payload ReadFrame accepts; zero means
	// DefaultReadLimit. Set it before the first ReadFrame.
	ReadLimit int64

	nc net.Conn      // the hijacked TCP connection
	br *bufio.Reader // reads nc, starting with any bytes buffered during the handshake
}

// NetConn returns the underlying TCP connection, for deadlines.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the TCP connection without a closing handshake.
func (c *Conn) Close() error { return c.nc.Close() }

// Upgrade checks that r is a WebSocket opening handshake (RFC 6455, section
// 4.2.1), answers 101 Switching Protocols and takes the connection over from
// net/http. The caller owns the returned Conn and must Close it; it has no
// deadline set.
//
// A request that is not a valid handshake gets an HTTP error and Upgrade
// returns an error; the caller must not write to w afterwards:
//   - not GET, no "Upgrade: websocket", no "upgrade" token in Connection, or
//     a Sec-WebSocket-Key that is not 16 bytes in base64: 400 Bad Request;
//   - a Sec-WebSocket-Version other than 13: 426 Upgrade Required with the
//     header "Sec-WebSocket-Version: 13" (the version we speak).
//
// If net/http cannot hand the connection over (Hijack fails, as under
// HTTP/2), Upgrade answers 500 Internal Server Error; if writing the 101
// fails, it closes the connection. Either way it returns the error and no
// Conn.
//
// Bytes the client sent right after its handshake (its first frame may
// arrive in the same TCP segment) are kept: Conn reads them first.
func Upgrade(w http.ResponseWriter, r *http.Request) (*Conn, error) {
	// TODO: validate the request's method and headers (answer 400 or 426),
	// hijack the connection with http.NewResponseController(w).Hijack(),
	// write the 101 response with Sec-WebSocket-Accept, and return a Conn
	// that reads through the hijacked bufio.Reader.
	http.Error(w, "TODO: Upgrade", http.StatusNotImplemented)
	return nil, errors.New("TODO: Upgrade")
}
