package websocket

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// acceptGUID is the fixed string RFC 6455 appends to the client's key. Any
// server that answers with the right accept value has read the handshake and
// understood it as WebSocket (section 1.3).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// ANCHOR: acceptkey

// AcceptKey returns the Sec-WebSocket-Accept value for a client's
// Sec-WebSocket-Key: base64(SHA-1(key + acceptGUID)).
func AcceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ANCHOR_END: acceptkey

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

// ANCHOR: upgrade

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
	if err := checkHandshake(r); err != nil {
		if err == errBadVersion {
			w.Header().Set("Sec-WebSocket-Version", "13")
			http.Error(w, err.Error(), http.StatusUpgradeRequired)
		} else {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
		return nil, err
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: cannot take over the connection", http.StatusInternalServerError)
		return nil, err
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + AcceptKey(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
	// net/http clears the deadlines on hijack; bound this one write so a
	// client that never reads cannot hold the handler.
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(resp)); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetWriteDeadline(time.Time{})
	// brw.Reader may already hold bytes that followed the handshake: keep
	// reading through it, never from nc directly.
	return &Conn{nc: nc, br: brw.Reader}, nil
}

// ANCHOR_END: upgrade

var errBadVersion = errors.New("websocket: unsupported Sec-WebSocket-Version (want 13)")

func checkHandshake(r *http.Request) error {
	switch {
	case r.Method != http.MethodGet:
		return errors.New("websocket: the handshake must be a GET")
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return errors.New("websocket: missing \"Upgrade: websocket\"")
	case !hasToken(r.Header, "Connection", "upgrade"):
		return errors.New("websocket: missing \"upgrade\" in the Connection header")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return errBadVersion
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key")))
	if err != nil || len(key) != 16 {
		return errors.New("websocket: Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return nil
}

// hasToken reports whether the comma-separated header name (possibly
// repeated) contains token, compared case-insensitively.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
