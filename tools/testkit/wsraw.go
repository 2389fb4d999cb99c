package testkit

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
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// This file is the tests' own tiny WebSocket client, written from RFC 6455
// independently of the learner's code, so that a test can send exactly the
// bytes it wants (including broken ones) and check exactly the bytes a
// server sends.

// WSKey is the Sec-WebSocket-Key the raw client sends: the example key of
// RFC 6455 section 1.3.
const WSKey = "dGhlIHNhbXBsZSBub25jZQ=="

// WSAccept computes the Sec-WebSocket-Accept answer to key the way RFC 6455
// section 4.2.2 says: base64(SHA-1(key + a GUID fixed by the RFC)).
func WSAccept(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// WSHandshake is a valid opening handshake for path on host, with WSKey.
func WSHandshake(host, path string) string {
	return "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + WSKey + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
}

// Frame is one frame as the raw client sees it on the wire. Nothing in it
// is checked or fixed up: a test can build any frame, valid or not.
type Frame struct {
	Fin     bool
	RSV     byte // the three RSV bits as a number: RSV1 is 4, RSV3 is 1
	Op      byte // the opcode: 0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong
	Masked  bool
	Payload []byte // unmasked
}

// maskKey is the raw client's masking key. A fixed key keeps failures
// reproducible; the RFC asks clients for an unpredictable one, which
// matters against proxies, not in a test.
var maskKey = [4]byte{0x12, 0x34, 0x56, 0x78}

// Encode returns the frame's wire bytes, with the shortest length encoding
// (7, 16 or 64 bits) and, when f.Masked, the payload masked with a fixed key.
func (f Frame) Encode() []byte {
	b0 := f.RSV<<4 | f.Op&0x0F
	if f.Fin {
		b0 |= 0x80
	}
	var maskBit byte
	if f.Masked {
		maskBit = 0x80
	}
	n := len(f.Payload)
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
	if !f.Masked {
		return append(out, f.Payload...)
	}
	out = append(out, maskKey[:]...)
	for i, c := range f.Payload {
		out = append(out, c^maskKey[i%4])
	}
	return out
}

// WSDial says how DialWS opens the connection. The zero value asks for "/".
type WSDial struct {
	// Path is the request's path; "/" when empty.
	Path string
	// Extra is written in the same Write as the handshake, so that it
	// arrives together with it (e.g. a first frame).
	Extra []byte
	// Setup, if set, is called on the TCP connection before anything is
	// sent, e.g. to shrink its buffers.
	Setup func(*net.TCPConn)
	// Hint ends the failure message when the server does not answer 101:
	// where in the learner's code to look.
	Hint string
}

// WSClient is a TCP connection that has done the opening handshake: it
// sends and reads frames byte by byte. Its methods fail the test T, and
// stop it, on any error; ReadFrame alone returns its error.
type WSClient struct {
	T    testing.TB   // the test the client's checks fail
	Conn *net.TCPConn // for deadlines and raw bytes; closed when the test ends
	br   *bufio.Reader
}

// DialWS connects to addr (host:port, as a Host header), sends the opening
// handshake and checks the answer: 101 Switching Protocols with the right
// Sec-WebSocket-Accept, or the test fails. The connection has DialTCP's
// deadline (IOTimeout from now); set another on c.Conn if a test needs it.
func DialWS(t testing.TB, addr string, o WSDial) *WSClient {
	t.Helper()
	conn := DialTCP(t, addr)
	if o.Setup != nil {
		o.Setup(conn)
	}
	path := o.Path
	if path == "" {
		path = "/"
	}
	_, err := conn.Write(append([]byte(WSHandshake(addr, path)), o.Extra...))
	require.NoError(t, err)
	// The server's first frames may arrive with its 101: read everything
	// after the handshake through the same bufio.Reader.
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "reading the server's answer to a valid handshake")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		require.Failf(t, "a valid handshake must get 101 Switching Protocols",
			"got %s %q: %s", resp.Status, strings.TrimSpace(string(body)), o.Hint)
	}
	require.Equal(t, WSAccept(WSKey), resp.Header.Get("Sec-WebSocket-Accept"),
		"Sec-WebSocket-Accept must be AcceptKey(Sec-WebSocket-Key)")
	return &WSClient{T: t, Conn: conn, br: br}
}

// Send writes one masked frame, as a well-behaved client does.
func (c *WSClient) Send(op byte, fin bool, payload []byte) {
	c.T.Helper()
	c.SendFrame(Frame{Fin: fin, Op: op, Masked: true, Payload: payload})
}

// SendFrame writes f exactly as it is, masked or not.
func (c *WSClient) SendFrame(f Frame) {
	c.T.Helper()
	_, err := c.Conn.Write(f.Encode())
	require.NoError(c.T, err, "writing a frame to the server")
}

// SendChopped writes one frame's bytes in pieces of size bytes, the way
// Autobahn's "chopped" cases do: the server must not assume that one read
// returns one frame.
func (c *WSClient) SendChopped(f Frame, size int) {
	c.T.Helper()
	b := f.Encode()
	for len(b) > 0 {
		n := min(size, len(b))
		_, err := c.Conn.Write(b[:n])
		require.NoError(c.T, err, "writing a piece of a frame")
		b = b[n:]
	}
}

