package http_server

import (
	"context"
	"errors"
	"net"
)

// Serve accepts connections on ln and serves each in its own goroutine,
// until ctx is cancelled or Accept fails. Then it closes ln and every open
// connection, waits for their goroutines, and returns ctx's error or
// Accept's. Serve owns ln: it always closes it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// TODO: close ln when ctx is done (context.AfterFunc). Accept in a loop;
	// track each connection in a connSet and serve it in its own goroutine
	// (a sync.WaitGroup counts them). On the way out: close ln, closeAll,
	// wait.
	//
	// Each connection is a loop: wait up to IdleTimeout for the first byte
	// of a request (bufio.Reader.Peek), then give the head
	// ReadHeaderTimeout (one deadline, set once), read it with
	// http_parser.ReadRequest. A *ProtocolError gets its status as the
	// answer, then close. Route the request, read what is left of its body,
	// write the response, and go on unless someone asked to close.
	// "Expect: 100-continue": write "HTTP/1.1 100 Continue\r\n\r\n" before
	// the first read of the body.
	ln.Close()
	return errors.New("TODO: Serve")
}
