package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// ANCHOR: reference

// waitForEOF is how long the test echo server waits, idle, for the rest of
// a message. A client that never half-closes would leave it waiting for
// ever; after this long the server gives up and resets the connection.
const waitForEOF = 2 * time.Second

// referenceEcho is a small echo server written for the tests, so the
// Roundtrip tests do not depend on your ServeEcho. It echoes in chunks of at
// most 4 KiB, as they arrive, and closes a connection after its EOF.
type referenceEcho struct {
	addr        string
	noHalfClose atomic.Bool // a client went quiet for waitForEOF without its EOF
	notReading  atomic.Bool // a client read none of the echo for waitForEOF
}

// startReferenceEcho starts a referenceEcho. shrinkBuffers caps its socket
// buffers at 64 KiB, so that a client that does not read while it writes
// gets stuck sooner.
func startReferenceEcho(t *testing.T, shrinkBuffers bool) *referenceEcho {
	ref := &referenceEcho{}
	ref.addr = testkit.StartTCPServer(t, func(conn *net.TCPConn) {
		if shrinkBuffers {
			conn.SetReadBuffer(64 << 10)
			conn.SetWriteBuffer(64 << 10)
		}
		buf := make([]byte, 4<<10)
		for {
			conn.SetReadDeadline(time.Now().Add(waitForEOF))
			n, err := conn.Read(buf)
			if n > 0 {
				conn.SetWriteDeadline(time.Now().Add(waitForEOF))
				if _, werr := conn.Write(buf[:n]); werr != nil {
					if testkit.IsTimeout(werr) {
						ref.notReading.Store(true)
						conn.SetLinger(0) // a reset: the client's blocked Write fails now
					}
					return
				}
			}
			if testkit.IsTimeout(err) {
				ref.noHalfClose.Store(true)
				conn.SetLinger(0) // a reset: the client must not take it for the end of the echo
				return
			}
			if err != nil {
				return // io.EOF: the client is done; StartTCPServer then closes the connection, which sends our FIN
			}
		}
	})
	return ref
}

// ANCHOR_END: reference

// roundtrip calls Roundtrip with a deadline of d, and gives it d and 2 s
// more to return: a Roundtrip that ignores its ctx is named, not waited for.
func roundtrip(t *testing.T, d time.Duration, addr string, msg []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	var reply []byte
	var err error
	testkit.CallWithin(t, d+2*time.Second, "Roundtrip",
		"it should give up when ctx's deadline passes: copy the deadline onto the connection (SetDeadline)",
		func() { reply, err = Roundtrip(ctx, addr, msg) })
	return reply, err
}

// ANCHOR: eof
func TestRoundtrip_HalfClosesToSayThatIsAll(t *testing.T) {
	ref := startReferenceEcho(t, false)
	start := time.Now()
	reply, err := roundtrip(t, ioTimeout, ref.addr, []byte("Hello World!"))
	if ref.noHalfClose.Load() {
		t.Fatalf("the echo server echoed your message, then waited %v for more, because nothing told it you were done: "+
			"after writing, call CloseWrite on the *net.TCPConn (a FIN: \"that is all\"). "+
			"This is the client that hangs, from the start of the chapter. (Roundtrip returned %q, %v)", waitForEOF, reply, err)
	}
	require.NoError(t, err, "Roundtrip against a working echo server")
	require.Equal(t, "Hello World!", string(reply))
	require.Less(t, time.Since(start), waitForEOF, "Roundtrip took too long for a 12-byte echo")
}

// ANCHOR_END: eof

func TestRoundtrip_ReturnsTheWholeReply(t *testing.T) {
	ref := startReferenceEcho(t, false)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // Roundtrip's own goroutines only

	for _, msg := range [][]byte{[]byte("Hello World!"), {}, testkit.RandomBytes(1<<20 + 5)} {
		t.Run(fmt.Sprintf("%d_bytes", len(msg)), func(t *testing.T) {
			reply, err := roundtrip(t, ioTimeout, ref.addr, msg)
			failIfStuck(t, ref, msg, reply, err)
			require.NoError(t, err, "Roundtrip against a working echo server")
			require.Equal(t, len(msg), len(reply), "the reply has the wrong length: read until EOF (io.ReadAll), one Read returns whatever has arrived so far")
			testkit.RequireSameBytes(t, msg, reply, "the reply")
		})
	}
}

