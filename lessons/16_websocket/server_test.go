package websocket_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	xnet "golang.org/x/net/websocket"

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
	c.ExpectClose(1000, "after the client's close frame")
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
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			_, err := c.Conn.Write(tc.wire)
			require.NoError(t, err)
			c.ExpectClose(tc.code, fmt.Sprintf("after %s", tc.name))
		})
	}

	// One byte over the limit, with the payload actually sent.
	t.Run("a frame one byte over the limit", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(0x2, true, make([]byte, 64<<10+1))
		c.ExpectClose(1009, "after a frame one byte over the read limit")
	})

	_, got, err := steady(false, []byte("still there?"))
	require.NoError(t, err, "a well-behaved client must keep being served while others misbehave")
	require.Equal(t, "still there?", string(got))
}
