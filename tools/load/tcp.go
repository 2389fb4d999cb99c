package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// MaxTCPMessage caps Options.Message in TCP mode. A worker writes its whole
// message before it reads the echo, so the message must fit in the socket
// buffers of both directions, or client and server would both wait to write.
const MaxTCPMessage = 64 << 10

// idleDialers is how many idle connections are dialled at once: enough to
// open 10,000 in well under a second on loopback, few enough not to
// overflow the server's accept queue (a dropped SYN costs a 1 s retry).
const idleDialers = 32

// runTCP runs the load of o against a tcp:// URL: an echo server. Each of
// o.Conns connections writes one message of o.Message bytes (random, fixed
// per connection) and reads it back, one at a time, until o.Duration has
// passed, o.Requests messages were echoed, or ctx is done. An echo that
// differs from what was sent, a connection the server closes (a BUSY line
// then EOF, say) and an I/O error are errors; the worker then redials.
//
// Run has already checked that o.URL is a loopback tcp:// URL and applied
// the defaults and caps to o (see normalize).
func runTCP(ctx context.Context, o Options) (stats, error) {
	t, err := parseTarget(o.URL)
	if err != nil {
		return stats{}, fmt.Errorf("load: %w", err)
	}
	if o.Message < 1 || o.Message > MaxTCPMessage {
		return stats{}, fmt.Errorf("load: message size %d out of range [1, %d] for tcp://", o.Message, MaxTCPMessage)
	}
	o.idleHello = o.Message
	return drive(ctx, o, t.addr, func() exchanger { return newTCPWorker(t.addr, o.Message) }), nil
}

// tcpWorker owns one connection to an echo server, one message in flight.
type tcpWorker struct {
	addr string
	msg  []byte // what is sent every time
	echo []byte // what came back

	link
}

func newTCPWorker(addr string, size int) *tcpWorker {
	msg := make([]byte, size)
	rand.Read(msg)
	return &tcpWorker{addr: addr, msg: msg, echo: make([]byte, size)}
}

// roundTrip sends the message and reads its echo, dialling first if
// needed. After any error the connection is dropped: the bytes still in
// flight on it would be taken for the next echo.
func (w *tcpWorker) roundTrip(ctx context.Context) (gotEcho bool, err error) {
	gotEcho, err = w.exchange(ctx)
	if err != nil && ctx.Err() == nil { // at the end of the run, drive hangs up
		w.hangUp()
	}
	return gotEcho, err
}

func (w *tcpWorker) exchange(ctx context.Context) (gotEcho bool, err error) {
	if err := w.ready(ctx, w.dial); err != nil {
		return false, err
	}
	if _, err := w.conn.Write(w.msg); err != nil {
		return false, err
	}
	if _, err := io.ReadFull(w.br, w.echo); err != nil {
		return false, err
	}
	if !bytes.Equal(w.echo, w.msg) {
		return true, fmt.Errorf("%w: %d bytes differ from what was sent", errEcho, len(w.msg))
	}
	return true, nil
}

func (w *tcpWorker) dial(ctx context.Context) error {
	return w.open(ctx, w.addr, max(len(w.msg), 4<<10))
}

func (w *tcpWorker) hangUp() { w.close() }

// openIdle dials n connections to addr, idleDialers at a time, and returns
// the ones that connected. With hello > 0 (TCP mode) each one first echoes
// one message of hello bytes, as a client does before it falls silent
// between requests, so that the server has touched its buffers for it. A
// failed dial or echo is not retried: the shortfall shows in Result.Idle.
// The whole phase is bounded by IOTimeout and ctx.
func openIdle(ctx context.Context, addr string, n, hello int) []net.Conn {
	if n <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, IOTimeout)
	defer cancel()
	conns := make([]net.Conn, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, idleDialers) {
		wg.Go(func() {
			d := net.Dialer{}
			msg, echo := make([]byte, hello), make([]byte, hello)
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					continue
				}
				if hello > 0 {
					deadline, _ := ctx.Deadline()
					c.SetDeadline(deadline)
					_, err = c.Write(msg)
					if err == nil {
						_, err = io.ReadFull(c, echo)
					}
					c.SetDeadline(time.Time{})
				}
				if err != nil {
					c.Close()
					continue
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	open := conns[:0]
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	return open
}

// stillOpen counts the idle connections the server has neither closed nor
// written to: a read that times out after a millisecond finds nothing.
func stillOpen(conns []net.Conn) int {
	var open atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(conns), idleDialers) {
		wg.Go(func() {
			var b [1]byte
			for i := int(next.Add(1)) - 1; i < len(conns); i = int(next.Add(1)) - 1 {
				conns[i].SetReadDeadline(time.Now().Add(time.Millisecond))
				if _, err := conns[i].Read(b[:]); isTimeout(err) {
					open.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(open.Load())
}

func isTimeout(err error) bool {
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

func closeIdle(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
