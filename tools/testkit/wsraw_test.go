package testkit_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestWSAccept_MatchesRFC6455Example(t *testing.T) {
	// RFC 6455 section 1.3 works this example by hand.
	assert.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", testkit.WSAccept(testkit.WSKey))
}

func TestFrameEncode_MatchesRFC6455Examples(t *testing.T) {
	// RFC 6455 section 5.7.
	hello := testkit.Frame{Fin: true, Op: 0x1, Payload: []byte("Hello")}
	assert.Equal(t, []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}, hello.Encode(), "a single-frame unmasked text message")
	first := testkit.Frame{Op: 0x1, Payload: []byte("Hel")}
	assert.Equal(t, []byte{0x01, 0x03, 0x48, 0x65, 0x6c}, first.Encode(), "the first fragment of an unmasked text message")
	b256 := testkit.Frame{Fin: true, Op: 0x2, Payload: make([]byte, 256)}.Encode()
	assert.Equal(t, []byte{0x82, 0x7E, 0x01, 0x00}, b256[:4], "256 bytes: a 16-bit length")
	assert.Len(t, b256, 4+256)
	b64k := testkit.Frame{Fin: true, Op: 0x2, Payload: make([]byte, 65536)}.Encode()
	assert.Equal(t, []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, b64k[:10], "64 KiB: a 64-bit length")

	masked := testkit.Frame{Fin: true, RSV: 4, Op: 0x9, Masked: true, Payload: []byte("Hello")}.Encode()
	require.Len(t, masked, 2+4+5)
	assert.Equal(t, []byte{0xC9, 0x85}, masked[:2], "FIN, RSV1, ping; the mask bit and length 5")
	key := masked[2:6]
	for i, c := range masked[6:] {
		assert.Equal(t, "Hello"[i], c^key[i%4], "byte %d of the payload is masked with the key", i)
	}
}

// independentEcho is a WebSocket server that is not ours:
// github.com/coder/websocket echoing every message, answering pings and
// close frames itself.
func independentEcho(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, p); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestWSClient_TalksToAnIndependentServer(t *testing.T) {
	var setup bool
	first := testkit.Frame{Fin: true, Op: 0x1, Masked: true, Payload: []byte("sent with the handshake")}
	c := testkit.DialWS(t, independentEcho(t), testkit.WSDial{
		Extra: first.Encode(),
		Setup: func(*net.TCPConn) { setup = true },
	})
	assert.True(t, setup, "Setup runs on the connection")
	c.Expect(0x1, []byte("sent with the handshake"), "the echo of the frame sent with the handshake")

	for _, n := range []int{0, 125, 126, 65535, 65536} {
		p := testkit.RandomBytes(n)
		c.Send(0x2, true, p)
		c.Expect(0x2, p, "the echo of a binary message")
	}
	c.SendAll(testkit.Frame{Op: 0x1, Masked: true, Payload: []byte("frag")},
		testkit.Frame{Fin: true, Op: 0x9, Masked: true, Payload: []byte("ping")},
		testkit.Frame{Fin: true, Op: 0x0, Masked: true, Payload: []byte("ment")})
	c.Expect(0xA, []byte("ping"), "the pong")
	c.Expect(0x1, []byte("fragment"), "the reassembled message")
	c.SendChopped(testkit.Frame{Fin: true, Op: 0x1, Masked: true, Payload: []byte("chopped")}, 1)
	c.Expect(0x1, []byte("chopped"), "the echo of a chopped frame")
	c.CloseCleanly("closing")
}

func TestDialWS_FailsWithTheHintWithoutA101(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	r := record(t, func(tb testing.TB) {
		testkit.DialWS(tb, srv.Listener.Addr().String(), testkit.WSDial{Path: "/ws", Hint: "look at Upgrade"})
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "a valid handshake must get 101 Switching Protocols")
	assert.Contains(t, r.msg, "404 Not Found")
	assert.Contains(t, r.msg, "look at Upgrade")
}

// rawServer answers the handshake, then sends wire as it is and closes.
func rawServer(t *testing.T, wire []byte) string {
	return testkit.StartTCPServer(t, func(conn *net.TCPConn) {
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		accept := testkit.WSAccept(req.Header.Get("Sec-WebSocket-Key"))
		conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + accept + "\r\n\r\n"))
		conn.Write(wire)
	})
}

