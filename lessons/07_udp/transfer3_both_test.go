package udp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// transfer runs your Send and your Receive against each other, each on
// its own socket (wrapped by wrap, when it is not nil), and returns what
// Receive wrote, the errors of both and how long Send took. With linger
// false it does not wait for Receive to return by itself: once Send is
// done, it cancels Receive's ctx, and a context.Canceled counts as nil.
func transfer(t *testing.T, data []byte, cfg Config, wrap func(net.PacketConn, uint64) net.PacketConn, linger bool) (got []byte, sendTook time.Duration, sendErr, recvErr error) {
	t.Helper()
	var sender, receiver net.PacketConn = listenUDP(t), listenUDP(t)
	to, from := receiver.LocalAddr(), sender.LocalAddr()
	if wrap != nil {
		sender, receiver = wrap(sender, 1), wrap(receiver, 2)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	var w bytes.Buffer
	recvCtx, stopRecv := context.WithCancel(ctx)
	defer stopRecv()
	recv := testkit.Go("Receive", func() error { return Receive(recvCtx, receiver, from, &w, cfg) })
	start := time.Now()
	send := testkit.Go("Send", func() error { return Send(ctx, sender, to, bytes.NewReader(data), cfg) })
	sendErr = send.Wait(t, 10*time.Second, "it started a transfer of "+fmt.Sprint(len(data))+" bytes", "")
	sendTook = time.Since(start)
	if !linger {
		stopRecv()
	}
	patience := cfg.Timeout * time.Duration(cfg.Retries+1)
	recvErr = recv.Wait(t, patience+5*time.Second, "Send had finished", "Receive returns Timeout*(Retries+1) after the last DATA")
	if !linger && errors.Is(recvErr, context.Canceled) {
		recvErr = nil
	}
	return w.Bytes(), sendTook, sendErr, recvErr
}

func TestTransfer_SendAndReceiveTalkToEachOther(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		n    int
		cfg  Config
	}{
		{"TFTP blocks", 3*512 + 100, Config{BlockSize: 512, Timeout: 100 * time.Millisecond, Retries: 3}},
		{"MaxBlockSize", MaxBlockSize + 1, Config{BlockSize: MaxBlockSize, Timeout: 100 * time.Millisecond, Retries: 3}},
		{"across the wrap, a multiple of BlockSize", 200 * 8, Config{BlockSize: 8, Timeout: 100 * time.Millisecond, Retries: 3, ISN: 65450}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := testkit.RandomBytes(tc.n)
			got, _, sendErr, recvErr := transfer(t, data, tc.cfg, nil, true)
			require.NoError(t, sendErr, "Send of %d bytes to your Receive", tc.n)
			require.NoError(t, recvErr, "Receive of %d bytes from your Send", tc.n)
			testkit.RequireSameBytes(t, data, got, "what Receive wrote")
		})
	}
}

func TestTransfer_TimeoutsUseDeadlinesNotSleeps(t *testing.T) {
	t.Parallel()
	// Nothing is lost here, so no time-out should ever fire: 30 blocks
	// take a few milliseconds on loopback. Sleeping Timeout somewhere per
	// block would take 30 * 100 ms.
	cfg := Config{BlockSize: 64, Timeout: 100 * time.Millisecond, Retries: 3}
	data := testkit.RandomBytes(29*64 + 1)
	got, took, sendErr, recvErr := transfer(t, data, cfg, nil, true)
	require.NoError(t, sendErr)
	require.NoError(t, recvErr)
	testkit.RequireSameBytes(t, data, got, "what Receive wrote")
	require.Less(t, took, 1500*time.Millisecond,
		"30 blocks, none lost, took %v with Timeout %v: wait for an ACK with a read deadline (ReadFrom returns as soon as it comes), never with time.Sleep", took, cfg.Timeout)
}

func TestTransfer_SurvivesLossDuplicationAndReordering(t *testing.T) {
	t.Parallel()
	// 20 % of the datagrams lost, 10 % duplicated, 10 % delayed behind the
	// next one, on both sides, with seeded RNGs.
	for _, seed := range []uint64{1} {
		t.Run(fmt.Sprintf("seed_%d", seed), func(t *testing.T) {
			t.Parallel()
			// Generous: on a busy machine a read deadline can pass before
			// the Go runtime notices the datagram that came in time.
			cfg := Config{BlockSize: 32, Timeout: 30 * time.Millisecond, Retries: 25}
			data := testkit.RandomBytes(20*32 + 7)
			var conns []*lossyConn
			wrap := func(pc net.PacketConn, side uint64) net.PacketConn {
				c := newLossyConn(pc, seed*10+side, 0.20, 0.10, 0.10)
				conns = append(conns, c)
				return c
			}
			got, _, sendErr, recvErr := transfer(t, data, cfg, wrap, false)
			network := fmt.Sprintf("sender's datagrams: %s; receiver's: %s", conns[0].stats(), conns[1].stats())
			require.NoError(t, recvErr, "Receive over a lossy network (%s); Send returned %v", network, sendErr)
			require.NoError(t, sendErr, "Send over a lossy network (%s); Receive returned nil", network)
			if len(got) > len(data) {
				t.Fatalf("Receive wrote %d bytes for %d sent over a network that duplicates (%s): a block is written once, its repeats are only acknowledged", len(got), len(data), network)
			}
			testkit.RequireSameBytes(t, data, got, "what Receive wrote over a lossy network ("+network+")")
		})
	}
}
