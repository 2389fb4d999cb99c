package testkit

import (
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// CallTimeout bounds one call into the learner's code. A function that
// never returns is reported after this long, by name, instead of at the
// package's time-out a minute later.
const CallTimeout = 5 * time.Second

// Call runs f, which calls the learner's function name, and waits at most
// CallTimeout for it. If f has not returned by then, the test fails with
// "name did not return within 5s" and the advice hint (which may be empty),
// and f is left running: Go cannot stop a goroutine from outside.
//
// f runs in a goroutine of its own, so it must not call t.FailNow (nor
// require.*): assign the results to variables and check them after Call.
// A panic in f fails the test with the panic's value and stack.
func Call(t testing.TB, name, hint string, f func()) {
	t.Helper()
	CallWithin(t, CallTimeout, name, hint, f)
}

// hung remembers the functions that did not return: a table of sixty cases
// must not wait five seconds for each of them, so once name has hung, a
// later Call of it fails at once.
var hung sync.Map // name -> time.Duration it was given

// CallWithin is Call with a limit of d.
func CallWithin(t testing.TB, d time.Duration, name, hint string, f func()) {
	t.Helper()
	if limit, ok := hung.Load(name); ok {
		t.Fatalf("%s did not return within %v when an earlier test called it, so it is not called again%s", name, limit, withHint(hint))
	}
	done := make(chan struct{})
	var panicked any
	var stack []byte
	go func() {
		defer close(done)
		// A panic in the learner's code fails this test, with its stack,
		// instead of ending the test binary and every test after it.
		defer func() {
			if p := recover(); p != nil {
				panicked, stack = p, debug.Stack()
			}
		}()
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		if panicked != nil {
			t.Fatalf("%s panicked: %v\n%s", name, panicked, stack)
		}
	case <-timer.C:
		hung.Store(name, d)
		t.Fatalf("%s did not return within %v%s", name, d, withHint(hint))
	}
}

// Returns is Call for a function with one result: v := Returns(t, "Parse",
// "", func() T { return Parse(b) }).
func Returns[T any](t testing.TB, name, hint string, f func() T) T {
	t.Helper()
	var v T
	Call(t, name, hint, func() { v = f() })
	return v
}

// Returns2 is Call for a function with two results, such as (T, error).
func Returns2[T, U any](t testing.TB, name, hint string, f func() (T, U)) (T, U) {
	t.Helper()
	var v T
	var u U
	Call(t, name, hint, func() { v, u = f() })
	return v, u
}

// Running is learner code that runs in the background until it is told to
// stop, such as a server's accept loop. Start it with Go.
type Running struct {
	name string
	done chan struct{}
	err  error
}

// Go runs f, which calls the learner's long-running function name, in a
// goroutine of its own. The test decides when f should return and checks
// it with Wait or Done.
func Go(name string, f func() error) *Running {
	r := &Running{name: name, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = f()
	}()
	return r
}

// Done is closed when f has returned.
func (r *Running) Done() <-chan struct{} { return r.done }

// Err is what f returned; only valid once Done is closed.
func (r *Running) Err() error { return r.err }

// Wait waits up to d for f to return and gives back its error. If f is
// still running, the test fails with "name did not return within d after
// event" and the hint, for instance Wait(t, 2*time.Second, "its ctx was
// cancelled", "close the listener and every connection").
func (r *Running) Wait(t testing.TB, d time.Duration, event, hint string) error {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-r.done:
		return r.err
	case <-timer.C:
		t.Fatalf("%s did not return within %v after %s%s", r.name, d, event, withHint(hint))
		return nil
	}
}

// Returned reports, without waiting, whether f has returned already.
func (r *Running) Returned() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func withHint(hint string) string {
	if hint == "" {
		return ""
	}
	return ": " + hint
}
