package udp

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// TestMain lets more tests run at once than the machine has cores. These
// tests spend their time waiting for time-outs, not computing: with go
// test's default (-parallel = the number of cores) they would wait in
// turn. An explicit -parallel flag still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "4")
	}
	testkit.Main(m) // plain go test first says how to get the checker's report
}

// ioTimeout bounds every single read, write and wait in these tests:
// nothing waits forever, even when the code under test is wrong.
const ioTimeout = 5 * time.Second

// quiet is how long a test listens to be sure that something does NOT
// happen (no reply, no retransmission). Long enough for loopback on a
// loaded machine, short enough to keep the tests fast.
const quiet = 100 * time.Millisecond

// listenUDP opens a UDP socket on a free loopback port. It is closed when
// the test ends; closing it earlier is fine.
func listenUDP(t testing.TB) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err, "the test could not open a UDP socket")
	t.Cleanup(func() { pc.Close() })
	return pc
}

// describe prints a datagram the way a learner wants to read it: as a
// DATA or ACK packet when it is one, as bytes otherwise.
func describe(p []byte) string {
	op, block, data, err := ParsePacket(p)
	switch {
	case err != nil && len(p) > 40:
		return fmt.Sprintf("%d bytes %q...", len(p), p[:40])
	case err != nil:
		return fmt.Sprintf("%d bytes %q", len(p), p)
	case op == OpAck:
		return fmt.Sprintf("ACK %d", block)
	default:
		return fmt.Sprintf("DATA %d (%d bytes)", block, len(data))
	}
}

// peer is the test's end of a transfer: a UDP socket that sends exactly
// the packets a test wants and checks every datagram the code under test
// sends. other is the address of the code under test, run the learner's
// function (Send or Receive) running in the background.
type peer struct {
	t     *testing.T
	pc    net.PacketConn
	other net.Addr
	run   *testkit.Running
	name  string
	mine  net.PacketConn // the socket given to the code under test
}

// requireStillOpen checks, after the code under test has returned, that it
// did not close the socket it was given: its caller owns it.
func (p *peer) requireStillOpen() {
	p.t.Helper()
	_, err := p.mine.WriteTo([]byte("still open?"), p.pc.LocalAddr())
	require.NoError(p.t, err, "the socket given to %s no longer works after %s returned: do not close pc, its caller owns it", p.name, p.name)
}

// send sends one datagram to the code under test.
func (p *peer) send(pkt []byte) {
	p.t.Helper()
	p.sendTo(p.other, pkt)
}

func (p *peer) sendTo(to net.Addr, pkt []byte) {
	p.t.Helper()
	require.NoError(p.t, p.pc.SetWriteDeadline(time.Now().Add(ioTimeout)))
	_, err := p.pc.WriteTo(pkt, to)
	require.NoError(p.t, err, "the test peer could not send %s", describe(pkt))
}

// poll reads the next datagram from the code under test, waiting up to d.
// ok is false if none came. Datagrams from other addresses are skipped.
func (p *peer) poll(d time.Duration) (pkt []byte, ok bool) {
	p.t.Helper()
	buf := make([]byte, MaxBlockSize+HeaderLen+1)
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		// Short reads, so that a function that has returned already is
		// reported at once rather than after d.
		require.NoError(p.t, p.pc.SetReadDeadline(minTime(end, time.Now().Add(20*time.Millisecond))))
		n, from, err := p.pc.ReadFrom(buf)
		if err == nil && from.String() == p.other.String() {
			return bytes.Clone(buf[:n]), true
		}
		if err != nil && !testkit.IsTimeout(err) {
			p.t.Fatalf("the test peer could not read: %v", err)
		}
		if p.run != nil && p.run.Returned() && err != nil {
			return nil, false
		}
	}
	return nil, false
}

// next returns the next datagram from the code under test. It fails the
// test if none comes within ioTimeout.
func (p *peer) next(what string) []byte {
	p.t.Helper()
	pkt, ok := p.poll(ioTimeout)
	if !ok {
		if p.run != nil && p.run.Returned() {
			hint := ""
			if p.name == "Receive" && p.run.Err() == nil {
				hint = ": after the last block, keep answering repeats of it until no DATA has come for Timeout*(Retries+1)"
			}
			p.t.Fatalf("%s returned (error: %v) when the test waited for %s%s", p.name, p.run.Err(), what, hint)
		}
		p.t.Fatalf("%s sent nothing within %v when the test waited for %s", p.name, ioTimeout, what)
	}
	return pkt
}

// expectData waits for the DATA packet of block with exactly data in it.
func (p *peer) expectData(block uint16, data []byte, what string) {
	p.t.Helper()
	pkt := p.next(fmt.Sprintf("DATA %d (%s)", block, what))
	op, got, payload, err := ParsePacket(pkt)
	require.NoError(p.t, err, "%s sent a datagram that is not a packet (%s) when the test waited for DATA %d: build it with AppendData", p.name, describe(pkt), block)
	require.Equal(p.t, OpData, op, "%s sent %s when the test waited for DATA %d", p.name, describe(pkt), block)
	require.Equal(p.t, block, got, "%s sent DATA %d when the test waited for DATA %d (%s)", p.name, got, block, what)
	if !bytes.Equal(data, payload) {
		p.t.Fatalf("%s sent DATA %d with %d bytes of data, want %d (%s); first difference at byte %d: a block holds exactly BlockSize bytes (io.ReadFull) except the last one",
			p.name, block, len(payload), len(data), what, testkit.FirstDiff(data, payload))
	}
}

