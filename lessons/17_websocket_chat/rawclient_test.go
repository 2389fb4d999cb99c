package websocket_chat_test

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// This file is the tests' own tiny WebSocket client, written from RFC 6455
// independently of your code, so it can send exactly the bytes a test wants
// (including broken ones) and check exactly the bytes your server sends.

// rawClient is a TCP connection that has done the opening handshake.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// frame is a frame as the test client sees it on the wire.
type frame struct {
	fin     bool
	rsv     byte
	op      byte
	masked  bool
	payload []byte
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

// expectedAccept computes Sec-WebSocket-Accept the way RFC 6455 section 4.2.2 says.
func expectedAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// handshakeRequest is a valid opening handshake for host.
func handshakeRequest(host string) string {
	return "GET / HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + testKey + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
}

// dialTCP connects to the test server with a deadline on everything.
func dialTCP(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(srv.URL, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err, "dialing the test server")
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	return conn
}

// dialRaw connects, sends the handshake (plus extra bytes in the same
// write) and checks the 101 answer.
func dialRaw(t *testing.T, srv *httptest.Server) *rawClient {
	t.Helper()
	return dialRawPath(t, srv, "/")
}

// dialRawPath connects to path, after applying the options to the TCP connection.
func dialRawPath(t *testing.T, srv *httptest.Server, path string, opts ...func(net.Conn)) *rawClient {
	t.Helper()
	conn := dialTCP(t, srv)
	for _, o := range opts {
		o(conn)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := conn.Write([]byte(strings.Replace(handshakeRequest(host), "GET / ", "GET "+path+" ", 1)))
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "reading the server's answer to a valid handshake")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		require.Failf(t, "a valid handshake must get 101 Switching Protocols",
			"got %s %q: %s", resp.Status, strings.TrimSpace(string(body)), "the server upgrades with your lesson-16 Upgrade, then runs this lesson's handler")
	}
	require.Equal(t, expectedAccept(testKey), resp.Header.Get("Sec-WebSocket-Accept"),
		"Sec-WebSocket-Accept must be AcceptKey(Sec-WebSocket-Key)")
	return &rawClient{t: t, conn: conn, br: br}
}

// encode builds a frame's wire bytes; the client masks with a fixed key.
func encode(f frame) []byte {
	b0 := f.rsv<<4 | f.op&0x0F
	if f.fin {
		b0 |= 0x80
	}
	var maskBit byte
	if f.masked {
		maskBit = 0x80
	}
	n := len(f.payload)
	out := []byte{b0}
	switch {
	case n <= 125:
		out = append(out, maskBit|byte(n))
	case n <= 0xFFFF:
		out = append(out, maskBit|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, maskBit|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !f.masked {
		return append(out, f.payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range f.payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// send writes one masked frame, as a well-behaved client does.
func (c *rawClient) send(op byte, fin bool, payload []byte) {
	c.sendFrame(frame{fin: fin, op: op, masked: true, payload: payload})
}

func (c *rawClient) sendFrame(f frame) {
	c.t.Helper()
	_, err := c.conn.Write(encode(f))
	require.NoError(c.t, err, "writing a frame to the server")
}

// read reads one frame from the server.
func (c *rawClient) read() (frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: h[0]&0x80 != 0, rsv: h[0] >> 4 & 7, op: h[0] & 0x0F, masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 64<<20 {
		return frame{}, fmt.Errorf("server sent a frame length of %d bytes", n)
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(c.br, key[:]); err != nil {
			return frame{}, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, f.payload); err != nil {
		return frame{}, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// mustRead reads one frame from the server and checks it is not masked.
func (c *rawClient) mustRead(what string) frame {
	c.t.Helper()
	f, err := c.read()
	require.NoError(c.t, err, "waiting for %s from the server", what)
	require.False(c.t, f.masked, "the server masked a frame: servers must never mask (RFC 6455 section 5.1)")
	require.Zero(c.t, f.rsv, "the server set RSV bits on a frame")
	return f
}

// expectClose reads a close frame with the given code, then expects the
// server to close the TCP connection.
func (c *rawClient) expectClose(code uint16, why string) {
	c.t.Helper()
	f, err := c.read()
	require.NoError(c.t, err, "%s: expected a close frame with code %d before the server closes the connection", why, code)
	require.Equal(c.t, byte(0x8), f.op, "%s: expected a close frame (opcode 0x8) with code %d, got opcode 0x%X", why, code, f.op)
	require.GreaterOrEqual(c.t, len(f.payload), 2, "%s: the close frame must carry the status code %d", why, code)
	require.Equal(c.t, code, binary.BigEndian.Uint16(f.payload), "%s: wrong close code", why)
	c.expectEOF(why)
}

// expectEOF checks that the server closed the TCP connection.
func (c *rawClient) expectEOF(why string) {
	c.t.Helper()
	_, err := c.br.ReadByte()
	if errors.Is(err, io.EOF) || isReset(err) {
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		require.Fail(c.t, why+": the server did not close the TCP connection after its close frame")
	}
	require.Fail(c.t, why+": expected the server to close the TCP connection", "got %v", err)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// sendChopped writes one frame's bytes in pieces of size bytes, the way
// Autobahn's "chopped" cases do: the server must not assume that one read
// returns one frame.
func (c *rawClient) sendChopped(f frame, size int) {
	c.t.Helper()
	b := encode(f)
	for len(b) > 0 {
		n := min(size, len(b))
		_, err := c.conn.Write(b[:n])
		require.NoError(c.t, err, "writing a piece of a frame")
		b = b[n:]
	}
}

// sendAll writes several frames in one write.
func (c *rawClient) sendAll(fs ...frame) {
	c.t.Helper()
	var b []byte
	for _, f := range fs {
		b = append(b, encode(f)...)
	}
	_, err := c.conn.Write(b)
	require.NoError(c.t, err)
}

// readMessage reads one frame, and for a fragmented text or binary message
// the continuation frames that complete it, checking the continuation rules
// (your WriteMessage fragments long messages).
func (c *rawClient) readMessage(what string) frame {
	c.t.Helper()
	f := c.mustRead(what)
	for !f.fin && (f.op == 0x1 || f.op == 0x2) {
		next := c.mustRead(what + " (its next fragment)")
		require.Equal(c.t, byte(0x0), next.op,
			"%s: a fragmented message must go on with continuation frames (opcode 0x0), got opcode 0x%X: did two writers interleave?", what, next.op)
		f.payload = append(f.payload, next.payload...)
		f.fin = next.fin
	}
	require.True(c.t, f.fin, "%s: a control frame must not be fragmented", what)
	return f
}

// expect reads one message (or control frame) and checks its opcode and payload.
func (c *rawClient) expect(op byte, payload []byte, what string) {
	c.t.Helper()
	f := c.readMessage(what)
	require.Equal(c.t, op, f.op, "%s: expected opcode 0x%X, got 0x%X", what, op, f.op)
	require.Equal(c.t, len(payload), len(f.payload), "%s: wrong payload length", what)
	require.True(c.t, bytes.Equal(payload, f.payload), "%s: wrong payload %q", what, truncate(f.payload))
}

// closeCleanly runs a normal closing handshake from the client's side.
func (c *rawClient) closeCleanly(why string) {
	c.t.Helper()
	c.send(0x8, true, []byte{0x03, 0xE8})
	c.expectClose(1000, why)
}

func truncate(p []byte) []byte {
	if len(p) > 40 {
		return p[:40]
	}
	return p
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
