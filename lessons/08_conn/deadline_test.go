package netconn

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"netlings/tools/testkit"
)

// The deadline tests run in a synctest bubble: time.Sleep, time.Now and
// your time.AfterFunc use a fake clock that jumps ahead whenever every
// goroutine in the bubble is waiting, so "an hour later" takes no time and
// "exactly at 1s, not before" is exact.

// inBubble runs f in a synctest bubble. At the end, it lets fake time run
// far ahead, so that every timer and every goroutine sleeping until a
// deadline finishes: a bubble must not end with goroutines still in it.
// (A goroutine that outlives Close is TestConn_CloseLeavesNoGoroutineBehind's
// business.)
func inBubble(t *testing.T, f func(t *testing.T)) {
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(1_000_000 * time.Hour)
		f(t)
	})
}

// closedNow reports whether ch is closed, after letting every goroutine in
// the bubble (your timer's func, say) run until it waits.
func closedNow(ch <-chan struct{}) bool {
	synctest.Wait()
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// newTestDeadline calls newDeadline and done, and fails at once if done
// returns nil (a nil channel blocks forever: a call waiting on it would
// never time out).
func newTestDeadline(t *testing.T) (*deadline, <-chan struct{}) {
	t.Helper()
	d := testkit.Returns(t, "newDeadline", "", newDeadline)
	if d == nil {
		t.Fatalf("newDeadline returned nil")
	}
	ch := done(t, d)
	return d, ch
}

// done calls d.done, which must never return nil.
func done(t *testing.T, d *deadline) <-chan struct{} {
	t.Helper()
	ch := testkit.Returns(t, "done", "", d.done)
	if ch == nil {
		t.Fatalf("done returned a nil channel: a nil channel is never closed, so a Read waiting on it could never time out. Make the channel in newDeadline")
	}
	return ch
}

// set calls d.set(t0).
func set(t *testing.T, d *deadline, when time.Time) {
	t.Helper()
	testkit.Call(t, "set", "set must not wait for the deadline: arm a timer (time.AfterFunc) and return", func() { d.set(when) })
}

func TestDeadline_NotSetNeverPasses(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		_, ch := newTestDeadline(t)
		if closedNow(ch) {
			t.Fatalf("a new deadline's channel is closed already: a deadline that was never set never passes")
		}
		time.Sleep(1000 * time.Hour)
		if closedNow(ch) {
			t.Fatalf("a deadline that was never set passed after 1000 hours")
		}
	})
}

// ANCHOR: passes
func TestDeadline_PassesAtItsTimeNotBefore(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		d, _ := newTestDeadline(t)
		set(t, d, time.Now().Add(time.Second))
		ch := done(t, d)
		time.Sleep(999 * time.Millisecond)
		if closedNow(ch) {
			t.Fatalf("set(now + 1s): the channel was closed after 999ms, before the deadline")
		}
		time.Sleep(time.Millisecond)
		if !closedNow(ch) {
			t.Fatalf("set(now + 1s): the channel was still open at now + 1s: arm time.AfterFunc(time.Until(t), ...) to close it")
		}
		time.Sleep(time.Hour)
		if !closedNow(done(t, d)) {
			t.Fatalf("a deadline that has passed must stay passed until set is called again")
		}
	})
}

// ANCHOR_END: passes

func TestDeadline_NowOrInThePastPassesAtOnce(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		for _, c := range []struct {
			name string
			when time.Time
		}{
			{"now", time.Now()},
			{"a second ago", time.Now().Add(-time.Second)},
			{"long ago", aLongTimeAgo},
		} {
			d, _ := newTestDeadline(t)
			set(t, d, c.when)
			if !closedNow(done(t, d)) {
				t.Fatalf("set(%s): the channel is still open; a deadline now or in the past has passed already, close the channel at once", c.name)
			}
			set(t, d, c.when) // again: closing a closed channel would panic
			if !closedNow(done(t, d)) {
				t.Fatalf("set(%s) twice: the channel is open", c.name)
			}
		}
	})
}

