package websocket_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	xnet "golang.org/x/net/websocket"

	ws "netlings/lessons/16_websocket"
	"netlings/tools/testkit"
)

// echoSizes crosses every length boundary of the frame header.
var echoSizes = []int{0, 1, 125, 126, 65535, 65536, 1 << 20}

// payloadFor makes a payload of n bytes: ASCII for text (valid UTF-8),
// arbitrary bytes for binary.
func payloadFor(n int, text bool) []byte {
	p := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 16))
	for i := range p {
		if text {
			p[i] = 'a' + byte(r.IntN(26))
		} else {
			p[i] = byte(r.Uint32())
		}
	}
	return p
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") + "/" }

// An echo test: send p as text or binary with one client, expect it back.
type echoClient struct {
	name string
	dial func(t *testing.T, url string) func(text bool, p []byte) (bool, []byte, error)
}

var echoClients = []echoClient{
	{"gorilla", func(t *testing.T, url string) func(bool, []byte) (bool, []byte, error) {
		d := gorilla.Dialer{HandshakeTimeout: 5 * time.Second}
		c, _, err := d.Dial(url, nil)
		require.NoError(t, err, "github.com/gorilla/websocket could not connect: check the handshake")
		t.Cleanup(func() { c.Close() })
		return func(text bool, p []byte) (bool, []byte, error) {
			c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			typ := gorilla.BinaryMessage
			if text {
				typ = gorilla.TextMessage
			}
			if err := c.WriteMessage(typ, p); err != nil {
				return false, nil, err
			}
			typ, got, err := c.ReadMessage()
			return typ == gorilla.TextMessage, got, err
		}
	}},
	{"coder", func(t *testing.T, url string) func(bool, []byte) (bool, []byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := coder.Dial(ctx, url, nil)
		require.NoError(t, err, "github.com/coder/websocket could not connect: check the handshake")
		t.Cleanup(func() { c.CloseNow() })
		c.SetReadLimit(2 << 20)
		return func(text bool, p []byte) (bool, []byte, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			typ := coder.MessageBinary
			if text {
				typ = coder.MessageText
			}
			if err := c.Write(ctx, typ, p); err != nil {
				return false, nil, err
			}
			typ, got, err := c.Read(ctx)
			return typ == coder.MessageText, got, err
		}
	}},
	{"x/net", func(t *testing.T, url string) func(bool, []byte) (bool, []byte, error) {
		cfg, err := xnet.NewConfig(url, "http://127.0.0.1/")
		require.NoError(t, err)
		cfg.Dialer = &net.Dialer{Timeout: 5 * time.Second}
		c, err := xnet.DialConfig(cfg)
		require.NoError(t, err, "golang.org/x/net/websocket could not connect: check the handshake")
		t.Cleanup(func() { c.Close() })
		return func(text bool, p []byte) (bool, []byte, error) {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			var err error
			if text {
				err = xnet.Message.Send(c, string(p))
			} else {
				err = xnet.Message.Send(c, p)
			}
			if err != nil {
				return false, nil, err
			}
			// x/net's Message codec hides the opcode; a Codec of our own sees it.
			var got []byte
			var gotText bool
			receive := xnet.Codec{Unmarshal: func(data []byte, payloadType byte, _ any) error {
				got, gotText = data, payloadType == xnet.TextFrame
				return nil
			}}
			err = receive.Receive(c, nil)
			return gotText, got, err
		}
	}},
}

func TestEchoServer_EchoesThreeIndependentClients(t *testing.T) {
	srv := echoServer(t, 0)
	for _, client := range echoClients {
		t.Run(client.name, func(t *testing.T) {
			echo := client.dial(t, wsURL(srv))
			for _, text := range []bool{true, false} {
				for _, size := range echoSizes {
					kind := map[bool]string{true: "text", false: "binary"}[text]
					p := payloadFor(size, text)
					gotText, got, err := echo(text, p)
					require.NoError(t, err, "%s: echoing a %d-byte %s message", client.name, size, kind)
					require.Equal(t, text, gotText, "%s: a %s message came back with the wrong opcode", client.name, kind)
					require.Equal(t, size, len(got), "%s: a %d-byte %s message came back with %d bytes", client.name, size, kind, len(got))
					require.True(t, bytes.Equal(p, got), "%s: a %d-byte %s message came back changed", client.name, size, kind)
				}
			}
		})
	}
}

