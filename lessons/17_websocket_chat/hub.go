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
	// TODO: keep the members in a map that only this goroutine touches and
	// loop on a select over h.join, h.leave, h.broadcast and h.done. Never
	// block on a member's Outbox: queue what does not fit in a backlog per
	// member, move it into the Outbox as room appears (a timer in the select
	// while anyone is behind), and drop a member whose backlog has not
	// emptied for SlowAfter.
	<-h.done
}