// failIfStuck explains a Roundtrip against the reference echo server that
// ran into its deadline.
func failIfStuck(t *testing.T, ref *referenceEcho, msg, reply []byte, err error) {
	t.Helper()
	if ref.noHalfClose.Load() {
		t.Fatalf("after echoing, the server waited %v for your EOF and gave up: call CloseWrite after writing (%v)", waitForEOF, err)
	}
	if ref.notReading.Load() {
		t.Fatalf("the server could not send the echo for %v because Roundtrip was not reading it (Roundtrip returned %d of %d bytes): "+
			"read the reply while the message is still being sent, the writes in a goroutine and io.ReadAll until EOF in Roundtrip. "+
			"Writing everything before reading, or stopping after one Read, gets stuck like this (see \"Flow control\" in the chapter) (%v)",
			waitForEOF, len(reply), len(msg), err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		return
	}
	if len(reply) >= len(msg) {
		t.Fatalf("Roundtrip got the whole echo (%d bytes) but then waited until its deadline: the server closes only after the client's EOF. Did you call CloseWrite after writing? (%v)", len(reply), err)
	}
	t.Fatalf("Roundtrip got stuck until its deadline after reading %d of %d bytes: an echo server answers while you are still sending, so write from a goroutine while you read the reply (see \"Flow control\" in the chapter) (%v)", len(reply), len(msg), err)
}

func TestRoundtrip_StopsAtTheDeadline(t *testing.T) {
	addr := testkit.StartSilentServer(t)

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		took, err := roundtripWithin(t, ctx, addr)
		require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded),
			"against a server that never answers, Roundtrip should fail with a deadline error, got: %v", err)
		require.GreaterOrEqual(t, took, 150*time.Millisecond, "Roundtrip gave up before ctx's deadline")
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := roundtripWithin(t, ctx, addr)
		require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded),
			"cancelling ctx should stop Roundtrip with context.Canceled (or a deadline error), got: %v", err)
	})

	// A server that reads nothing: once the socket buffers are full,
	// Roundtrip's Write of 16 MiB blocks, and only ctx can end it.
	blockedWrite := func(t *testing.T, ctx context.Context) error {
		t.Helper()
		addr := startStuckServer(t)
		opt := goleak.IgnoreCurrent()
		msg := make([]byte, 16<<20)
		var err error
		// ctx ends after 200 ms in every caller.
		testkit.CallWithin(t, 2*time.Second+200*time.Millisecond, "Roundtrip",
			"its Write was blocked (the server reads nothing) and ctx ended: set the deadline for writing too "+
				"(SetDeadline, not SetReadDeadline, also when ctx is cancelled), and close or expire the connection before waiting for the sender",
			func() { _, err = Roundtrip(ctx, addr, msg) })
		if leak := goleak.Find(opt); leak != nil {
			t.Fatalf("Roundtrip returned, but its sender is still blocked in Write: wake it (a deadline for writing too, or close the connection) and wait for it before returning\n%v", leak)
		}
		return err
	}

	t.Run("deadline while Write is blocked", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		err := blockedWrite(t, ctx)
		require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded),
			"against a server that reads nothing, Roundtrip should fail with a deadline error, got: %v", err)
	})

	t.Run("cancel while Write is blocked", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(200*time.Millisecond, cancel)
		err := blockedWrite(t, ctx)
		require.True(t, errors.Is(err, context.Canceled) || errors.Is(err, os.ErrDeadlineExceeded),
			"cancelling ctx should stop Roundtrip with context.Canceled (or a deadline error), got: %v", err)
	})

	t.Run("cancelled before the call: no connection at all", func(t *testing.T) {
		ln := testkit.Listen(t).(*net.TCPListener)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := testkit.Returns2(t, "Roundtrip", "a cancelled ctx ends it at once",
			func() ([]byte, error) { return Roundtrip(ctx, ln.Addr().String(), []byte("Hello?")) })
		require.ErrorIs(t, err, context.Canceled, "Roundtrip with a ctx that was already cancelled should fail with context.Canceled")

		// The dial is part of the exchange that ctx bounds.
		require.NoError(t, ln.SetDeadline(time.Now().Add(300*time.Millisecond)))
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
			t.Fatal("Roundtrip connected to the server although ctx was already cancelled: dial with ctx too (net.Dialer.DialContext)")
		}
	})
}

// startStuckServer runs a test server that accepts connections and never
// reads from them, with a small receive buffer. It starts no goroutine per
// connection, and closes the connections only once the test has ended.
func startStuckServer(t *testing.T) string {
	ln := testkit.Listen(t)
	accepted := make(chan net.Conn, 8)
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close() // ends the Accept loop below
		<-done
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetReadBuffer(64 << 10)
			select {
			case accepted <- c:
			default:
				c.Close() // more clients than a test makes
			}
		}
	}()
	return ln.Addr().String()
}

