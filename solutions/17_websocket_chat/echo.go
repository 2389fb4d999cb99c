package wschat

import (
	"net/http"

	ws "netlings/lessons/16_websocket"
)

// EchoServer upgrades every request and sends every message back whole,
// with WriteMessage, as a message of the same type. It is the server the
// Autobahn-style tests talk to: nearly everything they check happens in
// ReadMessage. When a read or a write fails, it closes the connection and
// returns.
type EchoServer struct {
	// MessageLimit is the largest message accepted; zero means
	// DefaultMessageLimit.
	MessageLimit int64
}

// ANCHOR: echo

func (s EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wc, err := ws.Upgrade(w, r)
	if err != nil {
		return
	}
	c := NewConn(wc, s.MessageLimit)
	defer wc.Close()
	for {
		op, msg, err := c.ReadMessage()
		if err != nil {
			return // ReadMessage has closed or failed the connection
		}
		if err := c.WriteMessage(op, msg); err != nil {
			return
		}
	}
}

// ANCHOR_END: echo