// SendAll writes several frames in one write, so they arrive together.
func (c *WSClient) SendAll(fs ...Frame) {
	c.T.Helper()
	var b []byte
	for _, f := range fs {
		b = append(b, f.Encode()...)
	}
	_, err := c.Conn.Write(b)
	require.NoError(c.T, err)
}

// maxFrame is the largest frame the raw client accepts: a length beyond it
// is a broken server, not a frame to allocate.
const maxFrame = 64 << 20

// ReadFrame reads one frame from the server, unmasking it if it is masked.
// It checks nothing about the frame; it returns the read's error (io.EOF
// when the server has closed the connection, a timeout at the deadline).
func (c *WSClient) ReadFrame() (Frame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return Frame{}, err
	}
	f := Frame{Fin: h[0]&0x80 != 0, RSV: h[0] >> 4 & 7, Op: h[0] & 0x0F, Masked: h[1]&0x80 != 0}
	n, err := c.readLength(h[1] & 0x7F)
	if err != nil {
		return Frame{}, err
	}
	var key [4]byte
	if f.Masked {
		if _, err := io.ReadFull(c.br, key[:]); err != nil {
			return Frame{}, err
		}
	}
	f.Payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, f.Payload); err != nil {
		return Frame{}, err
	}
	if f.Masked {
		for i := range f.Payload {
			f.Payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// readLength reads the payload length that the 7-bit length n announces:
// n itself, or the 16- or 64-bit length that follows.
func (c *WSClient) readLength(n byte) (uint64, error) {
	length := uint64(n)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, err
		}
		length = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, err
		}
		length = binary.BigEndian.Uint64(b[:])
	}
	if length > maxFrame {
		return 0, fmt.Errorf("server sent a frame length of %d bytes", length)
	}
	return length, nil
}

// MustRead reads one frame from the server and checks what every server
// frame must be: not masked, no RSV bits. what names the expected frame in
// the failure message.
func (c *WSClient) MustRead(what string) Frame {
	c.T.Helper()
	f, err := c.ReadFrame()
	require.NoError(c.T, err, "waiting for %s from the server", what)
	require.False(c.T, f.Masked, "the server masked a frame: servers must never mask (RFC 6455 section 5.1)")
	require.Zero(c.T, f.RSV, "the server set RSV bits on a frame")
	return f
}

// ReadMessage reads one frame and, for a fragmented text or binary message,
// the continuation frames that complete it, checking the continuation
// rules. It returns the whole message as one frame with Fin set.
func (c *WSClient) ReadMessage(what string) Frame {
	c.T.Helper()
	f := c.MustRead(what)
	for !f.Fin && (f.Op == 0x1 || f.Op == 0x2) {
		next := c.MustRead(what + " (its next fragment)")
		require.Equal(c.T, byte(0x0), next.Op,
			"%s: a fragmented message must go on with continuation frames (opcode 0x0), got opcode 0x%X: did two writers interleave?", what, next.Op)
		f.Payload = append(f.Payload, next.Payload...)
		f.Fin = next.Fin
	}
	require.True(c.T, f.Fin, "%s: a control frame must not be fragmented", what)
	return f
}

// Expect reads one message (or control frame) and checks its opcode and
// payload.
func (c *WSClient) Expect(op byte, payload []byte, what string) {
	c.T.Helper()
	f := c.ReadMessage(what)
	require.Equal(c.T, op, f.Op, "%s: expected opcode 0x%X, got 0x%X", what, op, f.Op)
	require.Equal(c.T, len(payload), len(f.Payload), "%s: wrong payload length", what)
	require.True(c.T, bytes.Equal(payload, f.Payload), "%s: wrong payload %q", what, truncate(f.Payload))
}

// ExpectClose reads a close frame with the given status code, then expects
// the server to close the TCP connection. why says in the failure message
// what the close answers.
func (c *WSClient) ExpectClose(code uint16, why string) {
	c.T.Helper()
	f, err := c.ReadFrame()
	require.NoError(c.T, err, "%s: expected a close frame with code %d before the server closes the connection", why, code)
	require.Equal(c.T, byte(0x8), f.Op, "%s: expected a close frame (opcode 0x8) with code %d, got opcode 0x%X", why, code, f.Op)
	require.GreaterOrEqual(c.T, len(f.Payload), 2, "%s: the close frame must carry the status code %d", why, code)
	require.Equal(c.T, code, binary.BigEndian.Uint16(f.Payload), "%s: wrong close code", why)
	c.ExpectEOF(why)
}

// ExpectEOF checks that the server closed the TCP connection (an EOF or a
// reset), and sends nothing more before it does.
func (c *WSClient) ExpectEOF(why string) {
	c.T.Helper()
	_, err := c.br.ReadByte()
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return
	}
	if IsTimeout(err) {
		require.Fail(c.T, why+": the server did not close the TCP connection after its close frame")
	}
	require.Fail(c.T, why+": expected the server to close the TCP connection", "got %v", err)
}

// CloseCleanly runs a normal closing handshake from the client's side:
// a close frame with 1000, answered by a close frame with 1000 and the
// end of the TCP connection.
func (c *WSClient) CloseCleanly(why string) {
	c.T.Helper()
	c.Send(0x8, true, []byte{0x03, 0xE8})
	c.ExpectClose(1000, why)
}

// truncate keeps a failure message short.
func truncate(p []byte) []byte {
	if len(p) > 40 {
		return p[:40]
	}
	return p
}
