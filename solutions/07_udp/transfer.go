package udp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// ANCHOR: config

// ErrPeerGone is the error (matched with errors.Is) of a transfer whose
// peer stopped answering: Send got no ACK after its last retransmission,
// or Receive heard no DATA for too long.
var ErrPeerGone = errors.New("udp: the peer is gone")

// ErrConfig is the error (matched with errors.Is) of Send and Receive for
// a Config they cannot work with; they return it before sending anything.
var ErrConfig = errors.New("udp: bad config")

// Config is what both ends of a transfer must agree on.
type Config struct {
	// BlockSize is how many bytes of data a DATA packet carries, from 1 to
	// MaxBlockSize (TFTP uses 512). A shorter block, possibly empty, is
	// the last one.
	BlockSize int

	// Timeout is how long Send waits for the ACK of a DATA packet before
	// it sends the packet again. It must be more than 0.
	Timeout time.Duration

	// Retries is how many times Send sends one DATA packet again before
	// it gives up; 0 means it sends each packet once. It must not be
	// negative.
	Retries int

	// ISN is the block number before the first one, like TCP's initial
	// sequence number: the first DATA packet is block ISN+1, the next
	// ISN+2, and so on. Block numbers are 16 bits wide and wrap from 65535
	// to 0. With ISN 0 the blocks are numbered like TFTP's: 1, 2, 3, ...
	ISN uint16
}

// ANCHOR_END: config

// check returns ErrConfig for values Send and Receive cannot work with.
func (c Config) check() error {
	switch {
	case c.BlockSize < 1 || c.BlockSize > MaxBlockSize:
		return fmt.Errorf("%w: BlockSize %d is not between 1 and %d", ErrConfig, c.BlockSize, MaxBlockSize)
	case c.Timeout <= 0:
		return fmt.Errorf("%w: Timeout %v is not more than 0", ErrConfig, c.Timeout)
	case c.Retries < 0:
		return fmt.Errorf("%w: Retries %d is negative", ErrConfig, c.Retries)
	}
	return nil
}

// ANCHOR: send

