package iomodels

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"netlings/tools/testkit"
)

// The shared suite: every test runs against each model of Models(), as a
// subtest named after it. Same promises, three ways to keep them.

func TestServers_ListenOnTheAddressTheyAreGiven(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		// Find a free port, free it, and ask for it by number.
		ln := testkit.Listen(t)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		srv := newServerOn(t, m.Name, m.New, "127.0.0.1:"+strconv.Itoa(port))
		s := serve(t, m.Name, srv)
		_, gotPort, _ := net.SplitHostPort(s.addr)
		assert.Equal(t, strconv.Itoa(port), gotPort, "%s.Addr must be where New%s listens: New was given port %d", m.Name, m.Name, port)
		require.NoError(t, roundTrip(s.dial(t), []byte("ping")), "%s: a client of the given address must get its echo", m.Name)

		// That port is taken now: a second server there must fail in New.
		_, err := testkit.Returns2(t, "New"+m.Name, "", func() (Server, error) { return m.New(s.addr) })
		assert.Error(t, err, "New%s(%q) on a port that is in use must return the listen error", m.Name, s.addr)
	})
}

func TestServers_EchoEveryByteInOrder(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		s := start(t, m)
		c := s.dial(t)
		require.NoError(t, roundTrip(c, []byte("x")), "%s: a one-byte message must come back", m.Name)

		// 256 KiB in many small writes, read back concurrently: more than
		// any one Read or buffer holds, so only a loop gets it all.
		want := testkit.RandomBytes(256 << 10)
		wrote := make(chan error, 1)
		go func() {
			for p := want; len(p) > 0; {
				n := min(len(p), 1+rand.IntN(4000))
				if _, err := c.Write(p[:n]); err != nil {
					wrote <- err
					return
				}
				p = p[n:]
			}
			wrote <- nil
		}()
		got := make([]byte, len(want))
		n, err := io.ReadFull(c, got)
		require.NoError(t, err, "%s: the echo of 256 KiB stopped after %d bytes: echo in a loop until the client's EOF, not one Read", m.Name, n)
		require.NoError(t, <-wrote)
		testkit.RequireSameBytes(t, want, got, m.Name+"'s echo")
	})
}

func TestServers_CloseTheConnectionAfterTheClientsEOF(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		s := start(t, m)
		c := s.dial(t)
		_, err := c.Write([]byte("last words"))
		require.NoError(t, err)
		require.NoError(t, c.CloseWrite())
		got, err := io.ReadAll(c)
		require.NoError(t, err, "%s: after the client's EOF the server sends the rest of the echo and closes the connection (got %q so far)", m.Name, got)
		assert.Equal(t, "last words", string(got), "%s: the echo of what came before the EOF", m.Name)
	})
}

func TestServers_ServeManyClientsAtOnce(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		s := start(t, m)
		const clients, messages = 100, 5
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for i := range clients {
			c := s.dial(t)
			wg.Go(func() {
				for j := range messages {
					if err := roundTrip(c, fmt.Appendf(nil, "client %d message %d", i, j)); err != nil {
						errs <- fmt.Errorf("client %d, message %d: %w", i, j, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("%s: with %d clients at once, %v", m.Name, clients, err)
		}
	})
}

func TestServers_IdleClientsDoNotDelayOthers(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		s := start(t, m)
		for range 50 {
			s.dial(t) // connected, silent
		}
		c := s.dial(t) // the idle ones stay: a server that waits for them fails at c's deadline
		require.NoError(t, roundTrip(c, []byte("am I served?")),
			"%s: with 50 idle clients connected, an active client must get its echo at once", m.Name)
	})
}

func TestServers_ASlowReaderDoesNotBlockOthers(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		s := start(t, m)
		slow := s.dial(t)
		require.NoError(t, slow.SetReadBuffer(64<<10)) // no room to hide the echo in the kernel
		// The slow client sends 2 MiB and reads nothing for now: the echo
		// fills the socket buffers and the server has to wait to write.
		want := testkit.RandomBytes(2 << 20)
		wrote := make(chan error, 1)
		go func() { _, err := slow.Write(want); wrote <- err }()
		time.Sleep(200 * time.Millisecond)

		// The slow client reads nothing until other has its echo: a server
		// that let it block everybody fails here, at other's deadline.
		other := s.dial(t)
		require.NoError(t, roundTrip(other, []byte("still there?")),
			"%s: a client that does not read its echo must not stop the server from serving another one", m.Name)

		got := make([]byte, len(want))
		n, err := io.ReadFull(slow, got)
		require.NoError(t, err, "%s: the slow reader got %d of %d bytes: when it reads again it must get all of them", m.Name, n, len(want))
		require.NoError(t, <-wrote)
		require.True(t, bytes.Equal(want, got), "%s: the slow reader's echo differs from what it sent", m.Name)
	})
}

