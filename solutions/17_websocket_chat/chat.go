package wschat

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	ws "netlings/lessons/16_websocket"
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

// ANCHOR: servehttp

// ServeHTTP serves Page at /, the chat at /ws and 404 elsewhere.
func (s *Chat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.start()
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(s.Page)
	case "/ws":
		s.handlers.Add(1)
		defer s.handlers.Done()
		s.serveMember(w, r)
	default:
		http.NotFound(w, r)
	}
}

// ANCHOR_END: servehttp

// ANCHOR: member

// serveMember runs one member: the handler's goroutine reads, a writer
// goroutine drains the outbox, the heartbeat pings.
func (s *Chat) serveMember(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "cross-origin WebSocket handshake refused", http.StatusForbidden)
		return
	}
	wc, err := ws.Upgrade(w, r)
	if err != nil {
		return
	}
	c := NewConn(wc, s.MessageLimit)
	member := &Client{
		Outbox: make(chan []byte, or(s.OutboxSize, 16)),
		Drop:   func() { wc.Close() }, // unblocks a writer stuck on a full TCP buffer
	}
	if !s.hub.Join(member) {
		c.Close(ws.CloseGoingAway, "chat is closing")
		return
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		writeOutbox(c, member.Outbox)
	}()
	stop := c.StartHeartbeat(or(s.PingInterval, 20*time.Second), or(s.PongWait, 10*time.Second))
	for {
		op, msg, err := c.ReadMessage()
		if err != nil {
			break
		}
		if op != ws.OpText {
			c.fail(ws.CloseUnsupportedData, "the chat only carries text")
			break
		}
		if !s.hub.Broadcast(msg) {
			break
		}
	}
	stop()
	s.hub.Leave(member)
	c.Close(ws.CloseGoingAway, "")
	<-wrote
}

// writeOutbox is a member's writer goroutine: it sends what the hub queues
// until the hub closes the outbox, then closes the connection.
func writeOutbox(c *Conn, outbox <-chan []byte) {
	for msg := range outbox {
		if err := c.WriteMessage(ws.OpText, msg); err != nil {
			c.Close(ws.CloseGoingAway, "")
			for range outbox { // let the hub close it; we just stop writing
			}
			return
		}
	}
	c.Close(ws.CloseGoingAway, "chat is closing")
}

// sameOrigin reports whether the handshake comes from a page this server
// served, or from no page at all. A browser sends Origin with every
// WebSocket handshake, and the visitor's cookies too, whichever site's page
// opened the socket: without this check any web page could join the chat
// as its visitor (cross-site WebSocket hijacking). Clients that are not
// browsers send no Origin and are let in.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// ANCHOR_END: member

// or returns v, or def when v is zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
