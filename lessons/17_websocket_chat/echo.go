package wschat

import (
	"net/http"
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

func (s EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// TODO: ws.Upgrade, NewConn with s.MessageLimit, then echo every message
	// with WriteMessage until ReadMessage or WriteMessage returns an error.
	// The handler owns the upgraded connection: close it when it returns.
	http.Error(w, "TODO: EchoServer", http.StatusNotImplemented)
}
