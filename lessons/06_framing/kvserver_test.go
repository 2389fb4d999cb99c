package framing

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

func TestServeKV_AnswersEachRequestFrame(t *testing.T) {
	store := NewStore()
	_ = handle(t, store, "SET preloaded yes") // ServeKV serves the store it is given
	srv := startKV(t, testkit.Listen(t), store)
	c := dialKV(t, srv.addr)

	require.Equal(t, "VALUE yes", c.mustDo(t, "GET preloaded"), "ServeKV must answer from the Store it was given")
	require.Equal(t, "OK", c.mustDo(t, "SET city Lisbon, Portugal"))
	require.Equal(t, "VALUE Lisbon, Portugal", c.mustDo(t, "GET city"))
	require.Equal(t, "OK", c.mustDo(t, "DEL city"))
	require.Equal(t, "NOTFOUND", c.mustDo(t, "GET city"))
	require.Equal(t, "NOTFOUND", handle(t, store, "GET city"), "the client's DEL should have changed the Store given to ServeKV")
}

// ANCHOR: pipelined
func TestServeKV_SeveralRequestsInOneWrite(t *testing.T) {
	srv := startKV(t, testkit.Listen(t), NewStore())
	c := dialKV(t, srv.addr)

	// Three frames in one Write arrive in one segment, and most likely in
	// one Read on the server: it must answer all three, in order.
	var batch []byte
	for _, req := range []string{"SET a 1", "GET a", "DEL a", "GET a"} {
		batch = append(batch, frameOf(req)...)
	}
	_, err := c.conn.Write(batch)
	require.NoError(t, err)
	for i, want := range []string{"OK", "VALUE 1", "OK", "NOTFOUND"} {
		got, err := readTestFrame(c.r)
		require.NoError(t, err,
			"reply %d of 4 to four frames sent in one Write: bytes of the next frame arrive with this one, so keep ONE bufio.Reader per connection and let ReadFrame take exactly one frame at a time", i+1)
		require.Equal(t, want, string(got), "reply %d of 4, replies come in the order of the requests", i+1)
	}
}

// ANCHOR_END: pipelined

func TestServeKV_AnswersEverythingThenClosesAfterClientEOF(t *testing.T) {
	srv := startKV(t, testkit.Listen(t), NewStore())
	c := dialKV(t, srv.addr)

	// Two requests and the client's FIN, all before any reply is read: the
	// server answers both, then sees io.EOF between frames and closes.
	_, err := c.conn.Write(append(frameOf("SET last words"), frameOf("GET last")...))
	require.NoError(t, err)
	require.NoError(t, c.conn.CloseWrite())
	for i, want := range []string{"OK", "VALUE words"} {
		got, err := readTestFrame(c.r)
		require.NoError(t, err, "reply %d of 2: a client that half-closes after its requests still gets every reply", i+1)
		require.Equal(t, want, string(got), "reply %d of 2", i+1)
	}
	n, err := c.r.Read(make([]byte, 1))
	if testkit.IsTimeout(err) {
		t.Fatalf("the client half-closed (io.EOF between frames) and got its replies, but the server kept the connection open: close it when ReadFrame returns io.EOF")
	}
	require.Zero(t, n, "the server sent bytes after the last reply")
	require.ErrorIs(t, err, io.EOF, "after the client's EOF and the last reply, the server should close the connection (the client then reads io.EOF)")
}

// ANCHOR: trickle
func TestServeKV_OneRequestOverManyWrites(t *testing.T) {
	srv := startKV(t, testkit.Listen(t), NewStore())
	c := dialKV(t, srv.addr)

	// Go turns Nagle's algorithm off (TCP_NODELAY), so each small Write
	// leaves at once: the server sees the frame in pieces, split inside the
	// length and inside the payload.
	f := frameOf("SET trickle slowly, byte by byte")
	for _, piece := range [][]byte{f[:1], f[1:3], f[3:6], f[6:7], f[7:20], f[20:]} {
		_, err := c.conn.Write(piece)
		require.NoError(t, err)
		time.Sleep(20 * time.Millisecond)
	}
	got, err := readTestFrame(c.r)
	if testkit.IsTimeout(err) {
		t.Fatalf("no reply to a frame sent in six pieces: one Read may return part of a frame; read until you have the whole length, then the whole payload (io.ReadFull) (%v)", err)
	}
	require.NoError(t, err, "a frame sent in six pieces")
	require.Equal(t, "OK", string(got))
	require.Equal(t, "VALUE slowly, byte by byte", c.mustDo(t, "GET trickle"))
}

// ANCHOR_END: trickle

