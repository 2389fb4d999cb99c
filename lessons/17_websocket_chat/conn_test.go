package websocket_chat_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
