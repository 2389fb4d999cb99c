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
// code (1000 for a close frame without one), then closes the connection.
// It closes it too when the client just goes away (EOF or a broken
// connection, no close frame): however the loop ends, the Conn is closed.
//
// It never puts a frame on the wire that the client would have to refuse.
// A frame that breaks the protocol fails the connection with the code of
// its *CloseError (1002, 1009), and so do, before anything of them is
// echoed: a continuation frame with no message to continue or a new
// message before the last one's final fragment (1002); text that is not
// UTF-8, checked fragment by fragment (1007); a close frame with a 1-byte
// payload or a code no peer may send (1002; allowed are 1000-1003,
// 1007-1014 and 3000-4999) or with a reason that is not UTF-8 (1007).
type EchoServer struct {
	// ReadLimit is the largest frame payload accepted; zero means
	// DefaultReadLimit.
	ReadLimit int64
}

func (s EchoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// TODO: Upgrade, set c.ReadLimit, then loop: ReadFrame; on a *CloseError
	// Fail with its code; ping -> pong, pong -> nothing, close -> check its
	// payload (length, code, UTF-8 reason), close back with the same code
	// and stop; data -> check the continuation rules and, for text, the
	// UTF-8 so far (a character may be cut between two fragments), then the
	// same frame back.
	http.Error(w, "TODO: EchoServer", http.StatusNotImplemented)
}
