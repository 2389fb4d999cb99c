package wschat

import (
	"net/http"
	"sync"
	"time"
)

// Chat is the chat server: it serves Page at / and the chat over WebSocket
// at /ws. Every text message a member sends goes to every member, the
// sender included, in the same order for all. A binary message fails the
// connection with 1003 (unsupported data). A handshake that comes from a
// page of another origin is refused with 403 Forbidden. A member that stops
// reading is disconnected when it stays behind for SlowAfter, or when a
// write to it times out.
type Chat struct {
	// Page is the HTML served at /. The tests pass the page embedded from
	// chat.html.
	Page []byte
	// OutboxSize is the capacity of each member's Outbox; zero means 16.
	OutboxSize int
	// SlowAfter is how long a member may stay behind (its Outbox full)
	// before the hub drops it; zero means DefaultSlowAfter.
	SlowAfter time.Duration
	// PingInterval and PongWait configure the heartbeat; zero means 20s and 10s.
	PingInterval, PongWait time.Duration
	// MessageLimit is the largest message accepted; zero means DefaultMessageLimit.
	MessageLimit int64

	once     sync.Once
	hub      *Hub
	handlers sync.WaitGroup // one per connected member
}

// start starts the hub on first use, so that a Chat literal works.
func (s *Chat) start() {
	s.once.Do(func() {
		s.hub = NewHub()
		s.hub.SlowAfter = s.SlowAfter
		go s.hub.Run()
	})
}

// Close stops the hub, which disconnects every member with a close frame
// (1001, going away), and waits for their goroutines to finish. A client
// that connects afterwards gets the same close frame.
func (s *Chat) Close() {
	s.start()
	s.hub.Stop()
	s.handlers.Wait()
}

// ServeHTTP serves Page at /, the chat at /ws and 404 elsewhere.
func (s *Chat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.start()
	// TODO: "/": write s.Page as text/html. "/ws": refuse a handshake whose
	// Origin header names another host than the request's Host with 403
	// (no Origin: not a browser, let it in), then upgrade, NewConn, Join
	// the hub with a bounded Outbox (Join returns false once the chat is
	// closed: then Close the connection with 1001), start a writer goroutine
	// that sends the Outbox (and Closes the connection when a write fails),
	// start the heartbeat, and broadcast every text message read;
	// when reading fails, stop the heartbeat, Leave, Close and wait for the
	// writer. Count the member in s.handlers so Close can wait for it.
	http.Error(w, "TODO: Chat", http.StatusNotImplemented)
}