// Send sends everything it reads from r to peer through pc, reliably,
// one block at a time, and returns nil once the peer has acknowledged the
// last block.
//
// It cuts the data into blocks of exactly cfg.BlockSize bytes (one Read
// may return less: keep reading until a block is full or r is done) and
// sends each one as a DATA packet, numbered from cfg.ISN+1 on. Then it
// waits for the ACK with the same block number from peer, and only then
// sends the next block. A block shorter than BlockSize ends the transfer:
// when the data is a multiple of BlockSize long (or empty), the last
// block is an empty DATA packet.
//
// While it waits, Send ignores everything that is not that ACK from peer:
// datagrams from other addresses, malformed ones, and ACKs for other
// blocks (a duplicated or late ACK must not make it send anything). If the
// ACK has not come cfg.Timeout after a DATA packet was sent, Send sends the
// same packet again, at most cfg.Retries times per block; ignored
// datagrams do not postpone that time-out. When the ACK has not come
// cfg.Timeout after the last try, Send returns an error matching
// ErrPeerGone.
//
// An error from r (other than io.EOF) is returned, and nothing more is
// sent. When ctx is done, Send returns an error matching ctx.Err() without
// waiting for its time-out. Send does not close pc.
func Send(ctx context.Context, pc net.PacketConn, peer net.Addr, r io.Reader, cfg Config) error {
	if err := cfg.check(); err != nil {
		return err
	}
	defer interruptWhenDone(ctx, pc)()

	data := make([]byte, cfg.BlockSize)
	block := cfg.ISN
	for {
		// A Read may return less than asked for; io.ReadFull keeps going.
		// It says io.EOF (nothing read) or io.ErrUnexpectedEOF (a part
		// read) when r ends: either way this is the last, short block.
		n, err := io.ReadFull(r, data)
		last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !last {
			return fmt.Errorf("udp: reading the data to send: %w", err)
		}
		block++ // uint16: 65535 + 1 is 0, which is what the wire wants
		if err := sendUntilAcked(ctx, pc, peer, AppendData(nil, block, data[:n]), block, cfg); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}

// ANCHOR_END: send

// ANCHOR: sendUntilAcked

// sendUntilAcked sends pkt to peer and waits for the ACK of block, sending
// pkt again each time cfg.Timeout passes without it, cfg.Retries times at
// most.
func sendUntilAcked(ctx context.Context, pc net.PacketConn, peer net.Addr, pkt []byte, block uint16, cfg Config) error {
	buf := make([]byte, HeaderLen+1) // an ACK is HeaderLen bytes: anything longer is not one
	for try := 0; try <= cfg.Retries; try++ {
		if _, err := pc.WriteTo(pkt, peer); err != nil {
			return fmt.Errorf("udp: sending block %d: %w", block, err)
		}
		// One deadline per packet sent, not per datagram read: a stream of
		// junk must not keep us from sending again, or from giving up.
		deadline := time.Now().Add(cfg.Timeout)
		for {
			from, p, err := readUntil(ctx, pc, deadline, buf)
			if isTimeout(err) {
				break // time to send again
			}
			if err != nil {
				return err
			}
			op, acked, _, perr := ParsePacket(p)
			if perr == nil && op == OpAck && acked == block && sameAddr(from, peer) {
				return nil
			}
			// Anything else is ignored. Above all a stale ACK: answering it
			// would send a second copy of each block from then on (the
			// "Sorcerer's Apprentice" bug of the first TFTP).
		}
	}
	return fmt.Errorf("%w: no ACK for block %d after %d tries of %v", ErrPeerGone, block, cfg.Retries+1, cfg.Timeout)
}

// ANCHOR_END: sendUntilAcked

// ANCHOR: receive

// Receive receives the blocks that peer sends to pc with Send, writes
// their data to w in order, each block once, and returns nil after the
// last one.
//
// It waits for the DATA packet numbered cfg.ISN+1, then ISN+2, and so on
// (16-bit numbers that wrap from 65535 to 0). A DATA packet from peer with
// the block number it waits for is written to w and then acknowledged:
// Receive sends an ACK with that block number to peer. A DATA packet for
// the block before (a duplicate: the sender did not get our ACK) is
// acknowledged again but not written again. Everything else is ignored:
// datagrams from other addresses, malformed ones, other block numbers, and
// DATA packets with more than cfg.BlockSize bytes of data.
//
// Receive never sends on its own; it only answers DATA. It gives up when
// no DATA packet it wrote or acknowledged again has come for cfg.Timeout *
// (cfg.Retries+1), the time Send takes to give up: with an error matching
// ErrPeerGone, or with nil once the last block (shorter than BlockSize)
// has been written. That wait after the last block is needed: if our
// last ACK is lost, the sender sends the last block again, and only an
// answer lets it finish.
//
// An error from w is returned, and that block is not acknowledged. When
// ctx is done, Receive returns an error matching ctx.Err() without
// waiting for its time-out. Receive does not close pc.
func Receive(ctx context.Context, pc net.PacketConn, peer net.Addr, w io.Writer, cfg Config) error {
	if err := cfg.check(); err != nil {
		return err
	}
	defer interruptWhenDone(ctx, pc)()

	// One byte more than the largest DATA packet: a longer one fills the
	// buffer, and we see it, instead of a quietly truncated block.
	buf := make([]byte, HeaderLen+cfg.BlockSize+1)
	patience := cfg.Timeout * time.Duration(cfg.Retries+1)
	deadline := time.Now().Add(patience)
	next := cfg.ISN + 1 // the block we wait for
	done := false       // the last block has been written
	for {
		from, p, err := readUntil(ctx, pc, deadline, buf)
		switch {
		case isTimeout(err) && done:
			return nil
		case isTimeout(err):
			return fmt.Errorf("%w: no DATA for block %d within %v", ErrPeerGone, next, patience)
		case err != nil:
			return err
		}
		op, block, data, perr := ParsePacket(p)
		if perr != nil || op != OpData || len(data) > cfg.BlockSize || !sameAddr(from, peer) {
			continue
		}
		switch {
		case block == next && !done:
			if _, err := w.Write(data); err != nil {
				return fmt.Errorf("udp: writing block %d: %w", block, err)
			}
			done = len(data) < cfg.BlockSize
			next++
		case block == next-1:
			// A duplicate: our ACK was lost or is late. Acknowledge it
			// again, but its data is written already.
		default:
			continue
		}
		if _, err := pc.WriteTo(AppendAck(nil, block), peer); err != nil {
			return fmt.Errorf("udp: acknowledging block %d: %w", block, err)
		}
		deadline = time.Now().Add(patience)
	}
}

// ANCHOR_END: receive

// readUntil reads one datagram into buf, waiting until deadline at most.
// When ctx is done it returns ctx's error.
func readUntil(ctx context.Context, pc net.PacketConn, deadline time.Time, buf []byte) (net.Addr, []byte, error) {
	if err := pc.SetReadDeadline(deadline); err != nil {
		return nil, nil, err
	}
	// Checked after SetReadDeadline: if ctx is done after this check,
	// interruptWhenDone's deadline in the past comes after ours and wins.
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	return from, buf[:n], nil
}

// interruptWhenDone wakes up a ReadFrom blocked on pc when ctx is done, by
// moving pc's read deadline into the past. Call the function it returns
// when you no longer need that.
func interruptWhenDone(ctx context.Context, pc net.PacketConn) (stop func() bool) {
	return context.AfterFunc(ctx, func() { pc.SetReadDeadline(time.Unix(1, 0)) })
}

// isTimeout reports whether err is a read deadline that passed. (Not
// net.Error's Timeout method: context.DeadlineExceeded has one too.)
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// sameAddr reports whether two addresses name the same endpoint. A
// *net.UDPAddr from ReadFrom is a new value each time, so compare what
// they say, not the pointers.
func sameAddr(a, b net.Addr) bool {
	return a != nil && b != nil && a.Network() == b.Network() && a.String() == b.String()
}