func TestEchoServer_AnswersPingAndClose(t *testing.T) {
	srv := echoServer(t, 0)
	c := dialRaw(t, srv)
	c.Send(0x9, true, []byte("are you there?"))
	f := c.MustRead("a pong")
	require.Equal(t, byte(0xA), f.Op, "a ping must be answered with a pong (opcode 0xA)")
	require.Equal(t, "are you there?", string(f.Payload), "a pong carries the ping's payload")

	c.Send(0xA, true, []byte("unsolicited"))
	c.Send(0x2, true, []byte{1, 2, 3})
	f = c.MustRead("the echo of a binary frame")
	require.Equal(t, byte(0x2), f.Op, "an unsolicited pong needs no answer; the next frame must be the echo")

	c.Send(0x8, true, []byte{0x03, 0xE8}) // 1000
	expectCloseThenEOF(t, c, 1000, "after the client's close frame")
}

func TestEchoServer_FailsBadClientFramesAndKeepsServing(t *testing.T) {
	srv := echoServer(t, 64<<10)
	// A well-behaved client that stays connected the whole time.
	steady := echoClients[0].dial(t, wsURL(srv))

	cases := []struct {
		name string
		wire []byte
		code uint16
	}{
		{"an unmasked client frame", testkit.Frame{Fin: true, Op: 0x1, Payload: []byte("hi")}.Encode(), 1002},
		{"RSV1 without an extension", testkit.Frame{Fin: true, RSV: 4, Op: 0x1, Masked: true, Payload: []byte("hi")}.Encode(), 1002},
		{"RSV2 without an extension", testkit.Frame{Fin: true, RSV: 2, Op: 0x2, Masked: true}.Encode(), 1002},
		{"RSV3 without an extension", testkit.Frame{Fin: true, RSV: 1, Op: 0x9, Masked: true}.Encode(), 1002},
		{"reserved opcode 0x3", testkit.Frame{Fin: true, Op: 0x3, Masked: true}.Encode(), 1002},
		{"reserved opcode 0xF", testkit.Frame{Fin: true, Op: 0xF, Masked: true, Payload: []byte("?")}.Encode(), 1002},
		{"a ping of 126 bytes", testkit.Frame{Fin: true, Op: 0x9, Masked: true, Payload: make([]byte, 126)}.Encode(), 1002},
		{"a fragmented ping", testkit.Frame{Fin: false, Op: 0x9, Masked: true}.Encode(), 1002},
		{"a fragmented close", testkit.Frame{Fin: false, Op: 0x8, Masked: true, Payload: []byte{3, 232}}.Encode(), 1002},
		// Only a header that promises more than the 64 KiB limit: the server
		// must answer without waiting for (or allocating) the payload.
		{"a length over the read limit", []byte{0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4}, 1009},
		{"a 64-bit length of 2^62", []byte{0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 1009},
	}
	for _, tc := range cases {
		if t.Failed() {
			return // one failure says it: the rest would only repeat it, a second each
		}
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			_, err := c.Conn.Write(tc.wire)
			require.NoError(t, err)
			expectCloseThenEOF(t, c, tc.code, fmt.Sprintf("after %s", tc.name))
		})
	}

	// One byte over the limit, with the payload actually sent.
	t.Run("a frame one byte over the limit", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x2, true, make([]byte, 64<<10+1))
		expectCloseThenEOF(t, c, 1009, "after a frame one byte over the read limit")
	})

	_, got, err := steady(false, []byte("still there?"))
	require.NoError(t, err, "a well-behaved client must keep being served while others misbehave")
	require.Equal(t, "still there?", string(got))
}

// closeCode is the code in a close payload, 0 if there is none.
func closeCode(p []byte) uint16 {
	if len(p) < 2 {
		return 0
	}
	return uint16(p[0])<<8 | uint16(p[1])
}

