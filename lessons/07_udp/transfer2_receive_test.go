package udp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// startReceive runs Receive(ctx, its own socket, the test peer's address,
// a buffer, cfg) in the background and returns the test peer and the
// buffer (read it only after Receive has returned).
func startReceive(t *testing.T, cfg Config) (*peer, *testkit.SyncBuffer) {
	t.Helper()
	w := new(testkit.SyncBuffer)
	p := startFunc(t, "Receive", func(ctx context.Context, pc net.PacketConn, from net.Addr) error {
		return Receive(ctx, pc, from, w, cfg)
	})
	return p, w
}

// written is what Receive has written so far. Receive writes a block
// before it acknowledges it, so after the last ACK this is everything.
func written(w *testkit.SyncBuffer) []byte { return []byte(w.String()) }

// sendAll plays a correct sender of data, numbered from isn+1: it sends
// each block and waits for its ACK.
func sendAll(p *peer, data []byte, size int, isn uint16) {
	p.t.Helper()
	block := isn
	bs := blocks(data, size)
	for i, b := range bs {
		block++
		p.send(AppendData(nil, block, b))
		p.expectAck(block, fmt.Sprintf("block %d of %d, %d bytes", i+1, len(bs), len(b)))
	}
}

// waitReceive waits for Receive to return after the last block, which
// takes Timeout*(Retries+1) of silence, and returns its error.
func waitReceive(t *testing.T, p *peer, cfg Config) error {
	t.Helper()
	patience := cfg.Timeout * time.Duration(cfg.Retries+1)
	return p.run.Wait(t, patience+2*time.Second, fmt.Sprintf("its last block and %v of silence", patience),
		"after the last (short) block, wait Timeout*(Retries+1) for a repeat of it, then return nil")
}

// fast is the Config of the Receive tests that do not wait for Receive
// to return: it waits 3*500 ms for a block, which a test peer on a loaded
// machine never needs.
var fast = Config{BlockSize: 16, Timeout: 500 * time.Millisecond, Retries: 2}

func TestReceive_WritesEachBlockAndAcksIt(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 15, 16, 17, 83} {
		t.Run(fmt.Sprintf("%d_bytes", n), func(t *testing.T) {
			t.Parallel()
			data := testkit.RandomBytes(n)
			cfg := fast
			if n == 16 {
				cfg.Timeout = 100 * time.Millisecond // Receive returns 300 ms after the last block
			}
			p, w := startReceive(t, cfg)
			sendAll(p, data, cfg.BlockSize, 0)
			testkit.RequireSameBytes(t, data, written(w), "what Receive wrote before it acknowledged the last block")
			if n == 16 { // once is enough: Receive lingers after the last block
				require.NoError(t, waitReceive(t, p, cfg), "Receive of %d bytes, every block sent once", n)
			}
			p.requireStillOpen()
		})
	}
}

func TestReceive_AcksADuplicateAgainButWritesItOnce(t *testing.T) {
	t.Parallel()
	p, w := startReceive(t, fast)
	b := blocks(testkit.RandomBytes(40), 16) // 16, 16, 8

	p.send(AppendData(nil, 1, b[0]))
	p.expectAck(1, "block 1")
	p.send(AppendData(nil, 1, b[0])) // our ACK was "lost": we send block 1 again
	p.expectAck(1, "block 1 sent again: a duplicate is acknowledged again, the sender did not get the first ACK")
	p.send(AppendData(nil, 2, b[1]))
	p.expectAck(2, "block 2")
	p.send(AppendData(nil, 2, b[1]))
	p.send(AppendData(nil, 2, b[1]))
	p.expectAck(2, "block 2, a duplicate")
	p.expectAck(2, "block 2, another duplicate")
	p.send(AppendData(nil, 3, b[2]))
	p.expectAck(3, "block 3, the last one")
	p.send(AppendData(nil, 3, b[2]))
	p.expectAck(3, "block 3 sent again: the last ACK may be lost too")
	if len(written(w)) > 40 {
		t.Fatalf("Receive wrote %d bytes for 40 bytes of data sent with duplicates: a duplicate block (the one before the one you wait for) is acknowledged again, not written again", len(written(w)))
	}
	testkit.RequireSameBytes(t, bytes.Join(b, nil), written(w), "what Receive wrote")
}

