// Package nethttp is lesson 15: net/http as production services use it —
// a server with timeouts and limits, routing, middleware, a JSON API,
// graceful shutdown, a careful client, and a concurrent link checker.
//
// Read book/15_net_http.md first, then make the tests in this folder pass:
//
//	make check-lesson N=15
package nethttp

import (
	"net/http"
	"time"
)

// The limits every server in this lesson gets. Each one closes a way for a
// slow, idle or hostile client to hold a connection (a goroutine, a file
// descriptor, memory) for as long as it likes. http.Server's zero value
// sets none of them: zero means "wait forever".
const (
	// ReadHeaderTimeout bounds the time from the connection being ready
	// (accepted, or done with the previous request) until the whole request
	// header has arrived. It is the slow-loris defence: a client that drips
	// one header byte every few seconds is cut off here. A real client
	// sends its header in one packet, so a few seconds is generous.
	ReadHeaderTimeout = 5 * time.Second

	// ReadTimeout bounds reading the whole request, header and body. It
	// must leave room for the largest upload the server accepts on a slow
	// link.
	ReadTimeout = 30 * time.Second

	// WriteTimeout bounds the time from the end of the request header to
	// the end of the response write. A handler that streams for longer, or
	// a client that stops reading, gets its connection closed.
	WriteTimeout = 30 * time.Second

	// IdleTimeout bounds how long a keep-alive connection may sit between
	// requests. Without it, idle connections are only bounded by
	// ReadTimeout, or not at all.
	IdleTimeout = 2 * time.Minute

	// MaxHeaderBytes bounds the request line plus header fields. net/http
	// defaults to 1 MiB; real request headers are a few hundred bytes, and
	// 16 KiB is what large cookies need. A bigger header gets 431 Request
	// Header Fields Too Large.
	MaxHeaderBytes = 16 << 10
)

// ANCHOR: newserver

// NewServer returns a server for h on addr (host:port) with every timeout
// and limit above set. The caller starts it (ListenAndServe, or Serve with
// a listener) and stops it (see Serve in shutdown.go).
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// ANCHOR_END: newserver