func TestDeadline_ZeroTimeMeansNoDeadline(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		d, _ := newTestDeadline(t)
		set(t, d, time.Now().Add(time.Second))
		set(t, d, time.Time{})
		time.Sleep(time.Hour)
		if closedNow(done(t, d)) {
			t.Fatalf("set(now + 1s) then set(time.Time{}): the deadline still passed. The zero time clears the deadline: stop the pending timer")
		}

		set(t, d, aLongTimeAgo)
		set(t, d, time.Time{})
		if closedNow(done(t, d)) {
			t.Fatalf("set(a time in the past) then set(time.Time{}): done's channel is still closed. Clearing a deadline that has passed makes a new, open channel")
		}
	})
}

func TestDeadline_CanBeMovedLaterOrEarlier(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		// Later: the first timer must not fire.
		d, _ := newTestDeadline(t)
		start := time.Now()
		set(t, d, start.Add(time.Second))
		set(t, d, start.Add(3*time.Second))
		time.Sleep(2 * time.Second)
		if closedNow(done(t, d)) {
			t.Fatalf("set(now + 1s) then set(now + 3s): the channel was closed at 2s. A new set replaces the old deadline: Stop the old timer")
		}
		time.Sleep(time.Second)
		if !closedNow(done(t, d)) {
			t.Fatalf("set(now + 1s) then set(now + 3s): the channel was still open at 3s")
		}

		// Earlier.
		d, _ = newTestDeadline(t)
		set(t, d, time.Now().Add(time.Hour))
		set(t, d, time.Now().Add(time.Second))
		time.Sleep(time.Second)
		if !closedNow(done(t, d)) {
			t.Fatalf("set(now + 1h) then set(now + 1s): the channel was still open after 1s")
		}

		// Again, after it has passed.
		set(t, d, time.Now().Add(time.Second))
		if closedNow(done(t, d)) {
			t.Fatalf("a deadline that had passed was set to now + 1s, but done's channel is still closed: once the old channel is closed, set needs a new one")
		}
		time.Sleep(time.Second)
		if !closedNow(done(t, d)) {
			t.Fatalf("a deadline set again after it had passed did not pass at its new time")
		}
	})
}

func TestDeadline_AWaiterSeesLaterSets(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		// A Read blocked in a select holds the channel it got from done
		// before the deadline was set: that very channel must close.
		d, held := newTestDeadline(t)
		set(t, d, time.Now().Add(time.Second))
		time.Sleep(time.Second)
		if !closedNow(held) {
			t.Fatalf("a channel taken from done before set(now + 1s) was still open at 1s: a blocked Read would never see the new deadline. Keep the same channel while it is open; make a new one only when it is closed already")
		}

		// Extending keeps the held channel open, shortening closes it sooner.
		d, held = newTestDeadline(t)
		set(t, d, time.Now().Add(time.Second))
		set(t, d, time.Now().Add(5*time.Second))
		time.Sleep(2 * time.Second)
		if closedNow(held) {
			t.Fatalf("set(now + 1s) then set(now + 5s): a channel taken before both was closed at 2s")
		}
		set(t, d, time.Now())
		if !closedNow(held) {
			t.Fatalf("set(now) while a caller waits on done's channel: that channel must close at once")
		}
	})
}

func TestDeadline_IsSafeForConcurrentUse(t *testing.T) {
	// Real time here, with many goroutines: run with -race (make
	// check-lesson does) to see a missing mutex.
	d, _ := newTestDeadline(t)
	testkit.CallWithin(t, ioTimeout, "set and done from 8 goroutines", "a deadlock? set must not hold the mutex while it waits for something that needs the mutex (your timer's func, say)", func() {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 300 {
					if i%2 == 0 {
						// Timers only: nothing closes, so nothing but your
						// mutex orders these goroutines.
						if j%2 == 0 {
							d.set(time.Now().Add(time.Hour))
						} else {
							d.set(time.Time{})
						}
						continue
					}
					switch j % 3 {
					case 0:
						d.set(aLongTimeAgo)
					case 1:
						d.set(time.Time{})
					default:
						_ = closedAlready(d.done())
					}
				}
			})
		}
		wg.Wait()
	})
	set(t, d, aLongTimeAgo)
	if !closedAlready(done(t, d)) {
		t.Fatalf("after many concurrent sets, set(a time in the past) left done's channel open")
	}
}

// closedAlready reports, without waiting, whether ch is closed (outside a
// bubble, where synctest.Wait cannot be used).
func closedAlready(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
