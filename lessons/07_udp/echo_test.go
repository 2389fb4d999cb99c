package udp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// startEcho runs ServeEcho on pc. When the test ends it closes pc,
// cancels ctx and waits for ServeEcho to return. It fails the test at
// once if ServeEcho returns on its own.
func startEcho(t *testing.T, pc net.PacketConn, maxSize int) (*testkit.Running, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	run := testkit.Go("ServeEcho", func() error { return ServeEcho(ctx, pc, maxSize) })
	t.Cleanup(func() {
		pc.Close()
		cancel()
		select {
		case <-run.Done():
		case <-time.After(ioTimeout):
			t.Errorf("ServeEcho did not return within %v after its socket was closed and its ctx cancelled", ioTimeout)
		}
	})
	select {
	case <-run.Done():
		t.Fatalf("ServeEcho returned right after it started (error: %v); it must keep answering datagrams until its ctx is cancelled", run.Err())
	case <-time.After(50 * time.Millisecond):
	}
	return run, cancel
}

// echoClient is a test client: its own UDP socket, talking to addr.
type echoClient struct {
	t    *testing.T
	pc   net.PacketConn
	addr net.Addr
	name string
}

func newEchoClient(t *testing.T, addr net.Addr, name string) *echoClient {
	return &echoClient{t: t, pc: listenUDP(t), addr: addr, name: name}
}

func (c *echoClient) send(msg []byte) {
	c.t.Helper()
	require.NoError(c.t, c.pc.SetWriteDeadline(time.Now().Add(ioTimeout)))
	_, err := c.pc.WriteTo(msg, c.addr)
	require.NoError(c.t, err, "%s could not send a datagram of %d bytes", c.name, len(msg))
}

// recv waits up to d for a datagram from the server; ok is false when
// none came.
func (c *echoClient) recv(d time.Duration) (msg []byte, ok bool) {
	c.t.Helper()
	buf := make([]byte, 70000)
	require.NoError(c.t, c.pc.SetReadDeadline(time.Now().Add(d)))
	for {
		n, from, err := c.pc.ReadFrom(buf)
		if testkit.IsTimeout(err) {
			return nil, false
		}
		require.NoError(c.t, err, "%s could not read", c.name)
		if from.String() == c.addr.String() {
			return bytes.Clone(buf[:n]), true
		}
	}
}

// expect waits for the reply want.
func (c *echoClient) expect(want []byte, what string) {
	c.t.Helper()
	got, ok := c.recv(ioTimeout)
	if !ok {
		c.t.Fatalf("%s got no reply within %v to %s: does ServeEcho answer with pc.WriteTo(..., from), the address ReadFrom returned for that datagram?", c.name, ioTimeout, what)
	}
	if !bytes.Equal(want, got) {
		c.t.Fatalf("%s got a reply of %d bytes to %s, want %d bytes (first difference at byte %d). One datagram in, one datagram with the same bytes out",
			c.name, len(got), what, len(want), testkit.FirstDiff(want, got))
	}
}

func TestServeEcho_AnswersEachSenderAtItsOwnAddress(t *testing.T) {
	t.Parallel()
	pc := listenUDP(t)
	startEcho(t, pc, 1024)

	clients := make([]*echoClient, 3)
	for i := range clients {
		clients[i] = newEchoClient(t, pc.LocalAddr(), fmt.Sprintf("client %d", i))
	}
	// Interleaved: a server that remembers one client (the first, or the
	// last) sends someone's reply to someone else.
	for round := range 3 {
		for i, c := range clients {
			msg := fmt.Appendf(nil, "round %d from client %d", round, i)
			c.send(msg)
			c.expect(msg, fmt.Sprintf("%q", msg))
		}
	}
	for i, c := range clients {
		if extra, ok := c.recv(50 * time.Millisecond); ok {
			t.Fatalf("client %d got an extra datagram %q: a reply goes to the address its datagram came from, and only there", i, extra)
		}
	}
}

func TestServeEcho_KeepsDatagramBoundaries(t *testing.T) {
	t.Parallel()
	pc := listenUDP(t)
	startEcho(t, pc, 9000)
	c := newEchoClient(t, pc.LocalAddr(), "the client")

	// Sent back to back, before reading any reply. UDP keeps each
	// datagram whole and separate, the empty one included; on loopback
	// they also arrive in order.
	sizes := []int{1, 0, 1000, 7, 9000, 0, 2}
	msgs := make([][]byte, len(sizes))
	for i, n := range sizes {
		msgs[i] = testkit.RandomBytes(n + i)[i:]
		c.send(msgs[i])
	}
	for i, m := range msgs {
		got, ok := c.recv(ioTimeout)
		if !ok {
			t.Fatalf("no reply to datagram %d (%d bytes) of %d sent back to back: every datagram gets one reply, even an empty one (ReadFrom returns n == 0 and no error for it)", i, len(m), len(msgs))
		}
		if len(m) == 0 && len(got) > 0 {
			t.Fatalf("reply %d has %d bytes, want the empty datagram %d echoed as an empty datagram: ReadFrom returns n == 0 and no error for it, and WriteTo(buf[:0], from) sends it", i, len(got), i)
		}
		if !bytes.Equal(m, got) {
			t.Fatalf("reply %d has %d bytes, want the %d bytes of datagram %d: each datagram is echoed on its own, whole", i, len(got), len(m), i)
		}
	}
}

