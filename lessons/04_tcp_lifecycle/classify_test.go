package tcplife

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// realError is an error produced by a real socket, and the Kind it is.
type realError struct {
	name string
	want Kind
	make func(t *testing.T) error
}

// realErrors are errors of every kind, each from a real socket on
// loopback, as a program meets them.
var realErrors = []realError{
	{"Read after the peer's Close", EOF, func(t *testing.T) error {
		conn, peer := tcpPair(t)
		withDeadline(t, conn)
		peer.Close()
		_, err := conn.Read(make([]byte, 1))
		return err
	}},
	{"Read past a read deadline", Timeout, func(t *testing.T) error {
		conn, _ := tcpPair(t)
		conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := conn.Read(make([]byte, 1))
		return err
	}},
	{"Write to a peer that stopped reading, past a write deadline", Timeout, func(t *testing.T) error {
		conn, peer := tcpPair(t)
		shrinkBuffers(t, conn, peer)
		data := testkit.RandomBytes(4 << 20)
		conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, err := conn.Write(data)
		return err
	}},
	{"DialContext with a context that has expired", Timeout, func(t *testing.T) error {
		ln := testkit.Listen(t)
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err
	}},
	{"Read when the peer resets", Reset, func(t *testing.T) error {
		conn, peer := tcpPair(t)
		withDeadline(t, conn)
		read := readAsync(conn)
		resetByTest(t, peer)
		return waitRead(t, read).err
	}},
	{"Write after the peer reset", Reset, func(t *testing.T) error {
		conn, peer := tcpPair(t)
		withDeadline(t, conn)
		read := readAsync(conn)
		resetByTest(t, peer)
		waitRead(t, read) // the RST has arrived
		// The first Write reports the reset or a broken pipe (EPIPE),
		// the next ones EPIPE.
		var err error
		for range 3 {
			if _, err = conn.Write([]byte("anyone?")); err != nil {
				break
			}
		}
		return err
	}},
	{"Dial a port nobody listens on", Refused, func(t *testing.T) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		c, err := net.DialTimeout("tcp", addr, ioTimeout)
		if err == nil {
			c.Close()
		}
		return err
	}},
	{"Read on a conn this program closed", Closed, func(t *testing.T) error {
		conn, _ := tcpPair(t)
		conn.Close()
		_, err := conn.Read(make([]byte, 1))
		return err
	}},
	{"Accept on a closed listener", Closed, func(t *testing.T) error {
		ln := testkit.Listen(t)
		ln.Close()
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		return err
	}},
	{"Dial an address without a port", Other, func(t *testing.T) error {
		_, err := net.DialTimeout("tcp", "127.0.0.1", ioTimeout)
		return err
	}},
}

// ANCHOR: classifytest
func TestClassify_ErrorsFromRealSockets(t *testing.T) {
	for _, tc := range realErrors {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.make(t)
			require.Error(t, err, "the test could not produce this error")
			got := testkit.Returns(t, "Classify", "", func() Kind { return Classify(err) })
			require.Equal(t, tc.want.String(), got.String(), "Classify(%#v)\n(%v)\nshould be %v: %s", err, err, tc.want, kindHint[tc.want])
		})
	}
}

// ANCHOR_END: classifytest

// kindHint says what to look for, per Kind.
var kindHint = map[Kind]string{
	EOF:     "errors.Is(err, io.EOF)",
	Timeout: "errors.Is(err, os.ErrDeadlineExceeded) or errors.Is(err, context.DeadlineExceeded) (they see through every wrapper, where an outer error's Timeout() may say false), or errors.As to an interface{ Timeout() bool } that says true; a timeout is not an EOF, the peer may still talk",
	Reset:   "errors.Is(err, syscall.ECONNRESET) or syscall.EPIPE",
	Refused: "errors.Is(err, syscall.ECONNREFUSED)",
	Closed:  "errors.Is(err, net.ErrClosed)",
	Other:   "none of the other kinds matches",
}

// hidden wraps an error under a message of its own, as a library does:
// only errors.Is and errors.As find the cause, the text does not show it.
type hidden struct{ err error }

func (h hidden) Error() string { return "proxy: the other side went away" }
func (h hidden) Unwrap() error { return h.err }

// slow is a timeout error of some library: it says so by its Timeout
// method, as net.Error does.
type slow struct{}

func (slow) Error() string   { return "the backend took too long" }
func (slow) Timeout() bool   { return true }
func (slow) Temporary() bool { return true }

func TestClassify_LooksThroughWrappingNotAtText(t *testing.T) {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}
	}
	cases := []struct {
		name string
		err  error
		want Kind
	}{
		{"io.EOF under %w", fmt.Errorf("reading the header: %w", io.EOF), EOF},
		{"io.EOF under a message of its own", hidden{io.EOF}, EOF},
		{"ECONNRESET under a message of its own", hidden{opErr("read", syscall.ECONNRESET)}, Reset},
		{"EPIPE in a *net.OpError", opErr("write", syscall.EPIPE), Reset},
		{"EPIPE under two wrappers", fmt.Errorf("sending: %w", hidden{opErr("write", syscall.EPIPE)}), Reset},
		{"ECONNREFUSED under a message of its own", hidden{opErr("connect", syscall.ECONNREFUSED)}, Refused},
		{"os.ErrDeadlineExceeded under a message of its own", hidden{os.ErrDeadlineExceeded}, Timeout},
		{"an error of its own with Timeout() true", hidden{slow{}}, Timeout},
		{"context.DeadlineExceeded under %w", fmt.Errorf("waiting: %w", context.DeadlineExceeded), Timeout},
		// *net.OpError's Timeout() looks only one level down: here it says
		// false, and only errors.Is finds the deadline underneath.
		{"os.ErrDeadlineExceeded under a *net.OpError whose Timeout() says false", &net.OpError{Op: "read", Net: "tcp", Err: hidden{os.ErrDeadlineExceeded}}, Timeout},
		{"context.DeadlineExceeded under a *net.OpError whose Timeout() says false", &net.OpError{Op: "dial", Net: "tcp", Err: hidden{context.DeadlineExceeded}}, Timeout},
		{"net.ErrClosed under a message of its own", hidden{net.ErrClosed}, Closed},
		{"io.ErrUnexpectedEOF: a message cut short", io.ErrUnexpectedEOF, Other},
		{"a wrapped io.ErrUnexpectedEOF", fmt.Errorf("frame: %w", io.ErrUnexpectedEOF), Other},
		{"text that only looks like a reset", errors.New("connection reset by peer"), Other},
		{"text that only looks like an EOF", errors.New("EOF"), Other},
		{"text that only looks like a timeout", errors.New("i/o timeout"), Other},
		{"text that only looks closed", errors.New("use of closed network connection"), Other},
		{"context.Canceled", context.Canceled, Other},
		{"nil", nil, Other},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := testkit.Returns(t, "Classify", "", func() Kind { return Classify(tc.err) })
			hint := kindHint[tc.want]
			if tc.want == Other {
				hint = "only errors.Is/errors.As decide, never the error's text; io.ErrUnexpectedEOF is not io.EOF"
			}
			require.Equal(t, tc.want.String(), got.String(), "Classify(%#v)\n(%v)\nshould be %v: %s", tc.err, tc.err, tc.want, hint)
		})
	}
}
