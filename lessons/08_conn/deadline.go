package netconn

import "time"

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
	// TODO: a sync.Mutex, the channel that done returns, and the
	// *time.Timer (from time.AfterFunc) that will close it.
}

func newDeadline() *deadline {
	// TODO: make the channel; a new deadline is not set, so it stays open.
	return &deadline{}
}

// ANCHOR_END: deadline

// ANCHOR: set

// set makes t the deadline; see deadline.
func (d *deadline) set(t time.Time) {
	// TODO: stop the pending timer (if Stop returns false, its func has
	// run or is running: wait for it to close the channel). Then: zero t
	// means no deadline, t in the future arms time.AfterFunc to close the
	// channel, t now or in the past closes it at once. Replace the channel
	// only when it is closed already. See "Deadlines with channels and
	// time.AfterFunc" in the chapter.
}

// done returns a channel that is closed when the deadline passes.
func (d *deadline) done() <-chan struct{} {
	// TODO: return the current channel (under the mutex).
	return nil
}

// ANCHOR_END: set
