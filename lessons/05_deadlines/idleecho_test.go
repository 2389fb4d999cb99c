package deadlines

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// startEchoIdle runs EchoIdle on the server end of a net.Pipe inside a
// bubble and returns the client end.
func startEchoIdle(t *testing.T, idle time.Duration) (client net.Conn, r *testkit.Running) {
	t.Helper()
	server, client := pipe(t)
	r = testkit.Go("EchoIdle", func() error { return EchoIdle(server, idle) })
	return client, r
}

// expectEcho writes msg as the client and reads its echo back.
func expectEcho(t *testing.T, client net.Conn, msg, when string) {
	t.Helper()
	if err := writeAllWithin(client, []byte(msg), time.Second); err != nil {
		// Perhaps EchoIdle is busy saying goodbye.
		bye := make([]byte, len(Goodbye))
		n, _ := readWithin(client, bye, time.Second)
		if n > 0 && string(bye[:n]) == Goodbye[:n] {
			t.Fatalf("%s: the client got %q instead of a chance to send %q: it was dropped although it was never silent for idle. Renew the read deadline before every Read (IdleReader)", when, bye[:n], msg)
		}
		t.Fatalf("%s: the client could not send %q (%v): is EchoIdle reading?", when, msg, err)
	}
	got := make([]byte, len(msg))
	client.SetReadDeadline(time.Now().Add(time.Second))
	n, err := io.ReadFull(client, got)
	if string(got[:n]) == Goodbye[:min(n, len(Goodbye))] && n > 0 {
		t.Fatalf("%s: the client got %q instead of the echo of %q: it was dropped although it was never silent for idle. Renew the read deadline before every Read (IdleReader)", when, got[:n], msg)
	}
	require.NoError(t, err, "%s: reading the echo of %q (got %q): EchoIdle should write back what it reads as soon as it arrives", when, msg, got[:n])
	require.Equal(t, msg, string(got), "%s: the echo", when)
}

func TestEchoIdle_ChattyClientStaysConnected(t *testing.T) {
	inBubble(t, "EchoIdle", func(t *testing.T) {
		const idle = 10 * time.Second
		client, r := startEchoIdle(t, idle)
		start := time.Now()

		// 12 messages, 9 s apart: never silent for 10 s, but 108 s in all.
		for i := range 12 {
			time.Sleep(9 * time.Second)
			require.False(t, r.Returned(), "EchoIdle returned after %v (error: %v) although the client was never silent for idle (%v)", time.Since(start), r.Err(), idle)
			expectEcho(t, client, fmt.Sprintf("message %d\n", i), fmt.Sprintf("message %d at %v", i, time.Since(start)))
		}
		// One message byte by byte, 9 s apart: what counts is the silence
		// between bytes, not how long a message takes.
		for _, b := range "slow" {
			time.Sleep(9 * time.Second)
			expectEcho(t, client, string(b), fmt.Sprintf("the byte %q at %v", b, time.Since(start)))
		}

		client.Close() // the client is done: EchoIdle reads io.EOF
		err := r.Wait(t, fakeLimit, "the client closed the connection", "a Read that returns io.EOF ends the loop")
		require.NoError(t, err, "the client closed its side (io.EOF): that is a normal end, EchoIdle should return nil")
	})
}

// eofWithDataConn is a net.Conn whose Read returns the last bytes and
// io.EOF in the same call, as the io.Reader contract allows: once a
// chunk that ends with "!" has been read, that Read also reports io.EOF.
type eofWithDataConn struct {
	net.Conn
	done bool
}

func (c *eofWithDataConn) Read(p []byte) (int, error) {
	if c.done {
		// Reading again after io.EOF is a mistake; the sleep lets the fake
		// clock move, so a loop that keeps reading is reported, not spun.
		time.Sleep(time.Second)
		return 0, io.EOF
	}
	n, err := c.Conn.Read(p)
	if err == nil && n > 0 && p[n-1] == '!' {
		c.done = true
		err = io.EOF
	}
	return n, err
}