// roundtripWithin runs Roundtrip against a server that never answers and
// fails the test if it has not returned 2 s after ctx is done.
func roundtripWithin(t *testing.T, ctx context.Context, addr string) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	var err error
	// ctx ends after 200 ms in every caller.
	testkit.CallWithin(t, 2*time.Second+200*time.Millisecond, "Roundtrip",
		"it was still waiting 2 s after ctx was done: copy ctx's deadline onto the connection (SetDeadline), and wake blocked calls when ctx is cancelled (context.AfterFunc)",
		func() { _, err = Roundtrip(ctx, addr, []byte("Hello?")) })
	return time.Since(start), err
}

func TestRoundtrip_ClosesItsConnection(t *testing.T) {
	t.Run("after a successful exchange", func(t *testing.T) {
		ref := startReferenceEcho(t, false)
		// No garbage collection while we count: it would close a leaked
		// connection for you (a finalizer), which a busy program cannot
		// count on.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		before, ok := openFiles()
		if !ok {
			t.Skip("cannot count this process's open files here (needs /proc/self/fd or /dev/fd)")
		}
		reply, err := roundtrip(t, ioTimeout, ref.addr, []byte("Hello World!"))
		failIfStuck(t, ref, []byte("Hello World!"), reply, err)
		require.NoError(t, err, "Roundtrip against a working echo server")

		// The test server closes its end once it has echoed; Roundtrip's
		// end must be closed too, so the count comes back down.
		now := before
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if now, _ = openFiles(); now <= before {
				return
			}
		}
		t.Fatalf("after a successful Roundtrip this process has %d open files, %d before: the connection was not closed; close it however Roundtrip returns (defer conn.Close())", now, before)
	})

	t.Run("after its deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		requireClosedAfterGivingUp(t, ctx)
	})

	t.Run("after a cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(200*time.Millisecond, cancel)
		requireClosedAfterGivingUp(t, ctx)
	})
}

// requireClosedAfterGivingUp runs Roundtrip with ctx, which ends after
// 200 ms, against a server that never answers, and checks that the server
// finds the connection closed within a second of Roundtrip's return.
func requireClosedAfterGivingUp(t *testing.T, ctx context.Context) {
	t.Helper()
	connected := make(chan struct{}, 1)
	returned := make(chan struct{})
	closedAfter := make(chan time.Duration, 1)
	addr := testkit.StartTCPServer(t, func(conn *net.TCPConn) {
		select {
		case connected <- struct{}{}:
		default:
		}
		go io.Copy(io.Discard, conn) // take what the client sends, never answer
		select {
		case <-returned:
		case <-t.Context().Done():
			return
		}
		// Once the client has closed its socket, a write to it is answered
		// with a reset, and a write after that fails.
		start := time.Now()
		for time.Since(start) < time.Second {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := conn.Write([]byte{0}); err != nil {
				closedAfter <- time.Since(start)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		closedAfter <- -1
	})

	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // Roundtrip's own goroutines only

	_, err := roundtripWithin(t, ctx, addr)
	close(returned)
	require.Error(t, err, "the server never answered, so Roundtrip should fail when ctx ends")
	select {
	case <-connected:
	case <-time.After(time.Second):
		t.Fatalf("Roundtrip returned (%v) without ever connecting to the server: dial addr", err)
	}
	select {
	case d := <-closedAfter:
		require.True(t, d >= 0,
			"Roundtrip returned, but its connection was still open a second later: close it however Roundtrip returns (defer conn.Close())")
	case <-time.After(ioTimeout):
		t.Fatal("the test server never reported (a bug in the test)")
	}
}

// openFiles counts the open file descriptors of this process, sockets
// included; ok is false where the system does not list them.
func openFiles() (n int, ok bool) {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if entries, err := os.ReadDir(dir); err == nil {
			return len(entries), true
		}
	}
	return 0, false
}

// openSockets counts the sockets this process has open (listeners and
// connections, not the pipes io.Copy keeps for splicing); ok is false
// where the system does not say which open file is a socket.
func openSockets() (n int, ok bool) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	for _, e := range entries {
		if link, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(link, "socket:") {
			n++
		}
	}
	return n, true
}