// closeWith is a close payload: the code, big-endian, then the reason.
func closeWith(code uint16, reason string) []byte {
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

func TestEchoServer_AnswersOnlyCloseFramesAllowedOnTheWire(t *testing.T) {
	srv := echoServer(t, 0)
	for _, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		if t.Failed() {
			return // one failure says it: the rest would only repeat it, a second each
		}
		t.Run(fmt.Sprintf("code %d is echoed", code), func(t *testing.T) {
			c := dialRaw(t, srv)
			c.Send(0x8, true, closeWith(code, ""))
			expectCloseThenEOF(t, c, code, fmt.Sprintf("after a close frame with the valid code %d "+
				"(allowed: 1000-1003, 1007-1014, 3000-4999)", code))
		})
	}
	// 1005, 1006 and 1015 stand for "no code", "no close frame", "TLS failed"
	// in APIs and must never be sent; the others are unassigned or reserved.
	// Echoing one makes the client fail the connection (Node's ws does).
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		if t.Failed() {
			return
		}
		t.Run(fmt.Sprintf("code %d is a protocol error", code), func(t *testing.T) {
			c := dialRaw(t, srv)
			c.Send(0x8, true, closeWith(code, ""))
			expectCloseThenEOF(t, c, 1002, fmt.Sprintf("after a close frame with code %d, which no peer may send "+
				"(allowed: 1000-1003, 1007-1014, 3000-4999): fail with 1002 instead of echoing it", code))
		})
	}
	t.Run("an empty close frame gets 1000", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x8, true, nil)
		expectCloseThenEOF(t, c, 1000, "after a close frame without a code (never answer with 1005, which must not be sent)")
	})
	t.Run("a 1-byte close payload is a protocol error", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x8, true, []byte{0x03})
		expectCloseThenEOF(t, c, 1002, "after a close frame of one byte (half a code): fail with 1002")
	})
	t.Run("a reason that is not UTF-8 is invalid data", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x8, true, closeWith(1000, "bad \xff reason"))
		expectCloseThenEOF(t, c, 1007, "after a close frame whose reason is not UTF-8: fail with 1007 (utf8.Valid)")
	})
	t.Run("a UTF-8 reason is fine", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x8, true, closeWith(1001, "ça va, à bientôt"))
		expectCloseThenEOF(t, c, 1001, "after a close frame with a UTF-8 reason")
	})
	t.Run("a close frame of 125 bytes is legal", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x8, true, closeWith(1000, strings.Repeat("*", 123)))
		expectCloseThenEOF(t, c, 1000, "after a close frame of 125 bytes, the largest legal control frame")
	})
}

func TestEchoServer_AnswersAPingOf125Bytes(t *testing.T) {
	srv := echoServer(t, 0)
	c := dialRaw(t, srv)
	payload := bytes.Repeat([]byte{'p'}, 125)
	c.Send(0x9, true, payload)
	f := c.MustRead("the pong answering a 125-byte ping")
	require.Equal(t, byte(0xA), f.Op, "a ping of 125 bytes is legal and gets a pong: only more than 125 bytes is a protocol error")
	require.True(t, bytes.Equal(payload, f.Payload), "the pong must carry the ping's 125 bytes")
}

