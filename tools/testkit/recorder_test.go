package testkit_test

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder is a testing.TB that records a failure or a skip instead of
// acting on it, so the tests can check that a helper fails (or skips) when
// it should, and with which message. Everything else (Cleanup, TempDir,
// Context) goes to the real test.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

// record runs f with a recorder in a goroutine of its own, because a
// failing helper ends that goroutine (runtime.Goexit, like t.FailNow).
func record(t *testing.T, f func(tb testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, args...)
}

func (r *recorder) FailNow() { r.failed = true; runtime.Goexit() }

func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }

func (r *recorder) Fatal(args ...any) { r.Errorf("%s", fmt.Sprint(args...)); r.FailNow() }

func (r *recorder) Skip(args ...any) {
	r.skipped = true
	r.msg += fmt.Sprint(args...)
	runtime.Goexit()
}