func TestServeEcho_RefusesDatagramsLargerThanMaxSize(t *testing.T) {
	t.Parallel()
	for _, maxSize := range []int{100, 1, 0} {
		t.Run(fmt.Sprintf("maxSize_%d", maxSize), func(t *testing.T) {
			pc := listenUDP(t)
			startEcho(t, pc, maxSize)
			c := newEchoClient(t, pc.LocalAddr(), "the client")

			for _, n := range []int{maxSize + 1, maxSize, maxSize + 2, 5000, max(maxSize-1, 0), maxSize + 1} {
				msg := testkit.RandomBytes(n)
				c.send(msg)
				got, ok := c.recv(ioTimeout)
				if !ok {
					t.Fatalf("no reply to a datagram of %d bytes (maxSize %d): ServeEcho must answer every datagram and keep serving after a too large one", n, maxSize)
				}
				if n <= maxSize {
					require.Equal(t, msg, got, "a datagram of %d bytes, maxSize %d, must be echoed whole", n, maxSize)
					continue
				}
				if len(got) == maxSize && bytes.Equal(got, msg[:maxSize]) {
					t.Fatalf("a datagram of %d bytes (maxSize %d) came back cut to its first %d bytes: ReadFrom truncated it without an error. Read into a buffer of maxSize+1 bytes: n > maxSize means too large", n, maxSize, maxSize)
				}
				assert.Equal(t, TooLarge, string(got), "a datagram of %d bytes is more than maxSize %d: the answer is TooLarge", n, maxSize)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// failingWrites is a PacketConn whose first WriteTo fails.
type failingWrites struct {
	net.PacketConn
	writes atomic.Int32
}

func (c *failingWrites) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.writes.Add(1) == 1 {
		return 0, errors.New("sendto: network is unreachable (made up by the test)")
	}
	return c.PacketConn.WriteTo(p, addr)
}

func TestServeEcho_KeepsServingWhenAReplyFails(t *testing.T) {
	t.Parallel()
	pc := &failingWrites{PacketConn: listenUDP(t)}
	run, _ := startEcho(t, pc, 64)
	c := newEchoClient(t, pc.LocalAddr(), "the client")

	c.send([]byte("lost"))
	require.Eventually(t, func() bool { return pc.writes.Load() >= 1 || run.Returned() }, ioTimeout, 5*time.Millisecond,
		"ServeEcho did not try to answer the first datagram")
	time.Sleep(20 * time.Millisecond)
	if run.Returned() {
		t.Fatalf("ServeEcho returned (error: %v) when one WriteTo failed: a reply that cannot be sent concerns one client, the server must go on", run.Err())
	}
	c.send([]byte("second"))
	c.expect([]byte("second"), `"second", sent after the reply to the first datagram failed`)
}

// closeRecorder is a PacketConn that remembers whether it was closed and
// can be told to fail its next ReadFrom.
type closeRecorder struct {
	net.PacketConn
	closed  atomic.Bool
	readErr atomic.Pointer[error]
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return c.PacketConn.Close()
}

func (c *closeRecorder) ReadFrom(p []byte) (int, net.Addr, error) {
	if e := c.readErr.Load(); e != nil {
		return 0, nil, *e
	}
	n, addr, err := c.PacketConn.ReadFrom(p)
	if e := c.readErr.Load(); e != nil {
		return 0, nil, *e
	}
	return n, addr, err
}

func TestServeEcho_StopsOnCancelAndClosesTheSocket(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	pc := &closeRecorder{PacketConn: listenUDP(t)}
	run, cancel := startEcho(t, pc, 64)
	c := newEchoClient(t, pc.LocalAddr(), "the client")
	c.send([]byte("hi"))
	c.expect([]byte("hi"), `"hi"`)

	cancel()
	err := run.Wait(t, 2*time.Second, "its ctx was cancelled",
		"ReadFrom takes no context: close pc when ctx is done (context.AfterFunc), and its ReadFrom returns net.ErrClosed")
	require.NoError(t, err, "a cancelled ctx is a normal stop: ServeEcho should return nil")
	require.True(t, pc.closed.Load(), "ServeEcho returned without closing pc")
}

func TestServeEcho_ReturnsReadErrors(t *testing.T) {
	t.Parallel()
	t.Run("socket closed by its owner is not a failure", func(t *testing.T) {
		pc := listenUDP(t)
		run, _ := startEcho(t, pc, 64)
		pc.Close()
		err := run.Wait(t, 2*time.Second, "its socket was closed", "stop when ReadFrom fails")
		require.NoError(t, err, "ReadFrom's net.ErrClosed is how a server is stopped: ServeEcho should return nil")
	})
	t.Run("other ReadFrom errors are returned", func(t *testing.T) {
		pc := &closeRecorder{PacketConn: listenUDP(t)}
		run, _ := startEcho(t, pc, 64)
		boom := errors.New("recvfrom: out of memory (made up by the test)")
		pc.readErr.Store(&boom)
		c := newEchoClient(t, pc.LocalAddr(), "the client")
		c.send([]byte("wake up"))
		err := run.Wait(t, 2*time.Second, "ReadFrom failed", "return ReadFrom's error unless it is net.ErrClosed")
		require.ErrorIs(t, err, boom, "ServeEcho should return the error ReadFrom gave it")
		require.True(t, pc.closed.Load(), "ServeEcho returned without closing pc")
	})
}
