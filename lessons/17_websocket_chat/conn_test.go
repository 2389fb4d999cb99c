package wschat_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ws "netlings/lessons/16_websocket"
	chat "netlings/lessons/17_websocket_chat"
)

func TestEchoServer_FailsMessagesOverTheLimit(t *testing.T) {
	srv := httptest.NewServer(chat.EchoServer{MessageLimit: 4096})
	t.Cleanup(srv.Close)

	t.Run("at the limit, in fragments", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.SendAll(fr(opBinary, false, make([]byte, 2048)), fr(opCont, true, make([]byte, 2048)))
		c.Expect(opBinary, make([]byte, 4096), "a message of exactly the limit")
		c.CloseCleanly("closing")
	})
	t.Run("one frame over the limit", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.Send(opBinary, true, make([]byte, 4097))
		c.ExpectClose(1009, "a message over the limit")
	})
	t.Run("small fragments adding up to more than the limit", func(t *testing.T) {
		c := dialRaw(t, srv)
		c.SendAll(fr(opText, false, bytes.Repeat([]byte("a"), 1500)), fr(opCont, false, bytes.Repeat([]byte("b"), 1500)),
			fr(opCont, false, bytes.Repeat([]byte("c"), 1500)))
		c.ExpectClose(1009, "fragments adding up to more than the limit: count the whole message, not one frame")
	})
}

func TestConn_OneWriterAtATimeAndNothingAfterClose(t *testing.T) {
	// 40 000 bytes is three fragments of at most MaxFrameSize: without a
	// lock held for the whole message, fragments of two writers interleave.
	const writers, perWriter, size = 8, 20, 40000
	var errClosedAfterClose atomic.Int32
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		c := chat.NewConn(wc, 0)
		var sent atomic.Int32
		var closed atomic.Bool
		for i := range writers {
			wg.Go(func() {
				msg := bytes.Repeat([]byte{byte('A' + i)}, size)
				for range perWriter {
					err := c.WriteMessage(ws.OpBinary, msg)
					if closed.Load() && errors.Is(err, chat.ErrClosed) {
						errClosedAfterClose.Add(1)
						return
					}
					if sent.Add(1) == writers*perWriter/2 {
						c.Close(ws.CloseGoingAway, "bye")
						closed.Store(true)
					}
				}
			})
		}
		wg.Wait()
	}))
	t.Cleanup(srv.Close)

	c := dialRaw(t, srv)
	data := 0
	for {
		f := c.ReadMessage(fmt.Sprintf("message %d or the close frame", data))
		if f.Op == opClose {
			require.Equal(t, []byte{0x03, 0xE9}, f.Payload[:2], "Close(1001, ...) must send close code 1001")
			break
		}
		require.Equal(t, byte(opBinary), f.Op, "message %d: wrong opcode: frames of two writers got mixed up", data)
		require.Len(t, f.Payload, size, "message %d: wrong length: frames of two writers got mixed up", data)
		require.Equal(t, bytes.Repeat(f.Payload[:1], size), f.Payload, "message %d: bytes of two messages are mixed", data)
		data++
	}
	require.GreaterOrEqual(t, data, writers*perWriter/2-writers, "messages written before Close must arrive before the close frame")
	c.ExpectEOF("nothing may follow a close frame")
	withinHint(t, 5*time.Second, "a WriteMessage after Close",
		"every writer must return (ErrClosed) once the connection is closed: is the write lock left locked on some path?", wg.Wait)
	require.Positive(t, errClosedAfterClose.Load(), "WriteMessage after Close must return ErrClosed")
}

