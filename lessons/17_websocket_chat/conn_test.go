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
	"netlings/tools/testkit"
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

func TestEchoServer_ClosesTheConnectionWhenAWriteTimesOut(t *testing.T) {
	srv := httptest.NewUnstartedServer(chat.EchoServer{})
	srv.Listener = slowDeadlines{srv.Listener} // the 10 s write deadline ends in half a second
	srv.Start()
	t.Cleanup(srv.Close)
	// The client sends and never reads: the echoes fill the TCP buffers, and
	// the server's WriteMessage ends at its deadline. Once the server has
	// closed its socket, the kernel answers the client's writes with a reset.
	c := dialRawPath(t, srv, "/", func(conn *net.TCPConn) { conn.SetReadBuffer(64 << 10) })
	msg := fr(opBinary, true, make([]byte, 64<<10)).Encode()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Conn.Write(msg); err != nil && !testkit.IsTimeout(err) {
			return // the server closed the connection
		}
	}
	require.Fail(t, "EchoServer gave up on a client that stopped reading, but left its connection open",
		"when WriteMessage (or ReadMessage) fails, close the connection before returning (defer wc.Close() "+
			"after Upgrade: the handler owns the connection, and net/http no longer closes it)")
}

func TestConn_OneWriterAtATimeAndNothingAfterClose(t *testing.T) {
	// 40 000 bytes is three fragments of at most MaxFrameSize: without a
	// lock held for the whole message, fragments of two writers interleave.
	const writers, perWriter, size = 8, 20, 40000
	var errClosedAfterClose atomic.Int32
	var wg sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	// Each write pauses first, so that the writers really take turns: a
	// writer that does not hold the lock for its whole message gets cut in
	// on between two of its frames.
	srv.Listener = pausingListener{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)

	c := dialRaw(t, srv)
	data := 0
	for {
		f := c.ReadMessage(fmt.Sprintf("message %d or the close frame", data))
		if f.Op == opClose {
			require.Equal(t, append([]byte{0x03, 0xE9}, "bye"...), f.Payload,
				"Close(1001, \"bye\") must send code 1001 and the reason \"bye\": the payload is ws.ClosePayload(code, reason)")
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

// pausingListener's connections wait a moment before every Write, as a
// busy machine may switch to another goroutine right there.
type pausingListener struct{ net.Listener }

func (l pausingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return pausingConn{c}, nil
}

// pausingConn embeds the interface, not *net.TCPConn, so that every write
// goes through Write (net.Buffers would find the TCP connection's writev).
type pausingConn struct{ net.Conn }

func (c pausingConn) Write(p []byte) (int, error) {
	time.Sleep(100 * time.Microsecond)
	return c.Conn.Write(p)
}

func (c pausingConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

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
	srv := httptest.NewServer(connHandler(0, func(c *chat.Conn) {
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
	srv := httptest.NewUnstartedServer(connHandler(0, func(c *chat.Conn) {
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

func TestConn_ReadMessageReportsTheCloseAndWritesStop(t *testing.T) {
	closeWith := func(code uint16, reason string) []byte {
		return append([]byte{byte(code >> 8), byte(code)}, reason...)
	}
	cases := []struct {
		name   string
		frames []testkit.Frame
		sent   uint16 // the code of the server's close frame
		want   uint16 // the code of the *ws.CloseError ReadMessage returns
	}{
		{"an RSV1 text frame", []testkit.Frame{{Fin: true, RSV: 4, Op: opText, Masked: true, Payload: []byte("hi")}}, 1002, 1002},
		{"a binary message of 5000 bytes (limit 4096)", []testkit.Frame{fr(opBinary, true, make([]byte, 5000))}, 1009, 1009},
		{"a continuation with no message to continue", []testkit.Frame{fr(opCont, true, []byte("orphan"))}, 1002, 1002},
		{"text that is not UTF-8", []testkit.Frame{fr(opText, true, []byte("\xff"))}, 1007, 1007},
		{"a new message before the last one's final fragment",
			[]testkit.Frame{fr(opText, false, []byte("one")), fr(opText, true, []byte("two"))}, 1002, 1002},
		{"the client's close with 1000", []testkit.Frame{fr(opClose, true, closeWith(1000, ""))}, 1000, 1000},
		{"the client's close with 4000 and a reason", []testkit.Frame{fr(opClose, true, closeWith(4000, "bye"))}, 4000, 4000},
		{"the client's empty close", []testkit.Frame{fr(opClose, true, nil)}, 1000, ws.CloseNoStatus},
		{"the client's close with 1005, which no peer may send", []testkit.Frame{fr(opClose, true, closeWith(1005, ""))}, 1002, 1002},
		{"the client's close with a reason that is not UTF-8", []testkit.Frame{fr(opClose, true, closeWith(1000, "\xff"))}, 1007, 1007},
	}
	type result struct{ err, writeErr error }
	for _, tc := range cases {
		if t.Failed() {
			return // one failure says it: the rest would only repeat it
		}
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan result, 1)
			srv := httptest.NewServer(connHandler(4096, func(c *chat.Conn) {
				_, _, err := c.ReadMessage()
				done <- result{err, c.WriteMessage(ws.OpText, []byte("too late"))}
			}))
			t.Cleanup(srv.Close)
			c := dialRaw(t, srv)
			c.SendAll(tc.frames...)
			c.ExpectClose(tc.sent, "after "+tc.name)
			c.Conn.Close() // so that Fail need not wait for our side to close
			var r result
			select {
			case r = <-done:
			case <-time.After(5 * time.Second):
				require.FailNow(t, "ReadMessage did not return within 5s after "+tc.name)
			}
			var ce *ws.CloseError
			require.True(t, errors.As(r.err, &ce), "after %s ReadMessage must return a *ws.CloseError, got %v (%T): "+
				"return the error that says which close code went out (or, after the client's close, which code it sent)",
				tc.name, r.err, r.err)
			if tc.want == ws.CloseNoStatus {
				require.Equal(t, tc.want, ce.Code, "after the client's empty close frame ReadMessage returns a *ws.CloseError "+
					"with ws.CloseNoStatus (1005): the frame had no code (the close frame sent back still says 1000)")
			} else {
				require.Equal(t, tc.want, ce.Code, "ReadMessage returned the wrong close code after %s: "+
					"the code it failed the connection with, or the client's own code after a valid close", tc.name)
			}
			require.ErrorIs(t, r.writeErr, chat.ErrClosed, "WriteMessage after ReadMessage sent a close frame (after %s) "+
				"must return ErrClosed: set closeSent under writeMu whenever any close frame goes out, "+
				"also from ReadMessage, and write pongs and pings under the same lock", tc.name)
		})
	}
}

func TestConn_ReadMessageReturnsAnErrorWhenTheClientHangsUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		more []testkit.Frame // sent after a whole message, before hanging up
	}{
		{"between messages", nil},
		{"in the middle of a fragmented message", []testkit.Frame{fr(opText, false, []byte("half a mess"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				op  ws.Opcode
				msg []byte
				err error
			}
			results := make(chan result, 2)
			srv := httptest.NewServer(connHandler(0, func(c *chat.Conn) {
				for range 2 { // the whole message, then what comes after
					op, msg, err := c.ReadMessage()
					results <- result{op, msg, err}
					if err != nil {
						return
					}
				}
			}))
			t.Cleanup(srv.Close)
			c := dialRaw(t, srv)
			c.SendAll(append([]testkit.Frame{fr(opText, true, []byte("hello"))}, tc.more...)...)
			c.Conn.Close() // no close frame: the client just goes away
			next := func() result {
				t.Helper()
				select {
				case r := <-results:
					return r
				case <-time.After(5 * time.Second):
					require.FailNow(t, "ReadMessage did not return within 5s after the client closed its TCP connection "+tc.name)
					return result{}
				}
			}
			r := next()
			require.NoError(t, r.err, "ReadMessage failed on a whole text message sent before the client hung up")
			require.Equal(t, "hello", string(r.msg), "ReadMessage must return the message the client sent")
			r = next()
			require.Error(t, r.err, "the client closed its TCP connection %s, and ReadMessage returned opcode %d, "+
				"%d bytes and no error: return the read's error (io.EOF, io.ErrUnexpectedEOF), so the caller stops reading",
				tc.name, r.op, len(r.msg))
		})
	}
}

func TestConn_WriteMessageFragmentsAtMaxFrameSize(t *testing.T) {
	srv := httptest.NewServer(connHandler(0, func(c *chat.Conn) {
		c.WriteMessage(ws.OpBinary, make([]byte, 40000))
		c.WriteMessage(ws.OpText, bytes.Repeat([]byte("a"), chat.MaxFrameSize))
		c.WriteMessage(ws.OpText, bytes.Repeat([]byte("b"), chat.MaxFrameSize+1))
		time.Sleep(time.Second) // the client reads before the connection ends
	}))
	t.Cleanup(srv.Close)
	c := dialRaw(t, srv)
	c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	const hint = "WriteMessage must cut a message into frames of at most MaxFrameSize (16 KiB): the first with the message's " +
		"opcode, the rest continuation frames, FIN on the last; a message of exactly MaxFrameSize is one frame"
	for i, want := range []struct {
		op  byte
		fin bool
		len int
	}{
		{opBinary, false, 16384}, {opCont, false, 16384}, {opCont, true, 7232}, // 40000 bytes
		{opText, true, 16384},                     // exactly MaxFrameSize
		{opText, false, 16384}, {opCont, true, 1}, // one byte more
	} {
		f := c.MustRead(fmt.Sprintf("frame %d of WriteMessage(binary, 40000 bytes), WriteMessage(text, 16384), WriteMessage(text, 16385)", i+1))
		got := fmt.Sprintf("opcode 0x%X, FIN %v, %d bytes", f.Op, f.Fin, len(f.Payload))
		require.Equal(t, fmt.Sprintf("opcode 0x%X, FIN %v, %d bytes", want.op, want.fin, want.len), got,
			"frame %d of the messages of 40000, 16384 and 16385 bytes: %s", i+1, hint)
	}
}

func TestConn_CloseIsSafeToCallAgain(t *testing.T) {
	panics := make(chan any, 3)
	srv := httptest.NewServer(connHandler(0, func(c *chat.Conn) {
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				defer func() { panics <- recover() }()
				c.Close(ws.CloseGoingAway, "bye")
			})
		}
		wg.Wait()
	}))
	t.Cleanup(srv.Close)
	c := dialRaw(t, srv)
	for range 3 {
		select {
		case p := <-panics:
			require.Nil(t, p, "Close panicked when called a second time: it must be safe to call more than once, "+
				"from any goroutine (send the close frame once, guarded by closeSent under writeMu)")
		case <-time.After(5 * time.Second):
			require.FailNow(t, "three concurrent calls of Close did not all return within 5s", "is writeMu left locked on some path?")
		}
	}
	f := c.MustRead("the close frame")
	require.Equal(t, byte(opClose), f.Op, "Close must send a close frame")
	require.Equal(t, append([]byte{0x03, 0xE9}, "bye"...), f.Payload, "Close(1001, \"bye\") must send code 1001 and the reason")
	c.ExpectEOF("Close called three times must send one close frame and nothing more")
}

// stuckServer serves handle on every connection your Upgrade accepts, with
// the connection stuck from the start (see testkit.StuckListener). The connection
// is closed when the test ends, so a write stuck without a deadline ends.
// attempts counts the writes tried on the stuck connections.
func stuckServer(t *testing.T, handle func(wc *ws.Conn)) (srv *httptest.Server, attempts func() int) {
	t.Helper()
	var mu sync.Mutex
	var conns []*testkit.StuckConn
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wc, err := ws.Upgrade(w, r)
		if err != nil {
			return
		}
		defer wc.Close()
		sc := wc.NetConn().(*testkit.StuckConn)
		mu.Lock()
		conns = append(conns, sc)
		mu.Unlock()
		sc.Stick()
		handle(wc)
	}))
	srv.Listener = testkit.StuckListener{Listener: srv.Listener, Scale: sooner}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, sc := range conns {
			sc.Close()
		}
	})
	return srv, func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, sc := range conns {
			n += sc.Attempts()
		}
		return n
	}
}

