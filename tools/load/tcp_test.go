package load

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer is a goroutine-per-connection TCP server that runs serve on
// every connection and counts the connections it accepted and still has.
type echoServer struct {
	addr           string
	accepted, open atomic.Int64
}

func startEchoServer(t *testing.T, serve func(net.Conn)) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &echoServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			s.accepted.Add(1)
			s.open.Add(1)
			wg.Go(func() {
				defer s.open.Add(-1)
				defer c.Close()
				serve(c)
			})
		}
	})
	return s
}

func echo(c net.Conn) { io.Copy(c, c) }

func (s *echoServer) url() string { return "tcp://" + s.addr }

func TestRunTCP_EchoesMessagesOfEverySize(t *testing.T) {
	s := startEchoServer(t, echo)
	for _, size := range []int{1, 64, 1 << 10, MaxTCPMessage} {
		r, err := Run(testContext(t), Options{URL: s.url(), Conns: 4, Requests: 200, Message: size})
		require.NoError(t, err)
		assert.Equal(t, 200, r.Requests, "size %d: every ticket is one echoed message", size)
		assert.Zero(t, r.Errors, "size %d: a correct echo server gives no errors", size)
		assert.True(t, r.Messages)
		assert.Positive(t, r.P50)
		assert.LessOrEqual(t, r.P50, r.P99)
		assert.Contains(t, r.String(), "200 messages")
	}
	assert.EqualValues(t, 16, s.accepted.Load(), "one connection per worker and run")
}

func TestRunTCP_CountsWrongEchoesAndClosedConnections(t *testing.T) {
	flip := startEchoServer(t, func(c net.Conn) {
		b := make([]byte, 64)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			b[0] ^= 1
			if _, err := c.Write(b[:n]); err != nil {
				return
			}
		}
	})
	r, err := Run(testContext(t), Options{URL: flip.url(), Conns: 2, Requests: 20, Message: 8})
	require.NoError(t, err)
	assert.Equal(t, 20, r.Requests)
	assert.Equal(t, 20, r.Errors, "an echo with one bit flipped is an error")
	assert.EqualValues(t, 20, flip.accepted.Load(), "after a wrong echo the worker redials")

	busy := startEchoServer(t, func(c net.Conn) { io.WriteString(c, "BUSY\n") })
	r, err = Run(testContext(t), Options{URL: busy.url(), Conns: 2, Requests: 10, Message: 64})
	require.NoError(t, err)
	assert.Equal(t, 10, r.Errors, "a BUSY line and a close instead of the echo is an error")
}

func TestRunTCP_HoldsIdleConnectionsUntilHoldReturns(t *testing.T) {
	s := startEchoServer(t, echo)
	const idle, active = 1000, 4
	var openAtHold int64
	r, err := Run(testContext(t), Options{URL: s.url(), Conns: active, Idle: idle, Duration: 300 * time.Millisecond, Message: 32,
		Hold: func() { openAtHold = s.open.Load() }})
	require.NoError(t, err)
	assert.Zero(t, r.Errors)
	assert.Equal(t, idle, r.Idle, "every idle connection was still open at the end")
	assert.EqualValues(t, idle+active, openAtHold, "Hold runs while every connection is open")
	assert.EqualValues(t, idle+active, s.accepted.Load())
	assert.Contains(t, r.String(), "1000 idle connections held")
	require.Eventually(t, func() bool { return s.open.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
		"every connection is closed after the run")
}

func TestRunTCP_HoldsEveryConnectionWhenTheDurationCutsAnEchoShort(t *testing.T) {
	var greeted atomic.Int64
	s := startEchoServer(t, func(c net.Conn) {
		b := make([]byte, 64)
		for first := true; ; first = false {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			if first {
				greeted.Add(1)
			}
			time.Sleep(time.Millisecond) // slow enough that the end cuts echoes short
			if _, err := c.Write(b[:n]); err != nil {
				return
			}
		}
	})
	var openAtHold int64
	r, err := Run(testContext(t), Options{URL: s.url(), Conns: 8, Idle: 50, Duration: 300 * time.Millisecond, Message: 16,
		Hold: func() { openAtHold = s.open.Load() }})
	require.NoError(t, err)
	assert.Zero(t, r.Errors, "an echo cut short by the end of the run is not an error")
	assert.Equal(t, 50, r.Idle)
	assert.EqualValues(t, 58, openAtHold, "the active connections stay open until Hold returns, even when the end cut an echo short")
	assert.EqualValues(t, 58, greeted.Load(), "in TCP mode each idle connection echoes one message before it falls silent")
}

func TestRunTCP_CountsOnlyIdleConnectionsTheServerKept(t *testing.T) {
	var n atomic.Int64
	s := startEchoServer(t, func(c net.Conn) {
		if n.Add(1)%2 == 0 {
			return // closes every second connection at once
		}
		echo(c)
	})
	r, err := Run(testContext(t), Options{URL: s.url(), Conns: 1, Idle: 100, Duration: 200 * time.Millisecond, Message: 8})
	require.NoError(t, err)
	assert.InDelta(t, 50, r.Idle, 1, "the idle connections the server closed are not held")
}

func TestRunTCP_RefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{URL: "tcp://127.0.0.1:1", Message: 0},
		{URL: "tcp://127.0.0.1:1", Message: MaxTCPMessage + 1},
		{URL: "tcp://127.0.0.1", Message: 8},
		{URL: "tcp://10.0.0.1:7", Message: 8},
	} {
		start := time.Now()
		_, err := Run(context.Background(), Options{URL: o.URL, Requests: 1, Message: o.Message})
		assert.Error(t, err, "%+v", o)
		assert.Less(t, time.Since(start), time.Second, "refused without dialing: %+v", o)
	}
}

func TestNormalize_CapsConnsPlusIdle(t *testing.T) {
	o := normalize(Options{Conns: 10, Idle: 1 << 20})
	assert.Equal(t, 10, o.Conns)
	assert.Equal(t, MaxConns-10, o.Idle)
	o = normalize(Options{Conns: 1 << 20, Idle: 5})
	assert.Equal(t, MaxConns, o.Conns)
	assert.Zero(t, o.Idle)
	assert.Equal(t, 10000, MaxConns, "lesson 12 holds 10,000 connections")
	o = normalize(Options{Idle: -3})
	assert.Zero(t, o.Idle)
}

func TestCompare_KeepsTheFewestIdleConnections(t *testing.T) {
	s := startEchoServer(t, echo)
	rs, err := Compare(testContext(t), []Target{{"a", s.url()}, {"b", s.url()}}, Options{Conns: 2, Idle: 20, Requests: 10, Message: 16}, 2)
	require.NoError(t, err)
	for _, r := range rs {
		assert.Equal(t, 20, r.Requests)
		assert.Equal(t, 20, r.Idle)
		assert.Zero(t, r.Errors)
	}
}

func TestMain_TCPMode(t *testing.T) {
	s := startEchoServer(t, echo)
	var out bytes.Buffer
	code := Main([]string{"-url", s.url(), "-c", "2", "-idle", "10", "-n", "20", "-size", "16"}, &out)
	assert.Equal(t, 0, code, out.String())
	assert.True(t, strings.Contains(out.String(), "20 messages"), out.String())
	assert.Contains(t, out.String(), "10 idle connections held")
}
