package wschat

import "time"

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
	// TODO: start a goroutine that, every interval, sends a ping (under the
	// write lock, like WriteMessage) and waits up to wait for a signal on
	// c.pongs; no pong in time: close the TCP connection (c.ws.Close()).
	// stop must end the goroutine.
	return func() {}
}
