// Package chathub is lesson 10: a line-based chat server over TCP, where
// one hub goroutine owns the room and every client has a writer goroutine
// with a bounded outbox.
//
// Read book/10_chat_hub.md first, then make the tests in this folder pass:
//
//	make check-lesson N=10
package chathub

import (
	"context"
	"errors"
	"net"
	"time"
)

// ANCHOR: protocol

// The protocol. A client sends lines ending in "\n" (a trailing "\r" is
// removed; text after the last "\n" when the client closes is not a line);
// the server sends lines ending in "\n". In the lines below,
// <nick> is a member's nick and <text> what a member said.
//
// A client is not a member of the room until it has a nick:
//
//	/nick <nick>        set the nick, once. <nick> is 1 to MaxNick letters
//	                    (a-z, A-Z), digits, '-' or '_'; spaces around it are
//	                    ignored. The client gets "* welcome <nick>" and every
//	                    other member "* <nick> joined".
//	<text>              any other line that does not start with "/": every
//	                    other member gets "<nick>: <text>". The sender gets
//	                    nothing back. An empty line is ignored.
//
// Errors go to the sender alone, and the connection stays open:
//
//	! bad nick          an empty nick, a nick longer than MaxNick, or a
//	                    character that is not allowed
//	! nick taken        another member has this nick
//	! nick already set  a second /nick
//	! nick first        text before /nick
//	! unknown command   a line that starts with "/" but is not "/nick ..."
//
// A line longer than Config.MaxLine bytes (not counting its "\n" or
// "\r\n") gets "! line too long", and then the server closes the
// connection.
//
// When a member goes, every other member gets one of:
//
//   - <nick> left                  it closed its connection, or sent a line too long
//   - <nick> dropped (too slow)    it fell behind (see Config.WriteTimeout)
const (
	MaxNick = 16

	msgWelcome     = "* welcome %s\n"
	msgJoined      = "* %s joined\n"
	msgSaid        = "%s: %s\n"
	msgLeft        = "* %s left\n"
	msgDropped     = "* %s dropped (too slow)\n"
	errBadNick     = "! bad nick\n"
	errNickTaken   = "! nick taken\n"
	errNickSet     = "! nick already set\n"
	errNickFirst   = "! nick first\n"
	errUnknown     = "! unknown command\n"
	errLineTooLong = "! line too long\n"
)

// ANCHOR_END: protocol

// ANCHOR: config

// Config sets the limits of a chat server. A zero field takes its default.
type Config struct {
	// OutboxSize is how many lines may wait for one client's writer
	// goroutine (default 64).
	OutboxSize int
	// WriteTimeout is how long a member may stay behind: when its outbox
	// has been full for longer than this, the member is dropped, so that
	// one client that does not read cannot hold up the room for longer.
	// A burst that fills an outbox for a moment is not being behind.
	// Dropping a member closes its connection, which also ends a Write
	// to it that is stuck (default 5s).
	WriteTimeout time.Duration
	// MaxLine is the longest line a client may send, in bytes, without
	// its line end (default 512).
	MaxLine int
}

// ANCHOR_END: config

func (c Config) withDefaults() Config {
	if c.OutboxSize <= 0 {
		c.OutboxSize = 64
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.MaxLine <= 0 {
		c.MaxLine = 512
	}
	return c
}

// ANCHOR: serve

// Serve runs the chat on ln until ctx is cancelled.
//
// One hub goroutine owns the room: the members, their nicks, and every
// client's outbox. Each connection has a reader goroutine, which turns
// lines into events for the hub, and a writer goroutine, which writes the
// lines of its client's outbox (a channel with room for OutboxSize lines)
// to the connection. The hub never writes to a connection itself, so a
// slow client delays the room by WriteTimeout at most, once: then it is
// dropped.
//
// Lines from one member reach every other member in the order they were
// sent.
//
// When ctx is cancelled Serve closes ln and every connection, waits for
// every goroutine it started, and returns nil. Accept's net.ErrClosed (the
// listener closed by its owner) is a stop too; any other Accept error is
// returned after the same cleanup. ln is closed when Serve returns.
func Serve(ctx context.Context, ln net.Listener, cfg Config) error {
	// TODO: start a hub goroutine that alone owns the members (a map) and
	// every outbox; for each connection start a reader goroutine (lines to
	// events for the hub, bufio.Reader with a size limit) and a writer
	// goroutine (outbox to conn). The hub never
	// writes to a conn; when an outbox is full it waits, but drops a
	// member that has been behind for cfg.WriteTimeout. See "The hub" and
	// "Slow is not the same as busy" in the chapter.
	return errors.New("TODO: Serve is not written yet")
}

// ANCHOR_END: serve
