package udp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// startSend runs Send(ctx, its own socket, the test peer's address,
// r, cfg) in the background and returns the test peer.
func startSend(t *testing.T, r io.Reader, cfg Config) *peer {
	t.Helper()
	return startFunc(t, "Send", func(ctx context.Context, pc net.PacketConn, to net.Addr) error {
		return Send(ctx, pc, to, r, cfg)
	})
}

// waitSend waits for Send to return after its last ACK and returns its error.
func waitSend(t *testing.T, p *peer) error {
	t.Helper()
	return p.run.Wait(t, 2*time.Second, "its last block was acknowledged",
		"a block shorter than BlockSize (maybe empty) is the last one: return once its ACK has come")
}

// ackAll plays a correct receiver for the blocks of want, numbered from
// isn+1, and checks that Send waits for each ACK before the next block.
func ackAll(t *testing.T, p *peer, want []byte, size int, isn uint16, checkWait bool) {
	t.Helper()
	block := isn
	for i, b := range blocks(want, size) {
		block++
		p.expectData(block, b, fmt.Sprintf("block %d of %d", i+1, len(blocks(want, size))))
		if checkWait && i == 0 {
			p.nothing(quiet, fmt.Sprintf("stop-and-wait sends the next block only after the ACK of this one, and sends it again only after Timeout (%v)", 2*time.Second))
		}
		p.send(AppendAck(nil, block))
	}
}

func TestSend_SendsNumberedBlocksAndWaitsForEachAck(t *testing.T) {
	t.Parallel()
	const size = 16
	for _, n := range []int{0, size - 1, size, size + 1, 3*size + 3} {
		t.Run(fmt.Sprintf("%d_bytes", n), func(t *testing.T) {
			t.Parallel()
			data := testkit.RandomBytes(n)
			p := startSend(t, bytes.NewReader(data), Config{BlockSize: size, Timeout: 2 * time.Second, Retries: 3})
			ackAll(t, p, data, size, 0, n > size)
			require.NoError(t, waitSend(t, p), "Send of %d bytes with every block acknowledged", n)
			p.nothing(20*time.Millisecond, "Send should send nothing after the ACK of its last block")
			p.requireStillOpen()
		})
	}
}

func TestSend_FillsEveryBlockFromShortReads(t *testing.T) {
	t.Parallel()
	const size = 10
	data := testkit.RandomBytes(3*size + 4)
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"OneByteReader", iotest.OneByteReader(bytes.NewReader(data))},
		{"HalfReader", iotest.HalfReader(bytes.NewReader(data))},
		{"DataErrReader", iotest.DataErrReader(bytes.NewReader(data))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startSend(t, tc.r, Config{BlockSize: size, Timeout: 2 * time.Second, Retries: 3})
			ackAll(t, p, data, size, 0, false)
			require.NoError(t, waitSend(t, p), "Send with a reader that returns a few bytes per Read (%s)", tc.name)
		})
	}
}

func TestSend_NumbersBlocksFromISNAndWrapsAt16Bits(t *testing.T) {
	t.Parallel()
	for _, isn := range []uint16{65532, 65535, 100} {
		t.Run(fmt.Sprintf("ISN_%d", isn), func(t *testing.T) {
			t.Parallel()
			const size = 4
			data := testkit.RandomBytes(6*size + 1) // blocks isn+1 ... isn+7
			p := startSend(t, bytes.NewReader(data), Config{BlockSize: size, Timeout: 2 * time.Second, Retries: 3, ISN: isn})
			ackAll(t, p, data, size, isn, false)
			require.NoError(t, waitSend(t, p), "Send starting after ISN %d", isn)
		})
	}
}

func TestSend_RetransmitsAfterTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	data := []byte("only one short block")
	p := startSend(t, bytes.NewReader(data), Config{BlockSize: 512, Timeout: timeout, Retries: 5})

	// The first two copies are "lost": the peer does not answer them.
	p.expectData(1, data, "the first try")
	first := time.Now()
	p.nothing(timeout/4, fmt.Sprintf("a DATA packet is sent again only when its ACK has not come within Timeout (%v)", timeout))
	p.expectData(1, data, "the second try: no ACK came within Timeout, so Send must send the same DATA again")
	p.expectData(1, data, "the third try")
	if took := time.Since(first); took < timeout {
		t.Fatalf("Send sent three copies of DATA 1 within %v: wait Timeout (%v) for the ACK between two copies", took, timeout)
	}
	p.send(AppendAck(nil, 1))
	require.NoError(t, waitSend(t, p), "Send whose last block was acknowledged on the third try")
}