func TestServeKV_ServesManyClientsAtOnce(t *testing.T) {
	srv := startKV(t, testkit.Listen(t), NewStore())

	// Every client connects before any of them sends: a server that serves
	// one connection at a time never gets to the second one.
	const clients, rounds = 12, 20
	conns := make([]*kvClient, clients)
	for i := range conns {
		conns[i] = dialKV(t, srv.addr)
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		wg.Go(func() {
			for j := range rounds {
				key, val := fmt.Sprintf("c%d-k%d", i, j), fmt.Sprintf("v%d.%d %s", i, j, strings.Repeat("z", j))
				steps := []struct{ req, want string }{
					{"SET " + key + " " + val, "OK"},
					{"SET shared from client " + key, "OK"},
					{"GET " + key, "VALUE " + val},
				}
				for _, st := range steps {
					got, err := c.do(st.req)
					if err == nil && got != st.want {
						err = fmt.Errorf("%q got %q, want %q", st.req, got, st.want)
					}
					if err != nil {
						errs <- fmt.Errorf("client %d: %w", i, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if testkit.IsTimeout(err) {
			t.Fatalf("with %d clients connected at once, %v: does every connection get its own goroutine?", clients, err)
		}
		t.Errorf("with %d clients at once: %v", clients, err)
	}
	// Client 0 sees what client 15 stored: one Store for all.
	require.Equal(t, fmt.Sprintf("VALUE v%d.0 ", clients-1), conns[0].mustDo(t, fmt.Sprintf("GET c%d-k0", clients-1)),
		"all connections share the Store given to ServeKV")
}

// badClient is one way a client can get the protocol wrong, and what the
// server must do about it.
type badClient struct {
	name  string
	send  func(c *kvClient) error // what the client does
	reply bool                    // an "ERR ..." reply frame comes back
	close bool                    // then the server closes the connection
}

// ANCHOR: badinput
var badClients = []badClient{
	{name: "unknown command", send: sendFrame("FLY me to the moon"), reply: true},
	{name: "empty frame", send: sendFrame(""), reply: true},
	{name: "lower-case command", send: sendFrame("get color"), reply: true},
	{name: "length MaxFrame+1", send: sendBytes(header(MaxFrame + 1)), reply: true, close: true},
	{name: "length 0xFFFFFFFF (4 GiB)", send: sendBytes(header(0xFFFFFFFF)), reply: true, close: true},
	{name: "text without a length: \"GET \" reads as length 0x47455420", send: sendBytes([]byte("GET ")), reply: true, close: true},
	{name: "half a length, then EOF", send: sendThenHalfClose([]byte{0, 0}), close: true},
	{name: "a length and half the payload, then EOF", send: sendThenHalfClose(frameOf("SET half a frame")[:10]), close: true},
	{name: "half a frame, then a reset (RST)", send: sendThenReset(frameOf("SET half a frame")[:10]), close: true},
}

// ANCHOR_END: badinput

func sendFrame(req string) func(*kvClient) error {
	return sendBytes(frameOf(req))
}

func sendBytes(b []byte) func(*kvClient) error {
	return func(c *kvClient) error { _, err := c.conn.Write(b); return err }
}

func sendThenHalfClose(b []byte) func(*kvClient) error {
	return func(c *kvClient) error {
		if _, err := c.conn.Write(b); err != nil {
			return err
		}
		return c.conn.CloseWrite()
	}
}

func sendThenReset(b []byte) func(*kvClient) error {
	return func(c *kvClient) error {
		if _, err := c.conn.Write(b); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond) // let the server read the half frame
		c.conn.SetLinger(0)               // Close now sends RST instead of FIN
		return c.conn.Close()
	}
}

func TestServeKV_BadClientsGetERROrCloseOthersKeepGoing(t *testing.T) {
	srv := startKV(t, testkit.Listen(t), NewStore())

	// A well-behaved client, connected all along.
	good := dialKV(t, srv.addr)
	require.Equal(t, "OK", good.mustDo(t, "SET color blue"))

	for _, bc := range badClients {
		ok := t.Run(bc.name, func(t *testing.T) {
			c := dialKV(t, srv.addr)
			require.NoError(t, bc.send(c), "the bad client could not send")

			if bc.reply {
				got, err := readTestFrame(c.r)
				if testkit.IsTimeout(err) {
					t.Fatalf("no reply within %v to: %s. The server should answer with an \"ERR <reason>\" frame (a client connected earlier is still open: does every connection have its own goroutine?)", ioTimeout, bc.name)
				}
				then := "and keep the connection open"
				if bc.close {
					then = "before it closes the connection"
				}
				require.NoError(t, err, "reading the reply to: %s (the server should answer with an \"ERR <reason>\" frame %s)", bc.name, then)
				if bc.close {
					assert.Equal(t, "ERR frame too large", string(got), "the reply to %s (see ServeKV's doc comment)", bc.name)
				} else {
					assert.True(t, strings.HasPrefix(string(got), "ERR "), "the reply to %s should be \"ERR <reason>\", got %q", bc.name, got)
				}
			}
			if bc.close {
				if !strings.Contains(bc.name, "RST") {
					n, err := c.r.Read(make([]byte, 1))
					if testkit.IsTimeout(err) {
						t.Fatalf("after %s the server should close the connection, but it was still open after %v", bc.name, ioTimeout)
					}
					assert.Zero(t, n, "after %s the server sent more bytes instead of closing", bc.name)
					assert.Error(t, err, "after %s the server should close the connection", bc.name)
				}
			} else {
				require.Equal(t, "VALUE blue", c.mustDo(t, "GET color"),
					"after %s (answered with ERR), the same connection should go on serving requests", bc.name)
			}

			srv.requireRunning(t, bc.name)
			got, err := good.do("GET color")
			require.NoError(t, err, "the well-behaved client, connected all along, got no answer after another client sent %s: a bad client must end only its own connection", bc.name)
			require.Equal(t, "VALUE blue", got)
			fresh := dialKV(t, srv.addr)
			require.Equal(t, "VALUE blue", fresh.mustDo(t, "GET color"), "a new client after %s", bc.name)
		})
		if !ok {
			break // the server may be stuck now: the next cases would only wait for their deadlines
		}
	}
}

func TestServeKV_TextClientGetsERROrClose(t *testing.T) {
	// Someone tries the server with a text tool such as netcat: "GET color\r\n".
	// Its first four bytes read as a length of 0x47455420, over MaxFrame.
	srv := startKV(t, testkit.Listen(t), NewStore())
	c := dialKV(t, srv.addr)
	_, err := c.conn.Write([]byte("GET color\r\n"))
	require.NoError(t, err)

	got, err := readTestFrame(c.r)
	if err == nil {
		assert.True(t, strings.HasPrefix(string(got), "ERR "), "the reply to a text request should be \"ERR <reason>\", got %q", got)
		_, err = c.r.Read(make([]byte, 1))
	}
	if testkit.IsTimeout(err) {
		t.Fatalf("a text request without a length prefix reads as a length of %d: the server should refuse it (ERR frame too large) and close, not wait for %d bytes", 0x47455420, 0x47455420)
	}
	require.Error(t, err, "after a text request, the server should close the connection")
	srv.requireRunning(t, "a text request")
}

// ANCHOR: cancel
func TestServeKV_CancelStopsServerAndClosesConnections(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ln := &testkit.SlowCloseListener{Listener: testkit.Listen(t)}
	srv := startKV(t, ln, NewStore())

	// Idle clients, one of them in the middle of a frame: their connection
	// goroutines are blocked in Read.
	clients := make([]*kvClient, 3)
	for i := range clients {
		clients[i] = dialKV(t, srv.addr)
		require.Equal(t, "OK", clients[i].mustDo(t, fmt.Sprintf("SET k%d v", i)))
	}
	_, err := clients[2].conn.Write(frameOf("SET never finished")[:7])
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)

	srv.cancel()
	err = srv.run.Wait(t, ioTimeout, "its ctx was cancelled", "close the listener and every open connection, then wait for the connection goroutines")
	require.NoError(t, err, "a cancelled ctx is a normal stop: ServeKV should return nil")
	require.Zero(t, ln.Busy(),
		"ServeKV returned while connection goroutines were still running: wait for them (sync.WaitGroup) before returning")

	for i, c := range clients {
		_, err := c.r.Read(make([]byte, 1))
		require.Error(t, err, "client %d could still read after ServeKV returned", i)
		require.False(t, testkit.IsTimeout(err), "client %d was still connected after ServeKV returned: close every open connection when ctx is cancelled", i)
	}
	conn, err := net.DialTimeout("tcp", srv.addr, ioTimeout)
	if err == nil {
		conn.Close()
	}
	require.Error(t, err, "a new client could still connect after ServeKV returned: close the listener when ctx is cancelled")
}

// ANCHOR_END: cancel

func TestServeKV_ReturnsAcceptErrors(t *testing.T) {
	serve := func(ctx context.Context, ln net.Listener) error { return ServeKV(ctx, ln, NewStore()) }
	t.Run("listener closed by its owner is not a failure", func(t *testing.T) {
		testkit.RequireStopOnClosedListener(t, "ServeKV", serve)
	})
	t.Run("other Accept errors are returned", func(t *testing.T) {
		testkit.RequireAcceptErrorReturned(t, "ServeKV", serve)
	})
}
