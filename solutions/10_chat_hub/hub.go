package chathub

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ANCHOR: hub

// hub owns the room. Only its run goroutine touches clients, nicks and
// the clients' outboxes, so none of them needs a lock: everybody else
// talks to it through events.
type hub struct {
	cfg     Config
	stop    <-chan struct{} // the server's ctx.Done(): a wait for room ends there too
	events  chan event
	done    chan struct{} // closed when run returns
	clients map[*client]bool
	nicks   map[string]*client
}

func newHub(ctx context.Context, cfg Config) *hub {
	return &hub{
		cfg:     cfg,
		stop:    ctx.Done(),
		events:  make(chan event),
		done:    make(chan struct{}),
		clients: make(map[*client]bool),
		nicks:   make(map[string]*client),
	}
}

// send hands e to the hub, and reports false if the hub has stopped.
func (h *hub) send(e event) bool {
	select {
	case h.events <- e:
		return true
	case <-h.done:
		return false
	}
}

// run is the hub goroutine. When ctx is done it closes every client's
// outbox and connection, which ends their readers and writers.
func (h *hub) run() {
	defer close(h.done)
	for {
		select {
		case e := <-h.events:
			h.handle(e)
		case <-h.stop:
			for c := range h.clients {
				h.remove(c)
				c.conn.Close()
			}
			return
		}
	}
}

// ANCHOR_END: hub

// ANCHOR: handle

// handle applies one event to the room.
func (h *hub) handle(e event) {
	c := e.c
	if e.kind == connected {
		h.clients[c] = true
		return
	}
	if !h.clients[c] {
		return // dropped already: its reader has not noticed yet
	}
	switch e.kind {
	case gone:
		h.leave(c, msgLeft)
	case gotTooLong:
		h.deliver(c, errLineTooLong) // the writer sends it before it closes
		h.leave(c, msgLeft)
	case gotLine:
		h.command(c, e.line)
	}
}

// command answers one line of a client.
func (h *hub) command(c *client, line string) {
	switch {
	case line == "/nick" || strings.HasPrefix(line, "/nick "):
		nick := strings.TrimSpace(strings.TrimPrefix(line, "/nick"))
		switch {
		case c.nick != "":
			h.deliver(c, errNickSet)
		case !validNick(nick):
			h.deliver(c, errBadNick)
		case h.nicks[nick] != nil:
			h.deliver(c, errNickTaken)
		default:
			c.nick = nick
			h.nicks[nick] = c
			h.deliver(c, fmt.Sprintf(msgWelcome, nick))
			h.broadcast(c, fmt.Sprintf(msgJoined, nick))
		}
	case strings.HasPrefix(line, "/"):
		h.deliver(c, errUnknown)
	case line == "":
	case c.nick == "":
		h.deliver(c, errNickFirst)
	default:
		h.broadcast(c, fmt.Sprintf(msgSaid, c.nick, line))
	}
}

func validNick(nick string) bool {
	if nick == "" || len(nick) > MaxNick {
		return false
	}
	for _, r := range nick {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		if !ok {
			return false
		}
	}
	return true
}

// ANCHOR_END: handle

// ANCHOR: deliver

// broadcast queues line for every member but from. Members that are too
// far behind are dropped, and their drop is announced in turn.
func (h *hub) broadcast(from *client, line string) {
	var dropped []*client
	for c := range h.clients {
		if c != from && c.nick != "" && !h.deliver(c, line) {
			dropped = append(dropped, c)
		}
	}
	for _, c := range dropped {
		h.leave(c, msgDropped)
	}
}

// deliver queues line in c's outbox. When the outbox is full it waits,
// but only until c has been behind for WriteTimeout: then it gives up and
// returns false. Finding room straight away ends being behind.
func (h *hub) deliver(c *client, line string) bool {
	select {
	case c.out <- line:
		c.behindSince = time.Time{}
		return true
	default:
	}
	if c.behindSince.IsZero() {
		c.behindSince = time.Now()
	}
	wait := time.Until(c.behindSince.Add(h.cfg.WriteTimeout))
	if wait <= 0 {
		return false
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case c.out <- line:
		return true
	case <-timer.C:
		return false
	case <-h.stop:
		return true // shutting down: run closes every outbox next
	}
}

// leave takes c out of the room, if it is still in it, and tells the other
// members with notice (msgLeft or msgDropped) if c had joined.
func (h *hub) leave(c *client, notice string) {
	if !h.clients[c] {
		return // dropped already: its outbox is closed, never twice
	}
	h.remove(c)
	if notice == msgDropped {
		c.conn.Close() // its writer may be stuck in a Write: wake it
	}
	if c.nick != "" {
		h.broadcast(nil, fmt.Sprintf(notice, c.nick))
	}
}

// remove forgets c and closes its outbox: its writer writes what is left
// and closes the connection.
func (h *hub) remove(c *client) {
	delete(h.clients, c)
	if h.nicks[c.nick] == c {
		delete(h.nicks, c.nick)
	}
	close(c.out)
}

// ANCHOR_END: deliver