func TestEchoServer_NeverEchoesTextThatIsNotUTF8(t *testing.T) {
	srv := echoServer(t, 0)
	fr := func(op byte, fin bool, p string) testkit.Frame {
		return testkit.Frame{Fin: fin, Op: op, Masked: true, Payload: []byte(p)}
	}
	t.Run("characters cut between fragments are fine", func(t *testing.T) {
		c := dialRaw(t, srv)
		msg := "héllo, €, 𝄞!" // 2-, 3- and 4-byte characters
		var frames []testkit.Frame
		for i := range len(msg) { // one byte per fragment cuts every character
			op := byte(0x0)
			if i == 0 {
				op = 0x1
			}
			frames = append(frames, fr(op, i == len(msg)-1, msg[i:i+1]))
		}
		c.SendAll(frames...)
		var got []byte
		for len(got) < len(msg) {
			f := c.MustRead("the echo of a text message cut into one-byte fragments")
			require.NotEqual(t, byte(0x8), f.Op, "a valid text message cut into one-byte fragments was failed with close code %d: "+
				"a fragment may end in the middle of a character, whose other bytes come in the next fragment: "+
				"check UTF-8 across fragments, not each fragment on its own", closeCode(f.Payload))
			got = append(got, f.Payload...)
		}
		require.Equal(t, msg, string(got), "the fragments of a text message came back changed")
		c.CloseCleanly("closing")
	})
	t.Run("a character cut after other text in a fragment is fine", func(t *testing.T) {
		c := dialRaw(t, srv)
		msg := "héllo, €, 𝄞!"
		// The message in two fragments, cut after each byte in turn:
		// "h\xc3" + "\xa9llo, ...", and so on to "...\xf0\x9d\x84" + "\x9e!".
		var frames []testkit.Frame
		for i := 1; i < len(msg); i++ {
			frames = append(frames, fr(0x1, false, msg[:i]), fr(0x0, true, msg[i:]))
		}
		c.SendAll(frames...)
		for i := 1; i < len(msg); i++ {
			var got []byte
			for len(got) < len(msg) {
				f := c.MustRead("the echo of a text message in two fragments")
				require.NotEqual(t, byte(0x8), f.Op, "a valid text message sent as %q + %q was failed with close code %d: "+
					"a fragment may end in the first bytes of a character after other text: split off only the character "+
					"cut at the end (it starts in the last three bytes: utf8.RuneStart, utf8.FullRune), check the rest "+
					"with utf8.Valid, and carry the cut bytes over to the next fragment", msg[:i], msg[i:], closeCode(f.Payload))
				got = append(got, f.Payload...)
			}
			require.Equal(t, msg, string(got), "the fragments %q + %q came back changed", msg[:i], msg[i:])
		}
		c.CloseCleanly("closing")
	})
	t.Run("binary is not text", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x2, true, []byte{0xff, 0xfe, 0xc0})
		got := c.ReadMessage("the echo of a binary message")
		require.Equal(t, []byte{0xff, 0xfe, 0xc0}, got.Payload, "only text must be UTF-8: a binary message is echoed whatever its bytes")
		c.CloseCleanly("closing")
	})
	cases := []struct {
		name   string
		frames []testkit.Frame
		echoed int // how many of the first fragments are valid so far, and may be echoed
	}{
		{"a byte that is never UTF-8", []testkit.Frame{fr(0x1, true, "abc\xffdef")}, 0},
		{"a surrogate half", []testkit.Frame{fr(0x1, true, "\xed\xa0\x80")}, 0},
		{"an overlong encoding", []testkit.Frame{fr(0x1, true, "\xc0\xaf")}, 0},
		{"a message that ends inside a character", []testkit.Frame{fr(0x1, true, "abc\xe2\x82")}, 0},
		{"a final fragment that ends inside a character", []testkit.Frame{fr(0x1, false, "abc"), fr(0x0, true, "\xe2\x82")}, 1},
		{"a character that goes wrong in the next fragment", []testkit.Frame{fr(0x1, false, "ok \xce"), fr(0x0, true, "A")}, 1},
		// Each of these fragments ends in bytes that no continuation can make
		// valid: they are wrong already, before the next fragment comes.
		{"a fragment ending in the start of a surrogate", []testkit.Frame{fr(0x1, false, "ok \xed\xa0"), fr(0x0, true, "\x80")}, 0},
		{"a fragment ending above U+10FFFF", []testkit.Frame{fr(0x1, false, "ok \xf4\x90"), fr(0x0, true, "\x80\x80")}, 0},
		{"a fragment ending in an overlong lead byte", []testkit.Frame{fr(0x1, false, "ok \xc0"), fr(0x0, true, "\xaf")}, 0},
	}
	for _, tc := range cases {
		if t.Failed() {
			return // one failure says it: the rest would only repeat it, a second each
		}
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			c.SendAll(tc.frames...)
			for i := range tc.echoed {
				c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				f, err := c.ReadFrame()
				require.NoError(t, err, "%s: waiting for the echo of fragment %d or the close frame", tc.name, i+1)
				if f.Op == 0x8 {
					require.Equal(t, closeWith(1007, "")[:2], f.Payload[:min(2, len(f.Payload))], "%s: wrong close code", tc.name)
					requireCleanEOF(t, c, tc.name)
					return
				}
			}
			why := tc.name + ": text that is not UTF-8 must never be echoed: the client would fail " +
				"the connection. Check each text fragment, carrying a character cut at its end over to the next, and fail with 1007"
			if tc.echoed == 0 && len(tc.frames) > 1 {
				why += ". A fragment ending in bytes that can never start a valid character is already invalid: " +
					"carry over only what utf8.FullRune says is cut short (it is true for these), and fail before echoing it"
			}
			expectCloseThenEOF(t, c, 1007, why)
		})
	}
}

