package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ANCHOR: reference

// startReferenceEcho runs a small echo server written for the tests, so the
// Roundtrip tests do not depend on your ServeEcho. It echoes in chunks of at
// most 4 KiB, as they arrive, and closes a connection after its EOF.
// shrinkBuffers caps the server's socket buffers at 64 KiB, so that a client
// that does not read while it writes gets stuck sooner.
func startReferenceEcho(t *testing.T, shrinkBuffers bool) string {
	return testkit.StartTCPServer(t, func(conn *net.TCPConn) {
		if shrinkBuffers {
			conn.SetReadBuffer(64 << 10)
			conn.SetWriteBuffer(64 << 10)
		}
		buf := make([]byte, 4<<10)
		for {
			n, err := conn.Read(buf)
			if n > 0 {
				if _, werr := conn.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return // io.EOF: the client is done; StartTCPServer then closes the connection, which sends our FIN
			}
		}
	})
}

// ANCHOR_END: reference

func TestRoundtrip_ReturnsTheWholeReply(t *testing.T) {
	addr := startReferenceEcho(t, false)

	for _, msg := range [][]byte{[]byte("Hello World!"), {}, testkit.RandomBytes(1<<20 + 5)} {
		t.Run(fmt.Sprintf("%d_bytes", len(msg)), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
			defer cancel()

			reply, err := Roundtrip(ctx, addr, msg)
			failIfStuck(t, msg, reply, err)
			require.NoError(t, err, "Roundtrip against a working echo server")
			require.Equal(t, len(msg), len(reply), "the reply has the wrong length: read until EOF (io.ReadAll), one Read returns whatever has arrived so far")
			testkit.RequireSameBytes(t, msg, reply, "the reply")
		})
	}
}

// failIfStuck explains a Roundtrip against the reference echo server that
// ran into its deadline.
func failIfStuck(t *testing.T, msg, reply []byte, err error) {
	t.Helper()
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
}

// roundtripWithin runs Roundtrip against a server that never answers and
// fails the test if it has not returned 2 s after ctx is done.
func roundtripWithin(t *testing.T, ctx context.Context, addr string) (time.Duration, error) {
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := Roundtrip(ctx, addr, []byte("Hello?"))
		done <- err
	}()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(2*time.Second + 200*time.Millisecond):
		// The test server's connections close when the test ends, which
		// lets the stuck Roundtrip return.
		t.Fatalf("Roundtrip was still waiting 2 s after ctx was done: copy ctx's deadline onto the connection (SetDeadline), and wake blocked calls when ctx is cancelled (context.AfterFunc)")
		return 0, nil
	}
}

// ANCHOR: flowcontrol
func TestRoundtrip_ReadsWhileItWrites(t *testing.T) {
	// 16 MiB is more than the socket buffers of both ends can hold. The
	// echo comes back while the client is still sending; if nobody reads
	// it, the server's writes block, so it stops reading, so the client's
	// writes block too: nobody moves until the deadline.
	addr := startReferenceEcho(t, true)
	msg := testkit.RandomBytes(16 << 20)

	ctx, cancel := context.WithTimeout(t.Context(), 2*ioTimeout) // 32 MiB of traffic, on a slow machine too
	defer cancel()
	reply, err := Roundtrip(ctx, addr, msg)
	failIfStuck(t, msg, reply, err)
	require.NoError(t, err, "Roundtrip of 16 MiB against a working echo server")
	require.Equal(t, len(msg), len(reply), "the reply has the wrong length")
	testkit.RequireSameBytes(t, msg, reply, "the reply")
}

// ANCHOR_END: flowcontrol
