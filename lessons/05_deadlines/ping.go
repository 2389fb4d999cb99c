package deadlines

import (
	"context"
	"errors"
	"net"
	"time"
)

// Ping is the message Heartbeat writes at every tick.
const Ping = "PING\n"

// ANCHOR: heartbeat

// Heartbeat writes Ping to conn at every tick of interval, like a
// time.Ticker: the first one interval after it is called, then 2*interval,
// 3*interval, ... (interval must be > 0).
//
// Each ping must be written within interval of its tick, so before the
// next one is due. When it is not (the peer stopped reading and the
// buffers filled up), Heartbeat returns an error that matches
// os.ErrDeadlineExceeded. Any other write error (the peer closed the
// connection) is returned too.
//
// When ctx is cancelled, Heartbeat returns nil at once, even while a ping
// is blocked in Write, and writes nothing more. It never sleeps through a
// cancel, and when it returns, for any reason, no goroutine it started is
// still running. Heartbeat does not close conn: the caller owns it.
func Heartbeat(ctx context.Context, conn net.Conn, interval time.Duration) error {
	// TODO: a time.Ticker and a select on ctx.Done() and ticker.C (never
	// time.Sleep: it cannot hear a cancel). Before each Write, set the
	// write deadline to time.Now().Add(interval). To wake a Write that is
	// blocked when ctx is cancelled, context.AfterFunc can move the write
	// deadline to time.Now(); call the stop function it returns when you
	// return. See "Heartbeats" in the chapter.
	return errors.New("TODO: Heartbeat is not written yet")
}

// ANCHOR_END: heartbeat