func TestEchoServer_FailsBrokenFragmentation(t *testing.T) {
	srv := echoServer(t, 0)
	fr := func(op byte, fin bool, p string) testkit.Frame {
		return testkit.Frame{Fin: fin, Op: op, Masked: true, Payload: []byte(p)}
	}
	t.Run("a ping between fragments is answered", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.SendAll(fr(0x1, false, "Hel"), fr(0x9, true, "ping"), fr(0x0, true, "lo"))
		f := c.MustRead("the echo of the first fragment")
		require.Equal(t, []byte("Hel"), f.Payload)
		f = c.MustRead("the pong")
		require.Equal(t, byte(0xA), f.Op, "a ping between two fragments is answered at once")
		f = c.MustRead("the echo of the last fragment")
		require.Equal(t, byte(0x0), f.Op, "the last fragment is a continuation frame")
		c.CloseCleanly("closing")
	})
	t.Run("a continuation with no message to continue", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x0, true, []byte("orphan"))
		expectCloseThenEOF(t, c, 1002, "after a continuation frame that continues nothing: echoing it would break the client, fail with 1002")
	})
	t.Run("a continuation after a finished message", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.SendAll(fr(0x1, true, "done"), fr(0x0, true, "orphan"))
		f := c.MustRead("the echo of the finished message")
		require.Equal(t, []byte("done"), f.Payload)
		expectCloseThenEOF(t, c, 1002, "after a continuation frame that follows a finished message: "+
			"the frame with FIN set ended that message, so this continuation continues nothing: fail with 1002")
	})
	t.Run("a new message before the last one's final fragment", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.SendAll(fr(0x1, false, "first"), fr(0x1, true, "second"))
		f := c.MustRead("the echo of the first fragment")
		require.Equal(t, []byte("first"), f.Payload)
		expectCloseThenEOF(t, c, 1002, "after a text frame in the middle of a fragmented message: fail with 1002")
	})
}

func TestEchoServer_ClosesTheConnectionWhenTheClientGoesAway(t *testing.T) {
	srv := echoServer(t, 0)
	cut := testkit.Frame{Fin: true, Op: 0x2, Masked: true, Payload: []byte("never finished")}.Encode()[:8]
	for _, tc := range []struct {
		name string
		last []byte // sent before the client's FIN
	}{
		{"after a whole frame", nil},
		{"in the middle of a frame", cut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			c.Send(0x2, true, []byte("hello"))
			c.Expect(0x2, []byte("hello"), "the echo of a binary frame")
			_, err := c.Conn.Write(tc.last)
			require.NoError(t, err)
			// A FIN, no close frame: the client just goes away.
			require.NoError(t, c.Conn.CloseWrite())
			c.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			for {
				f, err := c.ReadFrame()
				if err != nil {
					require.False(t, testkit.IsTimeout(err), "the client ended its TCP connection %s, without a close frame, "+
						"and the server never closed its side: the hijacked connection leaks. Close the Conn however "+
						"the loop ends: defer c.Close() right after Upgrade succeeds", tc.name)
					return // io.EOF (or a reset): closed
				}
				require.Equal(t, byte(0x8), f.Op, "the client ended its TCP connection %s: nothing may be echoed after that, "+
					"got opcode 0x%X %q", tc.name, f.Op, short(f.Payload))
			}
		})
	}
}

func TestConnFail_ClosesCleanlyWhileTheClientStillSends(t *testing.T) {
	srv := echoServer(t, 64<<10)
	for i := range 3 {
		t.Run(fmt.Sprintf("try %d", i+1), func(t *testing.T) {
			c := dialRaw(t, srv)
			// A frame far over the limit, with 256 KiB of its payload sent: the
			// server fails after the header, with those bytes still unread.
			wire := testkit.Frame{Fin: true, Op: 0x2, Masked: true, Payload: make([]byte, 1<<20)}.Encode()
			c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Conn.Write(wire[:256<<10]) // may fail if the server resets: the checks below say why
			expectCloseThenEOF(t, c, 1009, "after a frame over the read limit, its payload still arriving")
			// The client answers the close frame, as RFC 6455 asks: a server that
			// is still draining reads it; one that reset the connection makes
			// this write fail.
			c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, err := c.Conn.Write(testkit.Frame{Fin: true, Op: 0x8, Masked: true, Payload: closeWith(1009, "")}.Encode())
			require.NoError(t, err, "the client's answer to the close frame could not be sent: the server reset the connection. "+lingerHint)
		})
	}
}