func TestReceive_IgnoresOtherBlocksMalformedAndOversizedData(t *testing.T) {
	t.Parallel()
	p, w := startReceive(t, fast)
	data := testkit.RandomBytes(20) // 16 + 4

	for _, junk := range [][]byte{
		AppendData(nil, 2, data[16:]),                                   // a block from the future
		AppendData(nil, 0, data[:16]),                                   // ISN itself
		AppendData(nil, 1, testkit.RandomBytes(17)),                     // more than BlockSize
		AppendData(nil, 1, testkit.RandomBytes(MaxBlockSize)),           // much more
		AppendAck(nil, 1), {0, 3}, rawPacket(5, 1, []byte("error")), {}, // not DATA
	} {
		p.send(junk)
		if pkt, ok := p.poll(20 * time.Millisecond); ok && !bytes.Equal(pkt, AppendAck(nil, 0)) {
			t.Fatalf("Receive waited for DATA 1, got %s and answered %s: everything but DATA 1 (or a repeat of the block before) is ignored. A DATA with more than BlockSize bytes is broken: read into a buffer of HeaderLen+BlockSize+1 bytes to notice it", describe(junk), describe(pkt))
		}
	}
	sendAll(p, data, 16, 0)
	testkit.RequireSameBytes(t, data, written(w), "what Receive wrote (after ignored junk)")
}

func TestReceive_IgnoresDataFromOtherAddresses(t *testing.T) {
	t.Parallel()
	p, w := startReceive(t, fast)
	interloper := &peer{t: t, pc: listenUDP(t), other: p.other, name: "Receive"}
	data := testkit.RandomBytes(20)

	evil := bytes.Repeat([]byte("X"), 16)
	interloper.send(AppendData(nil, 1, evil))
	interloper.nothing(quiet/2, "Receive answered DATA 1 from an address that is not the peer: compare ReadFrom's address with peer and ignore everyone else")
	p.nothing(10*time.Millisecond, "Receive must not ACK a block that came from someone else")

	p.send(AppendData(nil, 1, data[:16]))
	p.expectAck(1, "block 1 from the peer")
	interloper.send(AppendData(nil, 2, []byte("evil")))
	p.nothing(30*time.Millisecond, "DATA 2 came from another address: Receive must ignore it")
	p.send(AppendData(nil, 2, data[16:]))
	p.expectAck(2, "block 2 from the peer")
	if bytes.Contains(written(w), evil) || bytes.Contains(written(w), []byte("evil")) {
		t.Fatalf("Receive wrote data that came from another address than the peer: ignore every datagram whose address (from ReadFrom) is not peer")
	}
	testkit.RequireSameBytes(t, data, written(w), "what Receive wrote")
}

func TestReceive_NumbersBlocksFromISNAndWrapsAt16Bits(t *testing.T) {
	t.Parallel()
	for _, isn := range []uint16{65533, 65535, 7} {
		t.Run(fmt.Sprintf("ISN_%d", isn), func(t *testing.T) {
			t.Parallel()
			cfg := fast
			cfg.BlockSize = 4
			cfg.ISN = isn
			p, w := startReceive(t, cfg)
			data := testkit.RandomBytes(5*4 + 3) // blocks isn+1 ... isn+6
			sendAll(p, data, 4, isn)
			testkit.RequireSameBytes(t, data, written(w), "what Receive wrote")
		})
	}
}

func TestReceive_WaitsAfterTheLastBlockForARepeat(t *testing.T) {
	t.Parallel()
	cfg := Config{BlockSize: 16, Timeout: 60 * time.Millisecond, Retries: 4} // patience 300 ms
	p, w := startReceive(t, cfg)
	data := testkit.RandomBytes(20)
	p.send(AppendData(nil, 1, data[:16]))
	p.expectAck(1, "block 1")
	last := time.Now() // Receive's wait starts after this, when it answers
	p.send(AppendData(nil, 2, data[16:]))
	p.expectAck(2, "block 2, the last one")

	// Our ACK 2 was "lost": like a real sender, we send block 2 again after
	// Timeout, twice.
	for i := range 2 {
		time.Sleep(cfg.Timeout)
		if p.run.Returned() {
			t.Fatalf("Receive returned (error: %v) %v after it acknowledged the last block: if that ACK is lost, the sender sends the block again, and needs an answer. Wait Timeout*(Retries+1) = %v after the last DATA before returning",
				p.run.Err(), time.Since(last).Round(time.Millisecond), cfg.Timeout*5)
		}
		last = time.Now()
		p.send(AppendData(nil, 2, data[16:]))
		p.expectAck(2, fmt.Sprintf("the last block sent again (%d)", i+1))
	}
	require.NoError(t, waitReceive(t, p, cfg))
	if took := time.Since(last); took < cfg.Timeout*5*8/10 {
		t.Fatalf("Receive returned %v after the last DATA: wait Timeout*(Retries+1) = %v for a repeat of the last block", took.Round(time.Millisecond), cfg.Timeout*5)
	}
	testkit.RequireSameBytes(t, data, written(w), "what Receive wrote")
}

