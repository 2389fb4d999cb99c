package netconn

import (
	"sync"
	"time"
)

// ANCHOR: deadline

// deadline is one deadline of a Conn (its read deadline or its write
// deadline) turned into something a blocked call can select on: the channel
// that done returns is closed once the deadline has passed.
//
// A deadline is an absolute time, as for every net.Conn:
//
//   - set(t) with t in the future closes the channel at t (not before),
//   - set(t) with t now or in the past closes it at once,
//   - set(time.Time{}) (the zero time) means no deadline: the channel is
//     open and stays open.
//
// A new set replaces the previous deadline, whether it has passed or not:
// moving a deadline later (or to zero) before it passes keeps the channel
// open, and setting a new deadline after one has passed gives an open
// channel again.
//
// A caller blocked on the channel that done returned sees every later set
// that happens before the deadline passes: set keeps the same channel while
// it is open, so shortening the deadline closes that channel earlier.
// Only a channel that is already closed is replaced by a new one.
//
// newDeadline returns a deadline that is not set. Its methods are safe for
// concurrent use.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer   // closes ch when the deadline passes; nil if none is pending
	ch    chan struct{} // closed once the deadline has passed
}

func newDeadline() *deadline {
	return &deadline{ch: make(chan struct{})}
}

// ANCHOR_END: deadline

// ANCHOR: set

// set makes t the deadline; see deadline.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()

	// Cancel the pending deadline. If Stop is too late, the timer's func
	// is running or has run: wait until it has closed ch, so that the
	// decision below sees ch as it will stay.
	if d.timer != nil && !d.timer.Stop() {
		<-d.ch
	}
	d.timer = nil

	expired := isClosed(d.ch)
	if t.IsZero() {
		if expired {
			d.ch = make(chan struct{}) // no deadline: open again
		}
		return
	}
	if wait := time.Until(t); wait > 0 {
		if expired {
			d.ch = make(chan struct{})
		}
		ch := d.ch // the timer closes this channel, whatever d.ch is later
		d.timer = time.AfterFunc(wait, func() { close(ch) })
		return
	}
	if !expired {
		close(d.ch) // now or in the past: wake every waiter at once
	}
}

// done returns a channel that is closed when the deadline passes.
func (d *deadline) done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ch
}

// ANCHOR_END: set

// isClosed reports, without blocking, whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