func TestServers_StopWhenCancelledAndLeaveNothingBehind(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		fds := openFDs()
		func() {
			s := start(t, m)
			var clients []*net.TCPConn
			for i := range 10 {
				c := s.dial(t)
				if i%2 == 0 { // half of them busy once, then idle
					require.NoError(t, roundTrip(c, []byte("hello")), "%s: echo before the cancel", m.Name)
				}
				clients = append(clients, c)
			}
			err := s.stop(t)
			assert.NoError(t, err, "%s.Serve must return nil when its ctx is cancelled: that is how it stops, not a failure", m.Name)
			for i, c := range clients {
				require.NoError(t, expectClosed(c, 2*time.Second),
					"%s: client %d was still connected 2s after Serve returned: close every connection, idle ones too", m.Name, i)
				c.Close()
			}
			_, err = net.DialTimeout("tcp", s.addr, time.Second)
			if err == nil {
				t.Errorf("%s: a client could still connect after Serve returned: close the listener", m.Name)
			}
		}()
		if fds >= 0 {
			// io.Copy between two TCP connections uses splice(2) on Linux,
			// through a pipe that goes back to a sync.Pool afterwards: a
			// garbage collection or two closes the pooled pipes.
			require.Eventually(t, func() bool { runtime.GC(); return openFDs() <= fds }, 2*time.Second, 10*time.Millisecond,
				"%s: %d file descriptors were left open after Serve returned (%d before, %d after): every socket must be closed",
				m.Name, openFDs()-fds, fds, openFDs())
		}
	})
}

// earlyStopHints say what a model does when it is stopped before it ran.
var earlyStopHints = map[string]string{
	"EventLoop": ": when ctx is done before Run starts, your Stop comes first and Run returns eventloop.ErrStopped, which is a normal stop, not an error",
}

func TestServers_StopAtOnceWhenCancelledBeforeServing(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		srv := newServer(t, m)
		addr := testkit.Returns(t, m.Name+".Addr", "", srv.Addr)
		require.NotNil(t, addr, "%s.Addr returned nil", m.Name)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := testkit.Go(m.Name+".Serve", func() error { return srv.Serve(ctx) })
		err := r.Wait(t, stopTimeout, "it was called with a cancelled ctx", stopHints[m.Name])
		assert.NoError(t, err, "%s.Serve with a ctx cancelled before the call must close everything and return nil%s", m.Name, earlyStopHints[m.Name])
		_, err = net.DialTimeout("tcp", addr.String(), time.Second)
		assert.Error(t, err, "%s: the listener must be closed when Serve returns", m.Name)
	})
}

func TestServers_GoroutinesAreTheModels(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		s := start(t, m)
		warm := s.dial(t)
		require.NoError(t, roundTrip(warm, []byte("warm up")))
		before := runtime.NumGoroutine()
		const clients = 200
		for range clients {
			require.NoError(t, roundTrip(s.dial(t), []byte("hi")), "%s: echo", m.Name)
		}
		grew := runtime.NumGoroutine() - before
		switch m.Name {
		case "GoroutinePerConn":
			assert.GreaterOrEqual(t, grew, clients,
				"GoroutinePerConn: %d clients connected but only %d more goroutines: this model is one goroutine per connection (echo.ServeEcho)", clients, grew)
		default:
			assert.Less(t, grew, 20,
				"%s: %d clients connected made %d more goroutines: this model serves them from a fixed set of goroutines (the pool's workers, the loop's one goroutine), none per connection", m.Name, clients, grew)
		}
	})
}

func TestServers_HoldOneFileDescriptorPerConnection(t *testing.T) {
	forEachModel(t, func(t *testing.T, m Model) {
		if openFDs() < 0 {
			t.Skip("no /proc/self/fd to count file descriptors on " + runtime.GOOS)
		}
		s := start(t, m)
		require.NoError(t, roundTrip(s.dial(t), []byte("warm up")))
		const clients = 50
		before := settledFDs() // no pooled splice pipe left to reuse
		for range clients {
			s.dial(t) // idle
		}
		time.Sleep(100 * time.Millisecond) // let the server accept them
		require.NoError(t, roundTrip(s.dial(t), []byte("and one more")))
		// Each client is one fd here and one in the server: same process.
		perConn := float64(openFDs()-before) / (clients + 1)
		assert.Less(t, perConn, 2.5,
			"%s: each connection costs %.1f file descriptors in this process (1 for the client, 1 for the server expected): serve UserSpace(listener), or io.Copy splices through a pipe of 2 more fds per connection", m.Name, perConn)
	})
}
