package websocket

import (
	"net/http"
)

// EchoServer is an http.Handler that upgrades every request to WebSocket and
// sends every data frame back to the client, unmasked, frame by frame: a
// message the client fragments comes back fragmented the same way.
//
// It answers a ping with a pong carrying the same payload, ignores pongs,
// and answers a close frame with a close frame carrying the same status
// code, then closes the connection. A frame that breaks the protocol fails
// the connection with the code of its *CloseError (1002, 1009).
type EchoServer struct {
	// ReadLimit is the largest frame payload accepted; zero means
	// DefaultReadLimit.
	ReadLimit int64
}

func (s EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// TODO: Upgrade, set c.ReadLimit, then loop: ReadFrame; on a *CloseError
	// Fail with its code; ping -> pong, pong -> nothing, close -> close back
	// with the same code and stop, data -> the same frame back.
	http.Error(w, "TODO: EchoServer", http.StatusNotImplemented)
}