func TestConn_EveryWriteGivesUpOnAClientThatStopsReading(t *testing.T) {
	// Every write below blocks as if the client had stopped reading: each
	// must end at its write deadline (made 20 times sooner here).
	waitFor := func(t *testing.T, done <-chan struct{}, what, hint string) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			require.FailNow(t, what+" did not return within 5s to a client that stopped reading", hint)
		}
	}
	t.Run("a pong", func(t *testing.T) {
		done := make(chan struct{})
		srv, attempts := stuckServer(t, func(wc *ws.Conn) {
			defer close(done)
			chat.NewConn(wc, 0).ReadMessage()
		})
		c := dialRaw(t, srv)
		c.Send(opPing, true, []byte("are you there?"))
		waitFor(t, done, "ReadMessage, answering a ping,",
			"the pong's write blocked for ever: every write, pongs included, needs a write deadline (writeTimeout from now)")
		require.Positive(t, attempts(), "ReadMessage returned without trying to answer the ping: a ping gets a pong at once")
	})
	t.Run("a heartbeat ping", func(t *testing.T) {
		done := make(chan struct{})
		srv, attempts := stuckServer(t, func(wc *ws.Conn) {
			defer close(done)
			c := chat.NewConn(wc, 0)
			stop := c.StartHeartbeat(50*time.Millisecond, 40*time.Millisecond)
			time.Sleep(200 * time.Millisecond) // a ping is stuck by now
			stop()
			c.Close(ws.CloseGoingAway, "") // waits for the write lock the ping holds
		})
		dialRaw(t, srv)
		waitFor(t, done, "Close, after a heartbeat ping,",
			"the heartbeat's ping blocked for ever, holding the write lock: every write, pings included, needs a write deadline")
		require.GreaterOrEqual(t, attempts(), 2, "expected a heartbeat ping within 200ms (interval 50ms), then Close's close frame")
	})
	t.Run("the close frame", func(t *testing.T) {
		done := make(chan struct{})
		srv, attempts := stuckServer(t, func(wc *ws.Conn) {
			defer close(done)
			chat.NewConn(wc, 0).Close(ws.CloseGoingAway, "")
		})
		dialRaw(t, srv)
		waitFor(t, done, "Close", "Close blocked on its close frame: give that write a deadline too (a second is plenty)")
		require.Positive(t, attempts(), "Close returned without trying to send a close frame")
	})
}
