package wschat

import "time"

// Client is one chat member as the hub sees it.
type Client struct {
	// Outbox holds the messages the client's writer goroutine still has to
	// send. Only the hub sends on it and closes it. It is bounded: when it
	// is full, the hub keeps the client's next messages in a backlog of its
	// own, in order, until the writer makes room.
	Outbox chan []byte
	// Drop is called by the hub, on its own goroutine, when it removes the
	// client because it stayed behind (see Hub.Run). It must not block.
	Drop func()
}

// DefaultSlowAfter is how long a member may stay behind before the hub
// drops it, when Hub.SlowAfter is zero.
const DefaultSlowAfter = 5 * time.Second

// Hub is the chat room. One goroutine, Run, owns the set of members: Join,
// Leave and Broadcast only send requests to it, so the set needs no lock
// and a message reaches every member in the same order.
type Hub struct {
	// SlowAfter is how long a member's Outbox may stay full, with messages
	// waiting in its backlog, before the member is dropped as too slow;
	// zero means DefaultSlowAfter. Set it before Run.
	SlowAfter time.Duration

	join      chan *Client
	leave     chan *Client
	broadcast chan []byte
	done      chan struct{} // closed by Stop
	stopped   chan struct{} // closed when Run returns
}

// NewHub returns a hub; start it with go h.Run().
func NewHub() *Hub {
	return &Hub{
		join:      make(chan *Client),
		leave:     make(chan *Client),
		broadcast: make(chan []byte),
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
}

// Join adds c to the room. It returns false if the hub is stopped.
func (h *Hub) Join(c *Client) bool {
	select {
	case h.join <- c:
		return true
	case <-h.done:
		return false
	}
}

// Leave removes c from the room and closes its Outbox, if it is still a
// member. It does nothing once the hub is stopped.
func (h *Hub) Leave(c *Client) {
	select {
	case h.leave <- c:
	case <-h.done:
	}
}

// Broadcast queues msg for every member, the sender included. It returns
// false if the hub is stopped.
func (h *Hub) Broadcast(msg []byte) bool {
	select {
	case h.broadcast <- msg:
		return true
	case <-h.done:
		return false
	}
}

// Stop stops Run, which closes every member's Outbox, and waits for it.
// Call it once.
func (h *Hub) Stop() {
	close(h.done)
	<-h.stopped
}

// ANCHOR: run

// Run is the hub's goroutine: it alone reads and changes the membership.
// A broadcast never blocks on a member: a message that does not fit into a
// member's full Outbox waits in the member's backlog, and Run moves the
// backlog into the Outbox, in order, as room appears (it looks again every
// few milliseconds while anyone is behind). In a burst every member is
// behind for a moment; a member whose backlog has not emptied for
// SlowAfter is slow: Run removes it, closes its Outbox and calls its Drop.
// When Stop is called, Run closes every Outbox and returns.
func (h *Hub) Run() {
	defer close(h.stopped)
	slowAfter := h.SlowAfter
	if slowAfter <= 0 {
		slowAfter = DefaultSlowAfter
	}
	members := make(map[*Client]*backlog)
	anyBehind := false
	for {
		var retry <-chan time.Time
		if anyBehind {
			retry = time.After(retryEvery)
		}
		select {
		case c := <-h.join:
			members[c] = &backlog{}
		case c := <-h.leave:
			if _, ok := members[c]; ok {
				delete(members, c)
				close(c.Outbox)
			}
		case msg := <-h.broadcast:
			for _, b := range members {
				b.msgs = append(b.msgs, msg)
			}
		case <-retry:
		case <-h.done:
			for c := range members {
				close(c.Outbox)
			}
			return
		}
		anyBehind = deliver(members, slowAfter)
	}
}

// retryEvery is how often Run tries again to move a backlog into an
// Outbox that was full.
const retryEvery = 5 * time.Millisecond

// backlog is what the hub holds for one member: the messages that did not
// fit into its Outbox yet, oldest first, and since when it is behind.
type backlog struct {
	msgs   [][]byte
	behind time.Time // when msgs last stopped being empty; zero while empty
}

// deliver moves every member's backlog into its Outbox as far as it fits,
// without blocking, and drops the members that have been behind for
// slowAfter. It reports whether anyone is still behind.
func deliver(members map[*Client]*backlog, slowAfter time.Duration) (anyBehind bool) {
	now := time.Now()
	for c, b := range members {
		b.flush(c.Outbox)
		switch {
		case len(b.msgs) == 0:
			b.behind = time.Time{}
		case b.behind.IsZero():
			b.behind, anyBehind = now, true
		case now.Sub(b.behind) >= slowAfter: // it stays behind: too slow
			delete(members, c)
			close(c.Outbox)
			c.Drop()
		default:
			anyBehind = true
		}
	}
	return anyBehind
}

// flush sends the backlog's messages to outbox until it is empty or the
// outbox is full.
func (b *backlog) flush(outbox chan<- []byte) {
	for len(b.msgs) > 0 {
		select {
		case outbox <- b.msgs[0]:
			b.msgs[0] = nil // the hub no longer holds it
			b.msgs = b.msgs[1:]
		default:
			return
		}
	}
	b.msgs = nil // let the emptied array go
}

// ANCHOR_END: run
