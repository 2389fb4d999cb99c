package httpserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	httpparser "netlings/lessons/13_http_parser"
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
// ANCHOR: Serve
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var conns connSet
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer func() {
		stop()
		ln.Close()
		conns.closeAll()
		wg.Wait()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil // a stop, not a failure
			}
			return err
		}
		if !conns.add(conn) {
			continue
		}
		wg.Go(func() {
			defer conns.remove(conn)
			s.serveConn(conn)
		})
	}
}

// ANCHOR_END: Serve

// serveConn answers the requests on conn one after the other — pipelined
// requests wait in br, so they are answered in order — until the client or
// a response asks to close, a timeout fires or the client breaks the
// protocol. It closes conn.
// ANCHOR: serveConn
func (s *Server) serveConn(conn net.Conn) {
	br := bufio.NewReader(conn) // one per connection: it holds the next requests
	bw := bufio.NewWriter(conn)
	for {
		req, err := s.readRequest(conn, br)
		if err == nil && !(validHost(req.Host) && validHost(req.Header.Get("Host"))) {
			err = &httpparser.ProtocolError{Status: 400, Reason: "invalid Host"}
		}
		if err != nil {
			if status := httpparser.StatusOf(err); status != 0 {
				s.writeError(conn, bw, status, err)
				lingeringClose(conn, br)
				return // the framing cannot be trusted any more
			}
			conn.Close()
			return // EOF or a timeout: nobody is listening
		}
		if !s.serveOne(conn, bw, req) {
			lingeringClose(conn, br)
			return
		}
	}
}

// ANCHOR_END: serveConn

// lingeringClose closes conn without losing the response just written.
// Closing a socket while the client's bytes (say, the rest of a refused
// upload) wait unread in it makes the kernel send a reset (RST), and a
// reset can reach the client before it has read the response, which is
// then lost. So: send FIN after the response (CloseWrite), read and throw
// away what the client still sends, within LingerTimeout and LingerBytes,
// then close.
// ANCHOR: lingeringClose
func lingeringClose(conn net.Conn, br *bufio.Reader) {
	defer conn.Close()
	cw, ok := conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	conn.SetReadDeadline(time.Now().Add(LingerTimeout))
	io.CopyN(io.Discard, br, LingerBytes) // until EOF, the deadline or the cap
}

// ANCHOR_END: lingeringClose

// validHost reports whether host is empty (HTTP/1.0 may omit Host) or a
// host[:port] made only of the characters a URI authority allows (RFC 3986
// §3.2.2): "a b", "a/b" and "a@b" get 400 (RFC 9112 §3.2), as net/http does.
// ANCHOR: validHost
func validHost(host string) bool {
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:[]%", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ANCHOR_END: validHost

// readRequest waits up to IdleTimeout for a request's first byte, then gives
// the whole head ReadHeaderTimeout: a slow client cannot hold the connection
// longer by trickling bytes, because the deadline does not move.
// ANCHOR: readRequest
func (s *Server) readRequest(conn net.Conn, br *bufio.Reader) (*httpparser.Request, error) {
	conn.SetReadDeadline(time.Now().Add(orDefault(s.IdleTimeout, DefaultIdleTimeout)))
	if _, err := br.Peek(1); err != nil {
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(orDefault(s.ReadHeaderTimeout, DefaultReadHeaderTimeout)))
	return httpparser.ReadRequest(br, s.Limits)
}

// ANCHOR_END: readRequest

// serveOne routes one request and writes its response. It reports whether
// the connection can carry another request.
// ANCHOR: serveOne
func (s *Server) serveOne(conn net.Conn, bw *bufio.Writer, req *httpparser.Request) bool {
	conn.SetReadDeadline(time.Now().Add(orDefault(s.ReadTimeout, DefaultReadTimeout)))
	body := &continueReader{r: req.Body, bw: bw}
	var resp *Response
	switch expect := req.Header.Get("Expect"); {
	case expect != "" && !strings.EqualFold(expect, "100-continue"):
		resp = textResponse(417, "unknown expectation\n")
	case strings.EqualFold(expect, "100-continue") && req.ProtoMinor >= 1 && req.ContentLength != 0:
		body.needs100 = true
		// The 100 is a response too: the write deadline of the previous
		// response may have passed, so it gets its own.
		conn.SetWriteDeadline(time.Now().Add(orDefault(s.WriteTimeout, DefaultWriteTimeout)))
		fallthrough
	default:
		req.Body = body
		resp = s.route(req)
	}
	// The next request starts after this body: read what the route left,
	// unless the client still waits for a 100 (it may never send the body)
	// or there is too much of it to be worth reading.
	keep := !req.Close && !body.needs100 && drain(body) == nil
	conn.SetWriteDeadline(time.Now().Add(orDefault(s.WriteTimeout, DefaultWriteTimeout)))
	if err := writeResponse(bw, req, resp, !keep); err != nil {
		return false
	}
	return bw.Flush() == nil && keep
}

// ANCHOR_END: serveOne

// maxDrain is how much unread body we read to keep a connection; beyond it,
// closing the connection is cheaper.
const maxDrain = 256 << 10

// drain reads the rest of a body and discards it. It fails if the body is
// broken or longer than maxDrain.
func drain(body io.Reader) error {
	n, err := io.Copy(io.Discard, io.LimitReader(body, maxDrain+1))
	if err == nil && n > maxDrain {
		err = errors.New("body too long to drain")
	}
	return err
}

// continueReader sends "100 Continue" before the first Read of a body whose
// client sent "Expect: 100-continue" (RFC 9110 §10.1.1): the client waits
// for it before it sends the body, so it is sent only if the route reads.
// ANCHOR: continueReader
type continueReader struct {
	r        io.Reader
	bw       *bufio.Writer
	needs100 bool
}

func (c *continueReader) Read(p []byte) (int, error) {
	if c.needs100 {
		c.needs100 = false
		c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := c.bw.Flush(); err != nil {
			return 0, err
		}
	}
	return c.r.Read(p)
}

// ANCHOR_END: continueReader

// writeError answers a request the parser refused, then the caller closes.
func (s *Server) writeError(conn net.Conn, bw *bufio.Writer, status int, err error) {
	conn.SetWriteDeadline(time.Now().Add(orDefault(s.WriteTimeout, DefaultWriteTimeout)))
	resp := textResponse(status, err.Error()+"\n")
	if writeResponse(bw, nil, resp, true) == nil {
		bw.Flush()
	}
}