func TestEchoIdle_EchoesTheBytesThatComeWithEOF(t *testing.T) {
	inBubble(t, "EchoIdle", func(t *testing.T) {
		server, client := pipe(t)
		r := testkit.Go("EchoIdle", func() error { return EchoIdle(&eofWithDataConn{Conn: server}, 10*time.Second) })

		expectEcho(t, client, "hello", "the first message")
		require.NoError(t, writeAllWithin(client, []byte("bye!"), time.Second), "the client could not send: is EchoIdle reading?")
		got := make([]byte, 4)
		client.SetReadDeadline(time.Now().Add(time.Second))
		n, err := io.ReadFull(client, got)
		require.NoError(t, err, "the Read that got %q also returned io.EOF, and the echo never came (got %q): "+
			"a Read may return data and an error together, so write the n bytes first, then look at err", "bye!", got[:n])
		require.Equal(t, "bye!", string(got))
		err = r.Wait(t, fakeLimit, "its Read returned the last bytes with io.EOF", "io.EOF ends the loop")
		require.NoError(t, err, "a Read that returns data and io.EOF together is a normal end: EchoIdle should return nil")
	})
}

// brokenConn is a net.Conn whose Reads fail with errBroken once a chunk
// that ends with "#" has been read, like a connection reset by its peer.
type brokenConn struct {
	net.Conn
	broken bool
}

var errBroken = errors.New("read: the test broke this connection")

func (c *brokenConn) Read(p []byte) (int, error) {
	if c.broken {
		time.Sleep(time.Second) // see eofWithDataConn.Read
		return 0, errBroken
	}
	n, err := c.Conn.Read(p)
	if n > 0 && p[n-1] == '#' {
		c.broken = true
	}
	return n, err
}

func TestEchoIdle_ReturnsOtherReadErrors(t *testing.T) {
	inBubble(t, "EchoIdle", func(t *testing.T) {
		server, client := pipe(t)
		r := testkit.Go("EchoIdle", func() error { return EchoIdle(&brokenConn{Conn: server}, 10*time.Second) })

		expectEcho(t, client, "then it breaks#", "the last message before the connection breaks")
		err := r.Wait(t, fakeLimit, "its Read failed", "return when Read fails with anything but a timeout")
		require.ErrorIs(t, err, errBroken, "a Read error that is neither io.EOF nor a timeout should be returned (it is why the client was lost)")
		_, err = readWithin(client, make([]byte, 64), time.Second)
		assert.ErrorIs(t, err, io.EOF, "EchoIdle should close conn before it returns, without Goodbye")
	})
}

func TestEchoIdle_ZeroIdleMeansNoLimit(t *testing.T) {
	for _, idle := range []time.Duration{0, -time.Second} {
		t.Run("idle "+idle.String(), func(t *testing.T) {
			inBubble(t, "EchoIdle", func(t *testing.T) {
				client, r := startEchoIdle(t, idle)
				time.Sleep(time.Hour)
				require.False(t, r.Returned(), "EchoIdle returned (error: %v) although idle %v means no limit", r.Err(), idle)
				// The echo's Write must not get a deadline of "now + 0" either.
				expectEcho(t, client, "after an hour", "a message after an hour of silence, with no idle limit")
				client.Close()
				require.NoError(t, r.Wait(t, fakeLimit, "the client closed the connection", ""))
			})
		})
	}
}

func TestEchoIdle_DropsASilentClientWithGoodbye(t *testing.T) {
	for _, tc := range []struct {
		name string
		talk bool // whether the client says something before going silent
	}{
		{"silent from the start", false},
		{"silent after one message", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, "EchoIdle", func(t *testing.T) {
				const idle = 10 * time.Second
				client, r := startEchoIdle(t, idle)
				if tc.talk {
					time.Sleep(3 * time.Second)
					expectEcho(t, client, "hello", "the first message, 3s after the start")
				}
				silentSince := time.Now()

				client.SetReadDeadline(time.Now().Add(fakeLimit))
				got, err := io.ReadAll(client) // Goodbye, then EOF when EchoIdle closes
				silence := time.Since(silentSince)
				if isTimeout(err) && string(got) == Goodbye {
					t.Fatalf("EchoIdle wrote Goodbye but did not close the connection: close conn before returning (defer conn.Close())")
				}
				if isTimeout(err) {
					t.Fatalf("the client was silent for %v and EchoIdle neither said goodbye nor closed the connection (got %q): read through an IdleReader with Idle %v", fakeLimit, got, idle)
				}
				require.NoError(t, err, "reading until EchoIdle closes the connection")
				require.Equal(t, Goodbye, string(got), "a client dropped for silence should get Goodbye, then the connection closes. "+
					"A timeout is not an EOF: check errors.Is(err, os.ErrDeadlineExceeded) and write Goodbye before closing")
				assert.Equal(t, idle, silence, "the client was dropped after %v of silence, want exactly idle (%v)", silence, idle)

				err = r.Wait(t, time.Second, "it closed the connection", "return right after closing")
				require.Error(t, err, "EchoIdle dropped a silent client and returned nil: return the Read's timeout error, nil means the client finished")
				assert.True(t, isTimeout(err), "EchoIdle should return the Read's timeout error (it matches os.ErrDeadlineExceeded), got %T %v", err, err)
			})
		})
	}
}