func TestWSClient_ReadsWhatTheServerSent(t *testing.T) {
	sent := []testkit.Frame{
		{Fin: true, Op: 0x1, Payload: []byte("arrives with the 101")},
		{Fin: true, RSV: 5, Op: 0x2, Masked: true, Payload: testkit.RandomBytes(70000)},
		{Op: 0x1, Payload: []byte{}},
	}
	var wire []byte
	for _, f := range sent {
		wire = append(wire, f.Encode()...)
	}
	c := testkit.DialWS(t, rawServer(t, wire), testkit.WSDial{})
	for i, want := range sent {
		got, err := c.ReadFrame()
		require.NoError(t, err)
		assert.Equal(t, want, got, "frame %d comes back as it was sent, unmasked", i)
	}
	c.ExpectEOF("after the last frame")
}

func TestWSClient_FailsOnWhatAServerMustNotSend(t *testing.T) {
	cases := []struct {
		name, want string
		wire       []byte
		check      func(c *testkit.WSClient)
	}{
		{"a masked frame", "servers must never mask",
			testkit.Frame{Fin: true, Op: 0x1, Masked: true, Payload: []byte("x")}.Encode(),
			func(c *testkit.WSClient) { c.MustRead("a message") }},
		{"RSV bits", "the server set RSV bits",
			testkit.Frame{Fin: true, RSV: 2, Op: 0x1}.Encode(),
			func(c *testkit.WSClient) { c.MustRead("a message") }},
		{"a fragment with the wrong opcode", "must go on with continuation frames",
			append(testkit.Frame{Op: 0x1, Payload: []byte("a")}.Encode(), testkit.Frame{Fin: true, Op: 0x2, Payload: []byte("b")}.Encode()...),
			func(c *testkit.WSClient) { c.ReadMessage("a message") }},
		{"the wrong payload", "wrong payload",
			testkit.Frame{Fin: true, Op: 0x1, Payload: []byte("pong")}.Encode(),
			func(c *testkit.WSClient) { c.Expect(0x1, []byte("ping"), "the echo") }},
		{"the wrong close code", "wrong close code",
			testkit.Frame{Fin: true, Op: 0x8, Payload: []byte{0x03, 0xE9}}.Encode(),
			func(c *testkit.WSClient) { c.ExpectClose(1000, "closing") }},
		{"a message instead of a close", "expected a close frame (opcode 0x8)",
			testkit.Frame{Fin: true, Op: 0x1, Payload: []byte("hi")}.Encode(),
			func(c *testkit.WSClient) { c.ExpectClose(1000, "closing") }},
		{"more after the close frame", "expected the server to close the TCP connection",
			append(testkit.Frame{Fin: true, Op: 0x8, Payload: []byte{0x03, 0xE8}}.Encode(), 0x81),
			func(c *testkit.WSClient) { c.ExpectClose(1000, "closing") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, tc.wire)
			r := record(t, func(tb testing.TB) {
				tc.check(testkit.DialWS(tb, addr, testkit.WSDial{}))
			})
			assert.True(t, r.failed, "the check should fail")
			assert.Contains(t, r.msg, tc.want)
		})
	}
}

func TestWSClient_ExpectEOFFailsOnASilentServer(t *testing.T) {
	addr := testkit.StartTCPServer(t, func(conn *net.TCPConn) {
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + testkit.WSAccept(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"))
		<-t.Context().Done()
	})
	r := record(t, func(tb testing.TB) {
		c := testkit.DialWS(tb, addr, testkit.WSDial{})
		c.Conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		c.ExpectEOF("after the close frame")
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "the server did not close the TCP connection after its close frame", "a timeout gets its own message")
}