func TestSend_GivesUpAfterRetries(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 3} {
		t.Run(fmt.Sprintf("Retries_%d", retries), func(t *testing.T) {
			t.Parallel()
			const timeout = 40 * time.Millisecond
			data := testkit.RandomBytes(30)
			start := time.Now()
			p := startSend(t, bytes.NewReader(data), Config{BlockSize: 512, Timeout: timeout, Retries: retries})

			// A peer that never answers: count what Send sends.
			var got [][]byte
			end := time.Now().Add(time.Duration(retries+1)*timeout + 2*time.Second)
			for time.Now().Before(end) && !p.run.Returned() {
				if pkt, ok := p.poll(20 * time.Millisecond); ok {
					got = append(got, pkt)
				}
			}
			if !p.run.Returned() {
				t.Fatalf("Send was still running %v after it started against a peer that never answers, with Timeout %v and Retries %d (%d datagrams sent): give up with ErrPeerGone after Retries retransmissions",
					time.Since(start).Round(time.Millisecond), timeout, retries, len(got))
			}
			took := time.Since(start)
			got = append(got, p.count(quiet)...)
			err := p.run.Err()
			require.ErrorIs(t, err, ErrPeerGone, "Send against a peer that never answers")
			for i, pkt := range got {
				require.Equal(t, AppendData(nil, 1, data), pkt, "datagram %d: every try sends the same DATA 1", i)
			}
			require.Len(t, got, retries+1, "with Retries %d Send sends DATA 1 once and then %d more times, then gives up", retries, retries)
			require.GreaterOrEqual(t, took, time.Duration(retries+1)*timeout*9/10,
				"Send gave up too early: after the last try it still waits Timeout (%v) for the ACK", timeout)
		})
	}
}

func TestSend_IgnoresDuplicateStaleAndMalformedAcks(t *testing.T) {
	t.Parallel()
	const timeout = 2 * time.Second
	data := testkit.RandomBytes(25) // blocks 1, 2 (10 bytes) and 3 (5 bytes)
	p := startSend(t, bytes.NewReader(data), Config{BlockSize: 10, Timeout: timeout, Retries: 2})
	b := blocks(data, 10)

	p.expectData(1, b[0], "block 1")
	p.send(AppendAck(nil, 1))
	p.send(AppendAck(nil, 1)) // the network duplicated our ACK
	p.expectData(2, b[1], "block 2")
	p.nothing(quiet, "the duplicate ACK 1 arrived while Send waited for ACK 2: it must be ignored, not answered with a DATA (that would send every block twice from then on: the Sorcerer's Apprentice bug)")

	for _, junk := range [][]byte{
		AppendAck(nil, 0), AppendAck(nil, 3), AppendAck(nil, 1), // stale and future ACKs
		{0, 4}, rawPacket(OpAck, 2, []byte{0}), // too short, too long
		rawPacket(9, 2, nil), AppendData(nil, 2, []byte("x")), // not an ACK
	} {
		p.send(junk)
		p.nothing(20*time.Millisecond, fmt.Sprintf("Send waits for ACK 2 and got %s: anything but ACK 2 must be ignored", describe(junk)))
	}
	p.send(AppendAck(nil, 2))
	p.expectData(3, b[2], "block 3, after ACK 2")
	p.send(AppendAck(nil, 3))
	require.NoError(t, waitSend(t, p))
}

func TestSend_IgnoresAcksFromOtherAddresses(t *testing.T) {
	t.Parallel()
	data := testkit.RandomBytes(15)
	p := startSend(t, bytes.NewReader(data), Config{BlockSize: 10, Timeout: 2 * time.Second, Retries: 2})
	interloper := &peer{t: t, pc: listenUDP(t), other: p.other, name: "Send"}

	p.expectData(1, data[:10], "block 1")
	interloper.send(AppendAck(nil, 1))
	p.nothing(quiet, "an ACK 1 came from another address than the peer: only the peer's ACK counts (compare ReadFrom's address with peer)")
	interloper.nothing(10*time.Millisecond, "Send must never send to an address other than peer")
	p.send(AppendAck(nil, 1))
	p.expectData(2, data[10:], "block 2")
	p.send(AppendAck(nil, 2))
	require.NoError(t, waitSend(t, p))
}

func TestSend_JunkDoesNotPostponeTheTimeout(t *testing.T) {
	t.Parallel()
	const timeout, retries = 60 * time.Millisecond, 2
	start := time.Now()
	p := startSend(t, bytes.NewReader([]byte("hello")), Config{BlockSize: 512, Timeout: timeout, Retries: retries})
	interloper := &peer{t: t, pc: listenUDP(t), other: p.other, name: "Send"}

	// Every 10 ms, a stale ACK from the peer and junk from someone else:
	// a deadline set before every read would move forever.
	var sent int
	for !p.run.Returned() && time.Since(start) < 2*time.Second {
		p.send(AppendAck(nil, 0))
		interloper.send([]byte("junk"))
		p.poll(10 * time.Millisecond)
		sent++
	}
	if !p.run.Returned() {
		t.Fatalf("Send did not give up within 2 s (Timeout %v, Retries %d) while ignored datagrams kept coming: set the read deadline once per DATA sent (time.Now().Add(Timeout)), not before every ReadFrom", timeout, retries)
	}
	require.ErrorIs(t, p.run.Err(), ErrPeerGone, "Send whose peer never acknowledged, in a stream of junk")
}

