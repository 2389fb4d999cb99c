package wschat

import (
	"sync"
	"time"

	ws "netlings/lessons/16_websocket"
)

// ANCHOR: heartbeat

// StartHeartbeat pings the client every interval. When a ping gets no pong
// within wait, the client is presumed gone: StartHeartbeat closes the TCP
// connection (a close frame would need the client's cooperation too), and
// the reader's ReadMessage returns an error. Pongs are only noticed while a
// goroutine is in ReadMessage. wait should be shorter than interval.
//
// The returned function stops the heartbeat at once, also while it waits
// for a pong: no more pings, and no close for a pong that did not come. It
// may be called more than once.
func (c *Conn) StartHeartbeat(interval, wait time.Duration) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			select { // forget a pong that arrived before this ping
			case <-c.pongs:
			default:
			}
			if err := c.writeFrame(ws.Frame{Fin: true, Opcode: ws.OpPing, Payload: []byte("heartbeat")}); err != nil {
				return
			}
			timer := time.NewTimer(wait)
			select {
			case <-c.pongs:
				timer.Stop()
			case <-timer.C:
				c.ws.Close()
				return
			case <-done:
				timer.Stop()
				return
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// ANCHOR_END: heartbeat
