// Package iomodels is lesson 12: the same echo server built three ways
// (a goroutine per connection, a worker pool, an epoll event loop), tested
// by one suite and measured side by side.
//
// Read book/12_io_models.md first, then make the tests in this folder pass:
//
//	make check-lesson N=12
//
// The exercises are in goroutine.go, pool.go and eventloop_linux.go. This
// file is given, and so is eventloop_other.go (no epoll outside Linux).
// When the tests pass, measure your three servers:
//
//	make bench-lesson N=12
//
//netlings:given
package iomodels

import (
	"context"
	"net"
)

// ANCHOR: server

// Server is an echo server: every byte a client sends comes back to it,
// in order, until the client half-closes its side; then the server closes
// the connection.
//
// A Server is made listening (by its New function) but serves nobody until
// Serve runs. Serve is called once.
type Server interface {
	// Addr is the address clients dial, with the port the kernel chose
	// when the server was made on port 0.
	Addr() net.Addr

	// Serve serves clients until ctx is cancelled. Then it stops
	// accepting, closes every connection it still has (idle clients
	// too), waits for everything it started to return, and returns nil.
	// When Serve returns, no goroutine and no file descriptor of the
	// server is left.
	Serve(ctx context.Context) error
}

// Model is one way of building the Server: its name and its constructor,
// which listens on addr ("127.0.0.1:0") and returns the Server unstarted.
type Model struct {
	Name string
	New  func(addr string) (Server, error)
}

// ANCHOR_END: server

// ANCHOR: userspace

// UserSpace wraps ln so that every connection it accepts is handed out as
// a plain net.Conn, which hides *net.TCPConn's ReadFrom and WriteTo.
//
// Why: io.Copy(conn, conn) on a *net.TCPConn does not copy at all on
// Linux. It asks the kernel to splice(2) the bytes from the socket into a
// pipe and from the pipe back into the socket, and it holds that pipe (two
// more file descriptors) for as long as the copy runs: the whole life of
// an echo connection. Only a pure relay can do that. A server that looks
// at its bytes (every real one) reads them into a buffer of its own, and
// through UserSpace so does io.Copy: it allocates a 32 KiB buffer per
// connection and loops Read, Write. That is the cost the chapter measures.
func UserSpace(ln net.Listener) net.Listener { return userSpace{ln} }

type userSpace struct{ net.Listener }

func (l userSpace) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return plainConn{c}, nil
}

// plainConn has the methods of net.Conn and no others.
type plainConn struct{ net.Conn }

// ANCHOR_END: userspace

// Pool size of the pool in Models. A pool gives each connection a worker
// for as long as the connection lives, so it serves at most PoolWorkers
// clients at once; the next PoolQueue wait for a worker, the rest get BUSY.
const (
	PoolWorkers = 256
	PoolQueue   = 256
)

// Models returns the three models in the order of the chapter. The tests
// and the benchmark run every one of them.
func Models() []Model {
	return []Model{
		{"GoroutinePerConn", func(addr string) (Server, error) { return asServer(NewGoroutinePerConn(addr)) }},
		{"Pool", func(addr string) (Server, error) { return asServer(NewPool(addr, PoolWorkers, PoolQueue)) }},
		{"EventLoop", func(addr string) (Server, error) { return asServer(NewEventLoop(addr)) }},
	}
}

// asServer turns a constructor's (*T, error) into (Server, error), so that
// a failed constructor gives a nil Server, not a Server holding a nil *T.
func asServer[S Server](s S, err error) (Server, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