func TestEchoServer_ZeroReadLimitMeansDefault(t *testing.T) {
	srv := echoServer(t, 0)
	const hint = "ReadLimit 0 means DefaultReadLimit (4 MiB), not \"no limit\" and not another number: " +
		"in Conn.ReadFrame use DefaultReadLimit when c.ReadLimit is zero"
	t.Run("one byte over DefaultReadLimit", func(t *testing.T) {
		c := dialRaw(t, srv)
		// Only the header, announcing 4 MiB + 1 bytes: the answer must not wait for the payload.
		_, err := c.Conn.Write([]byte{0x82, 0xFF, 0, 0, 0, 0, 0, 0x40, 0, 0x01, 1, 2, 3, 4})
		require.NoError(t, err)
		expectCloseThenEOF(t, c, 1009, "after a frame header announcing DefaultReadLimit+1 bytes to an EchoServer with ReadLimit 0: "+hint)
	})
	t.Run("exactly DefaultReadLimit", func(t *testing.T) {
		c := dialRaw(t, srv)
		// Four megabytes each way under -race on a busy machine: 20 s.
		c.Conn.SetDeadline(time.Now().Add(20 * time.Second))
		wire := testkit.Frame{Fin: true, Op: 0x2, Masked: true, Payload: make([]byte, ws.DefaultReadLimit)}.Encode()
		sent := make(chan error, 1)
		go func() { // a server that refuses the frame stops reading it: the write then fails, the read below says why
			_, err := c.Conn.Write(wire)
			sent <- err
		}()
		f, err := c.ReadFrame()
		require.NoError(t, err, "waiting for the echo of a frame of exactly DefaultReadLimit bytes, sent to an EchoServer with ReadLimit 0: "+hint)
		require.NotEqual(t, byte(0x8), f.Op, "a frame of exactly DefaultReadLimit bytes was failed with close code %d: %s (the limit is inclusive)",
			closeCode(f.Payload), hint)
		require.Equal(t, int(ws.DefaultReadLimit), len(f.Payload), "the echo of a frame of DefaultReadLimit bytes has the wrong length")
		require.NoError(t, <-sent)
		c.CloseCleanly("closing")
	})
}

