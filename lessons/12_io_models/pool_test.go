package iomodels

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	channels "netlings/lessons/09_channels"
	"netlings/tools/testkit"
)

func newPool(workers, queue int) func(string) (Server, error) {
	return func(addr string) (Server, error) { return asServer(NewPool(addr, workers, queue)) }
}

func TestPool_ServesWorkersClientsAtOnceQueuesThenSaysBusy(t *testing.T) {
	s := serve(t, "Pool", newServerOn(t, "Pool", newPool(2, 1), "127.0.0.1:0"))

	a, b := s.dial(t), s.dial(t)
	require.NoError(t, roundTrip(a, []byte("a")), "NewPool(addr, 2, 1): the first client has a worker")
	require.NoError(t, roundTrip(b, []byte("b")), "NewPool(addr, 2, 1): the second client has a worker too")
	require.NoError(t, roundTrip(a, []byte("a again")),
		"the first client's second message must come back too: the handler echoes until the client's EOF (io.Copy), so a worker stays with its client")

	// Both workers are taken by a and b for as long as they stay
	// connected, idle or not: c waits in the queue (head-of-line blocking).
	c := s.dial(t)
	_, err := c.Write([]byte("c"))
	require.NoError(t, err)
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	require.True(t, n == 0 && testkit.IsTimeout(err),
		"NewPool(addr, 2, 1): a third client must wait in the queue while two workers serve two clients (got %d bytes, %v): pass workers and queue to ServePool in that order", n, err)

	// The queue (room for 1) is full: d is told so at once.
	d := s.dial(t)
	d.SetReadDeadline(time.Now().Add(2 * time.Second))
	busy, err := io.ReadAll(d)
	require.NoError(t, err, "NewPool(addr, 2, 1): two clients served and one queued fill the pool, so the fourth must get BUSY and be closed at once (got %q): is the queue bigger than 1? Pass ServePool(ctx, ln, workers, queue, handle) in that order", busy)
	assert.Equal(t, channels.BusyLine, string(busy), "the fourth client finds the queue full")

	// a leaves: its worker takes c, whose byte was waiting all along.
	a.Close()
	c.SetReadDeadline(time.Now().Add(ioTimeout))
	got := make([]byte, 1)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err, "when a client leaves, its worker serves the next queued client")
	assert.Equal(t, "c", string(got))
}

func TestPool_RefusesSizesThatCannotServe(t *testing.T) {
	for _, size := range []struct{ workers, queue int }{{0, 0}, {-1, 4}, {1, -1}} {
		_, err := testkit.Returns2(t, "NewPool", "", func() (*Pool, error) { return NewPool("127.0.0.1:0", size.workers, size.queue) })
		assert.ErrorIs(t, err, channels.ErrPoolSize, "NewPool(addr, %d, %d): a pool needs workers >= 1 and queue >= 0", size.workers, size.queue)
	}
	p, err := testkit.Returns2(t, "NewPool", "", func() (*Pool, error) { return NewPool("127.0.0.1:0", 1, 0) })
	require.NoError(t, err, "NewPool(addr, 1, 0) is a valid pool: one worker, no queue")
	s := serve(t, "Pool", p)
	require.NoError(t, roundTrip(s.dial(t), []byte("one")))
}