// expectAck waits for the ACK of block.
func (p *peer) expectAck(block uint16, what string) {
	p.t.Helper()
	pkt := p.next(fmt.Sprintf("ACK %d (%s)", block, what))
	op, got, _, err := ParsePacket(pkt)
	if err != nil || op != OpAck || got != block {
		p.t.Fatalf("%s sent %s when the test waited for ACK %d (%s)", p.name, describe(pkt), block, what)
	}
}

// nothing checks that the code under test sends nothing for d.
func (p *peer) nothing(d time.Duration, why string) {
	p.t.Helper()
	if pkt, ok := p.poll(d); ok {
		p.t.Fatalf("%s sent %s: %s", p.name, describe(pkt), why)
	}
}

// count reads for d and returns the datagrams that came.
func (p *peer) count(d time.Duration) [][]byte {
	p.t.Helper()
	var got [][]byte
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return got
		}
		pkt, ok := p.poll(left)
		if ok {
			got = append(got, pkt)
		}
	}
}

// blocks cuts data into the DATA payloads Send must produce: full blocks,
// then one shorter (possibly empty) block.
func blocks(data []byte, size int) [][]byte {
	var out [][]byte
	for len(data) >= size {
		out = append(out, data[:size])
		data = data[size:]
	}
	return append(out, data)
}

// rawPacket builds a packet with any opcode, for malformed input.
func rawPacket(op, block uint16, rest []byte) []byte {
	p := binary.BigEndian.AppendUint16(nil, op)
	p = binary.BigEndian.AppendUint16(p, block)
	return append(p, rest...)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// startFunc runs one of the learner's transfer functions in the
// background against a test peer. When the test ends it cancels ctx,
// closes both sockets and waits (bounded) for the function to return.
func startFunc(t *testing.T, name string, f func(ctx context.Context, pc net.PacketConn, peerAddr net.Addr) error) *peer {
	t.Helper()
	mine, theirs := listenUDP(t), listenUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	run := testkit.Go(name, func() error { return f(ctx, mine, theirs.LocalAddr()) })
	t.Cleanup(func() {
		cancel()
		mine.Close()
		select {
		case <-run.Done():
		case <-time.After(ioTimeout):
			t.Errorf("%s did not return within %v after the test ended, its ctx was cancelled and its socket closed", name, ioTimeout)
		}
	})
	return &peer{t: t, pc: theirs, other: mine.LocalAddr(), run: run, name: name, mine: mine}
}

// lossyConn is a net.PacketConn that loses, duplicates and reorders the
// datagrams written to it, like a bad network. Its decisions come from a
// seeded RNG, so a run can be repeated. A reordered datagram is held back
// and sent after the next one that goes out.
type lossyConn struct {
	net.PacketConn
	drop, dup, reorder float64 // probabilities per datagram

	mu      sync.Mutex
	rng     *rand.Rand
	held    []heldDatagram
	dropped int
	doubled int
	delayed int
}

type heldDatagram struct {
	p  []byte
	to net.Addr
}

func newLossyConn(pc net.PacketConn, seed uint64, drop, dup, reorder float64) *lossyConn {
	return &lossyConn{PacketConn: pc, drop: drop, dup: dup, reorder: reorder, rng: rand.New(rand.NewPCG(seed, 7))}
}

func (c *lossyConn) WriteTo(p []byte, to net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.rng.Float64()
	switch {
	case x < c.drop:
		c.dropped++
		return len(p), nil // lost on the way: the sender cannot know
	case x < c.drop+c.reorder:
		c.delayed++
		c.held = append(c.held, heldDatagram{bytes.Clone(p), to})
		return len(p), nil
	case x < c.drop+c.reorder+c.dup:
		c.doubled++
		if _, err := c.PacketConn.WriteTo(p, to); err != nil {
			return 0, err
		}
	}
	n, err := c.PacketConn.WriteTo(p, to)
	if err != nil {
		return n, err
	}
	for _, h := range c.held { // overtaken by p: they arrive late
		_, _ = c.PacketConn.WriteTo(h.p, h.to)
	}
	c.held = nil
	return n, err
}

func (c *lossyConn) stats() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("%d lost, %d duplicated, %d reordered", c.dropped, c.doubled, c.delayed)
}

// cancelOnWrite is a net.PacketConn whose first WriteTo cancels ctx, then
// waits (a second at most) until a read deadline in the past is set, which
// is how context.AfterFunc wakes up a ReadFrom, and only then sends. The
// code under test so finds, after that WriteTo, a ctx that is done and a
// wake-up that has come already: the read deadline it sets next replaces
// the one in the past.
type cancelOnWrite struct {
	net.PacketConn
	cancel    context.CancelFunc
	once      sync.Once
	past      chan struct{}
	closePast sync.Once
}

func newCancelOnWrite(pc net.PacketConn, cancel context.CancelFunc) *cancelOnWrite {
	return &cancelOnWrite{PacketConn: pc, cancel: cancel, past: make(chan struct{})}
}

func (c *cancelOnWrite) WriteTo(p []byte, to net.Addr) (int, error) {
	c.once.Do(func() {
		c.cancel()
		select {
		case <-c.past:
		case <-time.After(time.Second):
		}
	})
	return c.PacketConn.WriteTo(p, to)
}

func (c *cancelOnWrite) SetReadDeadline(t time.Time) error {
	c.notePast(t)
	return c.PacketConn.SetReadDeadline(t)
}

func (c *cancelOnWrite) SetDeadline(t time.Time) error {
	c.notePast(t)
	return c.PacketConn.SetDeadline(t)
}

func (c *cancelOnWrite) notePast(t time.Time) {
	if !t.IsZero() && time.Until(t) < 0 {
		c.closePast.Do(func() { close(c.past) })
	}
}
