package websocket_chat

// Client is one chat member as the hub sees it.
type Client struct {
	// Outbox holds the messages the client's writer goroutine still has to
	// send. It is bounded: a client whose outbox is full is too slow and is
	// dropped. Only the hub sends on it and closes it.
	Outbox chan []byte
	// Drop is called by the hub, on its own goroutine, when it removes the
	// client because its outbox was full. It must not block.
	Drop func()
}

// Hub is the chat room. One goroutine, Run, owns the set of members: Join,
// Leave and Broadcast only send requests to it, so the set needs no lock
// and a message reaches every member in the same order.
type Hub struct {
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
// A broadcast never blocks on a member: a member whose Outbox is full is
// removed, its Outbox closed and its Drop called. When Stop is called, Run
// closes every Outbox and returns.
func (h *Hub) Run() {
	defer close(h.stopped)
	members := make(map[*Client]bool)
	for {
		select {
		case c := <-h.join:
			members[c] = true
		case c := <-h.leave:
			if members[c] {
				delete(members, c)
				close(c.Outbox)
			}
		case msg := <-h.broadcast:
			for c := range members {
				select {
				case c.Outbox <- msg:
				default: // too slow: drop it rather than wait for it
					delete(members, c)
					close(c.Outbox)
					c.Drop()
				}
			}
		case <-h.done:
			for c := range members {
				close(c.Outbox)
			}
			return
		}
	}
}

// ANCHOR_END: run
