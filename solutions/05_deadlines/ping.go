package deadlines

import (
	"context"
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
	// A cancel must also wake a Write that is blocked: move the write
	// deadline to now. stop un-registers the function when we return
	// for another reason, so nothing is left waiting on ctx.
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Now()) })
	defer stop()

	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			// Counted from now rather than from the tick: a tick we
			// received late must not shorten the ping's time.
			if err := conn.SetWriteDeadline(time.Now().Add(interval)); err != nil {
				return err
			}
			if _, err := conn.Write([]byte(Ping)); err != nil {
				if ctx.Err() != nil {
					return nil // our own cancel woke the Write: a stop, not a failure
				}
				return err
			}
		}
	}
}

// ANCHOR_END: heartbeat