func TestRoundtrip_ReturnsAnErrorExactlyWhenSomethingFails(t *testing.T) {
	t.Run("a working server: no error", func(t *testing.T) {
		ref := startReferenceEcho(t, false)
		reply, err := roundtrip(t, ioTimeout, ref.addr, []byte("ping"))
		failIfStuck(t, ref, []byte("ping"), reply, err)
		require.NoError(t, err, "Roundtrip against a working echo server")
		require.Equal(t, "ping", string(reply))
	})

	t.Run("nothing listens at addr: the dial's error", func(t *testing.T) {
		ln := testkit.Listen(t)
		addr := ln.Addr().String()
		ln.Close() // a port where nobody listens: the dial is refused
		var (
			reply    []byte
			err      error
			panicked any
		)
		testkit.Call(t, "Roundtrip", "", func() {
			defer func() { panicked = recover() }()
			reply, err = Roundtrip(t.Context(), addr, []byte("Hello?"))
		})
		require.Nil(t, panicked,
			"Roundtrip panicked when the dial failed (%v): check DialContext's error and return it before using the connection", panicked)
		require.Error(t, err, "nothing listens at %s, yet Roundtrip returned %q and no error: return DialContext's error", addr, reply)
	})

	t.Run("the server resets the connection before msg is sent: the send's error", func(t *testing.T) {
		// The server answers at once, says "that is all" (its FIN, so the
		// client reads io.EOF), then closes without reading: a reset, which
		// fails the client's Write of a message too big to be buffered. The
		// reply was read to its end, but msg never arrived.
		addr := testkit.StartTCPServer(t, func(conn *net.TCPConn) {
			conn.SetReadBuffer(64 << 10)
			if _, err := conn.Write([]byte("go away")); err != nil {
				return
			}
			conn.CloseWrite()
			time.Sleep(200 * time.Millisecond)
			conn.SetLinger(0) // close with a reset
		})
		defer debug.SetGCPercent(debug.SetGCPercent(-1)) // see ClosesItsConnection
		before, canCount := openSockets()
		reply, err := roundtrip(t, ioTimeout, addr, make([]byte, 16<<20))
		require.Error(t, err,
			"the server reset the connection before Roundtrip could send all of msg, yet Roundtrip returned %d bytes and no error: when the reply ends cleanly, return the error of the send (Write or CloseWrite)", len(reply))
		require.False(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded),
			"Roundtrip ran into its deadline (%v): the send failed with a reset long before; when the reply has ended, wait for the sender and return its error", err)

		if !canCount {
			return // this system does not list a process's open sockets
		}
		// The server has closed its end; Roundtrip's must be closed too.
		now := before
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if now, _ = openSockets(); now <= before {
				return
			}
		}
		t.Fatalf("Roundtrip returned the send's error but left its connection open (%d open sockets, %d before): close it however Roundtrip returns (defer conn.Close())", now, before)
	})
}

// ANCHOR: flowcontrol
func TestRoundtrip_ReadsWhileItWrites(t *testing.T) {
	// 16 MiB is more than the socket buffers of both ends can hold. The
	// echo comes back while the client is still sending; if nobody reads
	// it, the server's writes block, so it stops reading, so the client's
	// writes block too: nobody moves until the deadline.
	ref := startReferenceEcho(t, true)
	msg := testkit.RandomBytes(16 << 20)

	reply, err := roundtrip(t, 2*ioTimeout, ref.addr, msg) // 32 MiB of traffic, on a slow machine too
	failIfStuck(t, ref, msg, reply, err)
	require.NoError(t, err, "Roundtrip of 16 MiB against a working echo server")
	require.Equal(t, len(msg), len(reply), "the reply has the wrong length")
	testkit.RequireSameBytes(t, msg, reply, "the reply")
}

// ANCHOR_END: flowcontrol

func TestRoundtrip_ReadsUntilTheServerCloses(t *testing.T) {
	// This server answers only once the whole message is in, which it
	// knows by the client's EOF, and it sends more than it got: the echo,
	// then a last line. Roundtrip returns whatever the server sends.
	const trailer = "\n-- end of echo --\n"
	for _, msg := range [][]byte{[]byte("Hello World!"), testkit.RandomBytes(64 << 10)} {
		t.Run(fmt.Sprintf("%d_bytes", len(msg)), func(t *testing.T) {
			var noHalfClose atomic.Bool
			addr := testkit.StartTCPServer(t, func(conn *net.TCPConn) {
				conn.SetReadDeadline(time.Now().Add(waitForEOF))
				data, err := io.ReadAll(conn)
				if err != nil {
					noHalfClose.Store(testkit.IsTimeout(err))
					conn.SetLinger(0) // a reset: the client must not take it for the end of the reply
					return
				}
				conn.Write(append(data, trailer...))
				// StartTCPServer closes the connection: the client's EOF.
			})

			reply, err := roundtrip(t, ioTimeout, addr, msg)
			if noHalfClose.Load() {
				t.Fatalf("the server waited %v for the rest of your message, because nothing told it you were done: "+
					"after writing, call CloseWrite on the *net.TCPConn (Roundtrip returned %d bytes, %v)", waitForEOF, len(reply), err)
			}
			require.NoError(t, err, "Roundtrip against a server that answers after your EOF")
			want := append(slices.Clip(msg), trailer...)
			require.Equal(t, len(want), len(reply),
				"Roundtrip returned %d bytes, the server sent %d before closing: read until EOF (io.ReadAll), not len(msg) bytes", len(reply), len(want))
			testkit.RequireSameBytes(t, want, reply, "the reply")
		})
	}
}
