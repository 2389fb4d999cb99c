// Package httpserver is an HTTP/1.1 server on a plain net.Listener, built on
// the request parser of lesson 13: keep-alive, pipelining, timeouts,
// Expect: 100-continue, gzip, and a small router with a file store.
//
// This file is given: the Server's settings, the Response a route returns,
// and the bookkeeping of open connections. Your work is in serve.go,
// response.go and router.go.
//
//netlings:given
package httpserver

import (
	"net"
	"sync"
	"time"

	httpparser "netlings/lessons/13_http_parser"
)

// Server serves HTTP/1.1. Set the fields before calling Serve; a zero
// duration or size means the default below.
type Server struct {
	// Root is the directory behind /files/{name}. Nothing outside it is
	// ever read or written.
	Root string

	// Limits bound each request head (lesson 13).
	Limits httpparser.Limits

	// ReadHeaderTimeout bounds reading one request head, from its first
	// byte to its empty line: a client that sends its head slowly (a
	// slow-loris attack) is disconnected after this. Default 5s.
	ReadHeaderTimeout time.Duration

	// ReadTimeout bounds reading one request's body. Default 30s.
	ReadTimeout time.Duration

	// WriteTimeout bounds writing one response. Default 30s.
	WriteTimeout time.Duration

	// IdleTimeout bounds the wait for the first byte of the next request on
	// a kept-alive connection. Default 60s.
	IdleTimeout time.Duration

	// MaxBodyBytes bounds a request body a route reads (413 above it).
	// Default 1 MiB.
	MaxBodyBytes int64
}

// Defaults for the zero values of Server's fields.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxBodyBytes      = 1 << 20
)

// A lingering close (see Serve) reads what the client still sends for at
// most LingerTimeout and LingerBytes before it closes the connection.
const (
	LingerTimeout = 2 * time.Second
	LingerBytes   = 1 << 20
)

// orDefault returns d, or def when d is zero.
func orDefault[T time.Duration | int64](d, def T) T {
	if d <= 0 {
		return def
	}
	return d
}

// Response is what a route returns: a status, header fields, and the whole
// body in memory (this server's bodies are small). The response writer adds
// Date, Content-Length, Content-Encoding and Connection itself.
type Response struct {
	Status int
	Header httpparser.Header
	Body   []byte
}

// connSet tracks open connections so Serve can close them all when it stops.
type connSet struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// add tracks c. It returns false, and closes c, once closeAll has run: a
// connection accepted while Serve stops must not outlive it.
func (s *connSet) add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *connSet) remove(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// closeAll closes every tracked connection, so their blocked reads return,
// and every connection added later.
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}