func TestReceive_GivesUpWhenThePeerIsSilent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		first int // blocks sent before the peer goes silent
		cfg   Config
		most  time.Duration // Receive must give up within this (0: not checked)
	}{
		{"before the first block", 0, Config{BlockSize: 16, Timeout: 40 * time.Millisecond, Retries: 2}, 0}, // patience 120 ms
		{"in the middle", 2, Config{BlockSize: 16, Timeout: 40 * time.Millisecond, Retries: 2}, 0},
		// Retries 0: one Timeout of patience (1 s), not two.
		{"in the middle, Retries 0", 1, Config{BlockSize: 16, Timeout: time.Second, Retries: 0}, 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			patience := cfg.Timeout * time.Duration(cfg.Retries+1)
			start := time.Now() // Receive's wait starts after this
			p, _ := startReceive(t, cfg)
			interloper := &peer{t: t, pc: listenUDP(t), other: p.other, name: "Receive"}
			data := testkit.RandomBytes(16 * tc.first)
			for i, b := range blocks(data, 16)[:tc.first] {
				start = time.Now()
				p.send(AppendData(nil, uint16(i+1), b))
				p.expectAck(uint16(i+1), "a full block")
			}
			// Junk keeps coming, from the peer and from someone else: it
			// must not postpone the time-out.
			for !p.run.Returned() && time.Since(start) < patience+2*time.Second {
				p.send(AppendData(nil, uint16(tc.first+5), []byte("future")))
				interloper.send(AppendData(nil, uint16(tc.first+1), []byte("evil")))
				if pkt, ok := p.poll(10 * time.Millisecond); ok {
					t.Fatalf("Receive sent %s while its peer sent nothing it should answer: Receive only answers DATA for the block it waits for or the one before; it never sends on its own (no ACK again on a time-out)", describe(pkt))
				}
			}
			if !p.run.Returned() {
				t.Fatalf("Receive did not give up within %v (Timeout*(Retries+1) = %v) while its peer sent nothing useful: ignored datagrams must not move the deadline, only a DATA you wrote or acknowledged again does", patience+2*time.Second, patience)
			}
			took := time.Since(start)
			require.ErrorIs(t, p.run.Err(), ErrPeerGone, "Receive whose peer went silent %s", tc.name)
			require.GreaterOrEqual(t, took, patience*8/10, "Receive gave up too early: wait Timeout*(Retries+1) = %v", patience)
			if tc.most > 0 && took > tc.most {
				t.Fatalf("Receive gave up %v after the last DATA it answered, with Timeout %v and Retries %d: wait Timeout*(Retries+1) = %v, the time Send takes to give up, not longer",
					took.Round(time.Millisecond), cfg.Timeout, cfg.Retries, patience)
			}
		})
	}
	t.Run("its socket closed by its owner", func(t *testing.T) {
		t.Parallel()
		mine, theirs := listenUDP(t), listenUDP(t)
		mine.Close()
		cfg := Config{BlockSize: 16, Timeout: 100 * time.Millisecond, Retries: 1}
		var err error
		testkit.CallWithin(t, 2*time.Second, "Receive", "on a closed socket nothing can come: a read error that is not a time-out (here net.ErrClosed, from SetReadDeadline or ReadFrom) ends Receive with that error; only datagrams are ignored, never errors",
			func() { err = Receive(context.Background(), mine, theirs.LocalAddr(), io.Discard, cfg) })
		require.Error(t, err, "Receive on a socket that was closed before it started")
	})
}

