package httpserver

import (
	"context"
	"errors"
	"net"
)

// Serve accepts connections on ln and serves each in its own goroutine,
// until ctx is cancelled or Accept fails. Then it closes ln and every open
// connection (idle kept-alive ones too), waits for their goroutines, and
// returns. A cancelled ctx or a listener closed by its owner (Accept's
// net.ErrClosed) is a stop: Serve returns nil. Any other Accept error is
// returned. Serve owns ln: it always closes it. It forgets each connection
// once its goroutine ends: a server that runs for weeks must not hold every
// connection it ever accepted.
//
// Each connection waits at most IdleTimeout for the first byte of a request
// (the first request too), and closes without a word if none comes; from
// that byte on, the head has ReadHeaderTimeout. A request whose Host field,
// or the host of its absolute target, is not a valid host[:port] is
// answered 400. A request that expects "100-continue" (in any case; not in
// HTTP/1.0) gets "HTTP/1.1 100 Continue" before the route first reads its
// body, and any other expectation gets 417. Every response, a 100 and an
// error too, gets WriteTimeout. When the server closes a connection after a
// response while the client may still be sending (a refused upload), it
// closes lingering: it shuts down its writing side, then reads and
// discards what the client still sends, for at most LingerTimeout and
// LingerBytes, and only then closes, so the client reads the whole response
// instead of a reset.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// TODO: close ln when ctx is done (context.AfterFunc). Accept in a loop;
	// track each connection in a connSet (and remove it when its goroutine
	// ends) and serve it in its own goroutine (a sync.WaitGroup counts them). On the way out: close ln, closeAll,
	// wait.
	//
	// Each connection is a loop: wait up to IdleTimeout for the first byte
	// of a request (bufio.Reader.Peek(1)), then give the head
	// ReadHeaderTimeout (one deadline, set once), read it with
	// httpparser.ReadRequest. A *ProtocolError gets its status as the
	// answer, then close. Route the request, read what is left of its body,
	// write the response, and go on unless someone asked to close.
	// "Expect: 100-continue" (strings.EqualFold; not in HTTP/1.0): write
	// "HTTP/1.1 100 Continue\r\n\r\n", under a fresh write deadline, before
	// the first read of the body; any other Expect: 417. Check req.Host and
	// the Host field (400 if one has characters a host[:port] cannot have).
	// When closing after an answer: CloseWrite, read and discard within
	// LingerTimeout and LingerBytes, then Close.
	ln.Close()
	return errors.New("TODO: Serve")
}