// connServer runs handle on every connection your Upgrade accepts, then
// closes it.
func connServer(t *testing.T, handle func(c *ws.Conn)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		defer c.Close()
		handle(c)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConnWriteFrame_NeverMasks(t *testing.T) {
	srv := connServer(t, func(c *ws.Conn) {
		c.WriteFrame(ws.Frame{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: [4]byte{1, 2, 3, 4}, Payload: []byte("hi")})
	})
	c := dialRaw(t, srv)
	c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := c.ReadFrame()
	require.NoError(t, err, "waiting for the frame the handler wrote with Conn.WriteFrame")
	require.False(t, f.Masked, "Conn.WriteFrame was given a frame with Masked set and sent it masked: "+
		"a server never masks, whatever the caller passes: clear f.Masked before writing")
	require.Equal(t, "hi", string(f.Payload), "Conn.WriteFrame sent the wrong payload")
}

func TestConnFail_SendsCodeAndReason(t *testing.T) {
	srv := connServer(t, func(c *ws.Conn) { c.Fail(4000, "custom reason") })
	c := dialRaw(t, srv)
	c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := c.ReadFrame()
	require.NoError(t, err, "waiting for the close frame of Fail(4000, \"custom reason\")")
	require.Equal(t, byte(0x8), f.Op, "Fail must send a close frame (opcode 0x8)")
	require.Equal(t, closeWith(4000, "custom reason"), f.Payload,
		"Fail(4000, \"custom reason\") must send the code and the reason: the payload is ClosePayload(code, reason)")
}

func TestConnFail_ReturnsSoonAndAlwaysCloses(t *testing.T) {
	// failed is what a handler's Fail did: how long it took and what it returned.
	type failed struct {
		took time.Duration
		err  error
	}
	timeFail := func(c *ws.Conn, code uint16) failed {
		start := time.Now()
		err := c.Fail(code, "")
		return failed{time.Since(start), err}
	}
	waitFail := func(t *testing.T, done <-chan failed, what, hint string) failed {
		t.Helper()
		select {
		case r := <-done:
			require.Less(t, r.took, 4*time.Second, "Fail took %v %s: %s", r.took, what, hint)
			return r
		case <-time.After(5 * time.Second):
			require.FailNow(t, "Fail did not return within 5s "+what, hint)
			return failed{}
		}
	}

	t.Run("the client stays silent", func(t *testing.T) {
		done := make(chan failed, 1)
		c := dialRaw(t, connServer(t, func(c *ws.Conn) { done <- timeFail(c, 1001) }))
		// The client reads the close frame, then neither reads, writes nor closes.
		c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := c.ReadFrame()
		require.NoError(t, err, "waiting for Fail's close frame")
		require.Equal(t, byte(0x8), f.Op, "Fail must send a close frame")
		r := waitFail(t, done, "while the client kept its connection open without a word", lingerBoundHint)
		require.NoError(t, r.err, "Fail returns the error of its write: the close frame went out, so nil, "+
			"whatever ends the drain afterwards (here its read deadline)")
	})

	t.Run("the client keeps sending", func(t *testing.T) {
		done := make(chan failed, 1)
		c := dialRaw(t, connServer(t, func(c *ws.Conn) { done <- timeFail(c, 1001) }))
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() { // 64 KiB chunks for 6 s, until the server resets the connection
			defer close(stopped)
			chunk := make([]byte, 64<<10)
			for end := time.Now().Add(6 * time.Second); time.Now().Before(end); {
				select {
				case <-stop:
					return
				default:
				}
				c.Conn.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
				if _, err := c.Conn.Write(chunk); err != nil && !testkit.IsTimeout(err) {
					return
				}
			}
		}()
		defer func() { close(stop); <-stopped }()
		waitFail(t, done, "while the client kept sending", lingerBoundHint)
	})

	t.Run("the client stopped reading", func(t *testing.T) {
		done := make(chan failed, 1)
		conns := make(chan *testkit.StuckConn, 1)
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := ws.Upgrade(w, r)
			if err != nil {
				return
			}
			defer c.Close()
			sc := c.NetConn().(*testkit.StuckConn)
			conns <- sc
			sc.Stick() // from now on, writes wait as if the client's buffers were full
			done <- timeFail(c, 1001)
		}))
		srv.Listener = testkit.StuckListener{Listener: srv.Listener}
		srv.Start()
		t.Cleanup(srv.Close)
		dialRaw(t, srv)
		select {
		case sc := <-conns:
			t.Cleanup(func() { sc.Close() }) // a Fail still blocked on its write gets it back
		case <-time.After(5 * time.Second):
			require.FailNow(t, "the handler never got the connection from Upgrade")
		}
		waitFail(t, done, "to a client that stopped reading",
			"Fail blocked writing its close frame into full TCP buffers: set a write deadline (a second or two) before the write")
	})

	t.Run("the client reset the connection", func(t *testing.T) {
		type result struct {
			err, readErr error
		}
		done := make(chan result, 1)
		reset := make(chan struct{})
		c := dialRaw(t, connServer(t, func(c *ws.Conn) {
			<-reset
			time.Sleep(200 * time.Millisecond) // the reset has arrived
			err := c.Fail(1000, "")
			_, readErr := c.NetConn().Read(make([]byte, 1))
			done <- result{err, readErr}
		}))
		// Linger 0 makes Close send a reset instead of a FIN.
		c.Conn.SetLinger(0)
		c.Conn.Close()
		close(reset)
		var r result
		select {
		case r = <-done:
		case <-time.After(5 * time.Second):
			require.FailNow(t, "Fail did not return within 5s on a connection the client had reset", lingerBoundHint)
		}
		require.Error(t, r.err, "the client had reset the connection, so writing the close frame failed: Fail must return that error")
		require.ErrorIs(t, r.readErr, net.ErrClosed, "after Fail the connection must be closed (a Read says net.ErrClosed), "+
			"also when writing the close frame failed: Fail always closes (defer c.nc.Close())")
	})
}

// lingerBoundHint is what a Fail that does not return in time needs.
const lingerBoundHint = "Fail's drain must be bounded: after CloseWrite, discard what the client sends with a read deadline " +
	"of a second or two (and at most some bytes, say io.LimitReader of 1 MiB), then Close"