func TestEchoIdle_DropsAClientThatStopsReading(t *testing.T) {
	inBubble(t, "EchoIdle", func(t *testing.T) {
		const idle = 10 * time.Second
		client, r := startEchoIdle(t, idle)
		start := time.Now()

		// The client sends but never reads: net.Pipe has no buffer, so the
		// echo's Write blocks at once.
		require.NoError(t, writeAllWithin(client, []byte("are you listening?"), time.Second), "the client could not send: is EchoIdle reading?")
		err := r.Wait(t, fakeLimit, "the client stopped reading its echo",
			"give every Write a deadline too: conn.SetWriteDeadline(time.Now().Add(idle)) before each Write")
		require.Error(t, err, "EchoIdle returned nil although it could not deliver the echo")
		assert.True(t, isTimeout(err), "a Write that timed out should be returned as it is (it matches os.ErrDeadlineExceeded), got %T %v", err, err)
		assert.Equal(t, idle, time.Since(start), "a Write should get exactly idle to finish")

		_, err = readWithin(client, make([]byte, 64), time.Second)
		assert.ErrorIs(t, err, io.EOF, "EchoIdle should close conn before it returns")
	})
}

func TestEchoIdle_DropsASilentClientThatDoesNotReadEither(t *testing.T) {
	inBubble(t, "EchoIdle", func(t *testing.T) {
		const idle = 10 * time.Second
		_, r := startEchoIdle(t, idle) // the client never reads nor writes
		err := r.Wait(t, fakeLimit, "its client went silent and stopped reading",
			"the Goodbye is a Write like any other: it needs a write deadline too, or a client that does not read keeps EchoIdle forever")
		assert.True(t, isTimeout(err), "EchoIdle should return the timeout error, got %T %v", err, err)
	})
}

// TestEchoIdle_OverRealTCP runs EchoIdle under Serve on a loopback
// listener, with real sockets and the real clock: one client talks every
// 50 ms and stays, one says nothing and is dropped, and a client that
// half-closes gets its echo and no Goodbye.
func TestEchoIdle_OverRealTCP(t *testing.T) {
	const idle = 600 * time.Millisecond
	ln := testkit.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv := testkit.Go("Serve", func() error {
		return Serve(ctx, ln, func(conn net.Conn) { EchoIdle(conn, idle) })
	})
	t.Cleanup(func() {
		cancel()
		srv.Wait(t, ioTimeout, "its ctx was cancelled", "")
	})

	silent := testkit.DialTCP(t, ln.Addr().String())
	chatty := testkit.DialTCP(t, ln.Addr().String())

	start := time.Now()
	for i := 0; time.Since(start) < 2*idle; i++ {
		msg := fmt.Sprintf("tick %d\n", i)
		_, err := chatty.Write([]byte(msg))
		require.NoError(t, err, "the chatty client could not send after %v", time.Since(start))
		got := make([]byte, len(msg))
		n, err := io.ReadFull(chatty, got)
		require.NoError(t, err, "the chatty client, which talks every 50ms, read %q instead of the echo of %q after %v: it should stay connected as long as it talks (idle is %v)", got[:n], msg, time.Since(start), idle)
		time.Sleep(50 * time.Millisecond)
	}

	// By now the silent client has been silent for 2 × idle.
	silent.SetReadDeadline(time.Now().Add(ioTimeout))
	got, err := io.ReadAll(silent)
	if testkit.IsTimeout(err) {
		t.Fatalf("a client silent for %v was still connected %v later (it got %q): EchoIdle should drop it after idle (%v)", 2*idle, ioTimeout, got, idle)
	}
	require.NoError(t, err, "the silent client should read Goodbye, then EOF")
	require.Equal(t, Goodbye, string(got), "the silent client should read Goodbye, then EOF")

	// The chatty client says it is done: no Goodbye for a client that
	// leaves on its own.
	_, err = chatty.Write([]byte("last words"))
	require.NoError(t, err)
	require.NoError(t, chatty.CloseWrite())
	got, err = io.ReadAll(chatty)
	require.NoError(t, err, "after the client's half-close, EchoIdle should finish the echo and close the connection")
	require.Equal(t, "last words", string(got), "a client that half-closes gets the rest of its echo and no Goodbye: io.EOF is the end of the stream, not a timeout")
}
