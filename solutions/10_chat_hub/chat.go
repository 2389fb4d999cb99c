// Package chathub is lesson 10: a line-based chat server over TCP, where
// one hub goroutine owns the room and every client has a writer goroutine
// with a bounded outbox.
//
// Read book/10_chat_hub.md first, then make the tests in this folder pass:
//
//	make check-lesson N=10
package chathub

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
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
	defer ln.Close()
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	h := newHub(ctx, cfg)
	var wg sync.WaitGroup
	wg.Go(h.run)

	var err error
	for {
		var conn net.Conn
		conn, err = ln.Accept()
		if err != nil {
			break
		}
		c := &client{conn: conn, out: make(chan string, cfg.OutboxSize)}
		wg.Go(func() { h.read(c) })
		wg.Go(c.write)
	}
	cancel() // stops the hub, which closes every connection
	wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// ANCHOR_END: serve

// ANCHOR: client

// client is one connection. Only the hub sends on out and closes it; the
// writer goroutine receives from it.
type client struct {
	conn net.Conn
	out  chan string

	// Owned by the hub goroutine.
	nick        string
	behindSince time.Time // when a send first found out full; zero when not behind
}

// write is the client's writer goroutine: it writes every line of the
// outbox, and closes the connection when the hub closes the outbox. It sets
// no deadline of its own: a client that does not read is the hub's to
// judge (it drops it, and closes the connection, which ends a stuck
// Write). After a failed write it closes the connection (which ends the
// reader too) and keeps receiving, so the hub never waits on an outbox that
// nobody empties.
func (c *client) write() {
	defer c.conn.Close()
	var err error
	for line := range c.out {
		if err != nil {
			continue
		}
		if _, err = c.conn.Write([]byte(line)); err != nil {
			c.conn.Close()
		}
	}
}

// ANCHOR_END: client

// ANCHOR: read

// event is what a reader tells the hub.
type event struct {
	kind eventKind
	c    *client
	line string // for gotLine
}

type eventKind int

const (
	connected  eventKind = iota // the first event of every client
	gotLine                     // a complete line, without its line end
	gone                        // the reader stopped: EOF or an error
	gotTooLong                  // the reader stopped at a line too long
)

// errLong is readLine's error for a line longer than the limit.
var errLong = errors.New("line too long")

// read is the client's reader goroutine. It only frames lines: what they
// mean is the hub's business.
func (h *hub) read(c *client) {
	if !h.send(event{kind: connected, c: c}) {
		// The hub has stopped and never saw this client, so nobody else
		// will close its outbox (which ends its writer).
		close(c.out)
		return
	}
	// Room for the longest line and its "\r\n": a longer one does not fit
	// and is refused without reading on.
	r := bufio.NewReaderSize(c.conn, h.cfg.MaxLine+2)
	for {
		line, err := readLine(r, h.cfg.MaxLine)
		switch {
		case errors.Is(err, errLong):
			h.send(event{kind: gotTooLong, c: c})
			return
		case err != nil:
			h.send(event{kind: gone, c: c})
			return
		}
		if !h.send(event{kind: gotLine, c: c, line: line}) {
			return
		}
	}
}

// readLine returns the next line without its "\n" or "\r\n". A line
// longer than max is errLong.
func readLine(r *bufio.Reader, max int) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLong
	}
	if err != nil {
		return "", err // text after the last "\n" is not a line
	}
	line := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if len(line) > max {
		return "", errLong
	}
	return line, nil
}

// ANCHOR_END: read