// failingWriter fails every Write.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestReceive_ReturnsWriteErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full (made up by the test)")
	p := startFunc(t, "Receive", func(ctx context.Context, pc net.PacketConn, from net.Addr) error {
		return Receive(ctx, pc, from, failingWriter{boom}, fast)
	})
	p.send(AppendData(nil, 1, []byte("short block")))
	err := p.run.Wait(t, 2*time.Second, "its writer failed", "return w.Write's error")
	require.ErrorIs(t, err, boom, "Receive whose writer failed")
	p.nothing(30*time.Millisecond, "a block that could not be written must not be acknowledged: the sender would think it is safe")
}

func TestReceive_RejectsABadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{BlockSize: 0, Timeout: time.Second},
		{BlockSize: MaxBlockSize + 1, Timeout: time.Second},
		{BlockSize: 512, Timeout: 0},
		{BlockSize: 512, Timeout: time.Second, Retries: -1},
	} {
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			t.Parallel()
			p, _ := startReceive(t, cfg)
			err := p.run.Wait(t, 2*time.Second, "it got a bad Config", "check cfg first and return ErrConfig")
			require.ErrorIs(t, err, ErrConfig, "Receive with Config %+v", cfg)
		})
	}
	// The edges of the valid ranges. With Timeout 1 ns and Retries 0,
	// Receive gives up on the silent test peer at once.
	for _, cfg := range []Config{
		{BlockSize: 1, Timeout: time.Nanosecond},
		{BlockSize: MaxBlockSize, Timeout: time.Nanosecond},
	} {
		t.Run(fmt.Sprintf("valid_%+v", cfg), func(t *testing.T) {
			t.Parallel()
			p, _ := startReceive(t, cfg)
			err := p.run.Wait(t, 2*time.Second, "it waited Timeout*(Retries+1) = 1ns for a silent peer", "give up with ErrPeerGone when no DATA has come for Timeout*(Retries+1)")
			if errors.Is(err, ErrConfig) {
				t.Fatalf("Receive rejected Config %+v (%v), which is valid: BlockSize goes from 1 to MaxBlockSize, and any Timeout more than 0 will do. Reject only BlockSize < 1 or > MaxBlockSize, Timeout <= 0 and Retries < 0", cfg, err)
			}
			require.ErrorIs(t, err, ErrPeerGone, "Receive with Config %+v and a silent peer", cfg)
		})
	}
}

func TestReceive_StopsWhenCtxIsDone(t *testing.T) {
	t.Parallel()
	cfg := Config{BlockSize: 8, Timeout: 2 * time.Second, Retries: 3}
	t.Run("cancelled after 100 ms", func(t *testing.T) {
		t.Parallel()
		mine, theirs := listenUDP(t), listenUDP(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := testkit.Returns(t, "Receive", "when ctx is done, stop waiting: context.AfterFunc can move pc's read deadline into the past",
			func() error { return Receive(ctx, mine, theirs.LocalAddr(), io.Discard, cfg) })
		require.ErrorIs(t, err, context.Canceled, "Receive waiting for a silent peer, cancelled after 100 ms")
		require.Less(t, time.Since(start), 2*time.Second, "Receive returned long after ctx was cancelled: a ReadFrom blocked until its time-out does not notice ctx")
		_, err = mine.WriteTo([]byte("still open"), theirs.LocalAddr())
		require.NoError(t, err, "the socket given to Receive no longer works after Receive returned: Receive must not close pc, its caller owns it")
	})
	t.Run("cancelled while it sent ACK 1", func(t *testing.T) {
		t.Parallel()
		mine, theirs := listenUDP(t), listenUDP(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		p := &peer{t: t, pc: theirs, other: mine.LocalAddr(), name: "Receive"}
		p.send(AppendData(nil, 1, []byte("8 bytes!"))) // waits in mine's buffer
		start := time.Now()
		err := testkit.Returns(t, "Receive", "ctx was cancelled while Receive sent ACK 1, and the read deadline in the past was set before Receive set its own, which replaced it: "+
			"check ctx.Err() after each SetReadDeadline, before ReadFrom, and return it",
			func() error { return Receive(ctx, newCancelOnWrite(mine, cancel), theirs.LocalAddr(), io.Discard, cfg) })
		require.ErrorIs(t, err, context.Canceled, "Receive cancelled while it sent ACK 1")
		require.Less(t, time.Since(start), 2*time.Second, "Receive returned long after ctx was cancelled: check ctx.Err() after SetReadDeadline")
	})
}