func TestConn_UnsolicitedPongsDoNotFreezeTheReader(t *testing.T) {
	srv := httptest.NewServer(chat.EchoServer{})
	t.Cleanup(srv.Close)
	c := dialRaw(t, srv)
	// Nobody runs a heartbeat here, so nobody takes the pongs' signals.
	c.SendAll(fr(opPong, true, []byte("one")), fr(opPong, true, []byte("two")), fr(opPong, true, []byte("three")),
		fr(opText, true, []byte("still reading?")))
	c.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	f, err := c.ReadFrame()
	require.NoError(t, err, "three unsolicited pongs, then a message: the message was never echoed, ReadMessage froze. "+
		"Signal c.pongs without blocking (select with a default case): a pong nobody waits for is simply dropped")
	require.Equal(t, "still reading?", string(f.Payload), "unsolicited pongs get no answer: the next frame is the echo")
	c.CloseCleanly("closing")
}

func TestConn_WriteMessageSendsAnEmptyMessageAsOneFrame(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		defer wc.Close()
		c := chat.NewConn(wc, 0)
		c.WriteMessage(ws.OpText, nil)
		c.WriteMessage(ws.OpBinary, []byte{})
		c.WriteMessage(ws.OpText, []byte("after the empty ones"))
		time.Sleep(time.Second) // the client reads before the connection ends
	}))
	t.Cleanup(srv.Close)
	c := dialRaw(t, srv)
	c.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	for _, want := range []struct {
		op      byte
		payload string
	}{{opText, ""}, {opBinary, ""}, {opText, "after the empty ones"}} {
		f, err := c.ReadFrame()
		require.NoError(t, err, "waiting for the frames of WriteMessage(%s, empty), WriteMessage(binary, empty) and one more message", "text")
		if want.payload == "" && string(f.Payload) != "" {
			require.Failf(t, "an empty message sent nothing", "got %q (opcode 0x%X) first: an empty message is one frame, "+
				"FIN set, the message's opcode and no payload; a loop `for len(p) > 0` sends nothing for it", f.Payload, f.Op)
		}
		require.Equal(t, want.op, f.Op, "wrong opcode")
		require.True(t, f.Fin, "a message that fits in one frame has FIN set")
		require.Equal(t, want.payload, string(f.Payload))
	}
}

// slowDeadlines wraps the server's connections: every deadline set on
// them comes 20 times sooner, so a 10 s write deadline ends in half a
// second and the test need not wait 10 s to see it work.
type slowDeadlines struct{ net.Listener }

func (l slowDeadlines) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &fastConn{TCPConn: c.(*net.TCPConn)}, nil
}

type fastConn struct{ *net.TCPConn }

func sooner(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Now().Add(time.Until(t) / 20)
}

func (c *fastConn) SetDeadline(t time.Time) error      { return c.TCPConn.SetDeadline(sooner(t)) }
func (c *fastConn) SetWriteDeadline(t time.Time) error { return c.TCPConn.SetWriteDeadline(sooner(t)) }
func (c *fastConn) SetReadDeadline(t time.Time) error  { return c.TCPConn.SetReadDeadline(sooner(t)) }

func TestConn_WriteMessageGivesUpOnAClientThatStopsReading(t *testing.T) {
	done := make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		defer wc.Close()
		c := chat.NewConn(wc, 0)
		msg := make([]byte, 64<<10)
		for {
			if err := c.WriteMessage(ws.OpBinary, msg); err != nil {
				done <- err
				return
			}
		}
	}))
	srv.Listener = slowDeadlines{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	// The client joins, then never reads: the TCP buffers fill and Write blocks.
	c := dialRawPath(t, srv, "/", func(conn *net.TCPConn) { conn.SetReadBuffer(64 << 10) })
	defer c.Conn.Close()
	select {
	case err := <-done:
		require.ErrorIs(t, err, os.ErrDeadlineExceeded, "WriteMessage to a client that stopped reading should end at its write deadline")
	case <-time.After(5 * time.Second):
		require.FailNow(t, "WriteMessage to a client that stopped reading did not return within 5s",
			"a write to a peer that does not read blocks as soon as the TCP buffers are full, and holds the write lock "+
				"and a goroutine forever: set a write deadline (c.ws.NetConn().SetWriteDeadline, writeTimeout from now) before writing")
	}
}
