package udp

import (
	"context"
	"errors"
	"io"
	"net"
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
	// TODO: check cfg (ErrConfig), then loop: io.ReadFull a block from r,
	// number it (a uint16 that you increment, so it wraps by itself), and
	// send it with AppendData until its ACK comes back from peer. Wait with
	// pc.SetReadDeadline(time.Now().Add(cfg.Timeout)) once per packet
	// sent, and keep reading until that deadline: only the right ACK from
	// peer counts. Give up with ErrPeerGone after cfg.Retries more tries.
	// See "Stop-and-wait" in the chapter.
	return errors.New("TODO: Send is not written yet")
}

// ANCHOR_END: send

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
	// TODO: check cfg (ErrConfig), then read DATA packets from peer into a
	// buffer of HeaderLen+cfg.BlockSize+1 bytes. The block you wait for is
	// written to w and acknowledged with AppendAck; the block before is
	// acknowledged again only. Keep a read deadline of cfg.Timeout *
	// (cfg.Retries+1) after the last DATA you answered: when it passes,
	// return nil if the last (short) block is written, ErrPeerGone if not.
	// See "Stop-and-wait" in the chapter.
	return errors.New("TODO: Receive is not written yet")
}

// ANCHOR_END: receive