func TestSend_RejectsABadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{BlockSize: 0, Timeout: time.Second},
		{BlockSize: -1, Timeout: time.Second},
		{BlockSize: MaxBlockSize + 1, Timeout: time.Second},
		{BlockSize: 512, Timeout: 0},
		{BlockSize: 512, Timeout: -time.Second},
		{BlockSize: 512, Timeout: time.Second, Retries: -1},
	} {
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			t.Parallel()
			p := startSend(t, bytes.NewReader([]byte("data")), cfg)
			err := p.run.Wait(t, 2*time.Second, "it got a bad Config", "check cfg first and return ErrConfig")
			require.ErrorIs(t, err, ErrConfig, "Send with Config %+v", cfg)
			p.nothing(10*time.Millisecond, "Send must send nothing with a bad Config")
		})
	}
	// The edges of the valid ranges. With Timeout 1 ns and Retries 0, Send
	// sends DATA 1 once to the silent test peer and gives up at once.
	for _, cfg := range []Config{
		{BlockSize: 1, Timeout: time.Nanosecond},
		{BlockSize: MaxBlockSize, Timeout: time.Nanosecond},
	} {
		t.Run(fmt.Sprintf("valid_%+v", cfg), func(t *testing.T) {
			t.Parallel()
			p := startSend(t, bytes.NewReader([]byte("data")), cfg)
			err := p.run.Wait(t, 2*time.Second, "it sent DATA 1 with Timeout 1ns and Retries 0 to a silent peer", "give up with ErrPeerGone once Timeout has passed after the last try")
			if errors.Is(err, ErrConfig) {
				t.Fatalf("Send rejected Config %+v (%v), which is valid: BlockSize goes from 1 to MaxBlockSize, and any Timeout more than 0 will do. Reject only BlockSize < 1 or > MaxBlockSize, Timeout <= 0 and Retries < 0", cfg, err)
			}
			require.ErrorIs(t, err, ErrPeerGone, "Send with Config %+v to a silent peer", cfg)
		})
	}
}

func TestSend_ReturnsReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire (made up by the test)")
	r := io.MultiReader(bytes.NewReader(testkit.RandomBytes(10)), iotest.ErrReader(boom))
	p := startSend(t, r, Config{BlockSize: 10, Timeout: 2 * time.Second, Retries: 1})
	p.expectData(1, testkit.RandomBytes(10), "block 1, read before the error")
	p.send(AppendAck(nil, 1))
	err := p.run.Wait(t, 2*time.Second, "its reader failed", "return the reader's error (io.EOF is the only one that means the end)")
	require.ErrorIs(t, err, boom, "the reader failed after the first block")
	p.nothing(50*time.Millisecond, "after the reader failed, Send must send nothing more: a short block would tell the peer the data is complete")
}

func TestSend_StopsWhenCtxIsDone(t *testing.T) {
	t.Parallel()
	const hint = "when ctx is done, stop waiting: context.AfterFunc can move pc's read deadline into the past"
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
		// wrap, when not nil, wraps Send's socket
		wrap func(net.PacketConn, context.CancelFunc) net.PacketConn
		hint string
	}{
		{"cancelled after 100 ms", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled, nil, hint},
		{"deadline after 100 ms", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded, nil, hint},
		{"cancelled while it sent DATA 1", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, context.Canceled, func(pc net.PacketConn, cancel context.CancelFunc) net.PacketConn {
			return newCancelOnWrite(pc, cancel)
		}, "ctx was cancelled while Send sent DATA 1, and the read deadline in the past was set before Send set its own, which replaced it: " +
			"check ctx.Err() after each SetReadDeadline, before ReadFrom, and return it"},
	} {
		mine, theirs := listenUDP(t), listenUDP(t)
		ctx, cancel := tc.ctx()
		defer cancel()
		var pc net.PacketConn = mine
		if tc.wrap != nil {
			pc = tc.wrap(mine, cancel)
		}
		start := time.Now()
		err := testkit.Returns(t, "Send", tc.hint,
			func() error {
				return Send(ctx, pc, theirs.LocalAddr(), bytes.NewReader([]byte("x")), Config{BlockSize: 8, Timeout: 3 * time.Second, Retries: 3})
			})
		require.ErrorIs(t, err, tc.want, "Send against a silent peer, %s", tc.name)
		require.Less(t, time.Since(start), 2*time.Second, "Send returned long after ctx was done (%s): a ReadFrom blocked until its time-out does not notice ctx. %s", tc.name, tc.hint)
		// Send does not close pc: the socket still works.
		_, err = mine.WriteTo([]byte("still open"), theirs.LocalAddr())
		require.NoError(t, err, "the socket given to Send no longer works after Send returned: Send must not close pc, its caller owns it")
	}
}
