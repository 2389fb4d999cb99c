package testkit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"netlings/tools/testkit"
)

func TestCall_ReturnsWhatTheFunctionReturned(t *testing.T) {
	n, err := testkit.Returns2(t, "Parse", "", func() (int, error) { return 42, errors.New("x") })
	assert.Equal(t, 42, n)
	assert.EqualError(t, err, "x")
	assert.Equal(t, "ok", testkit.Returns(t, "Name", "", func() string { return "ok" }))
}

func TestCall_NamesAFunctionThatNeverReturns(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	r := record(t, func(tb testing.TB) {
		testkit.CallWithin(tb, 50*time.Millisecond, "ParseIPv4", "loop until the buffer ends", func() { <-block })
	})
	assert.True(t, r.failed)
	assert.Equal(t, "ParseIPv4 did not return within 50ms: loop until the buffer ends", r.msg)
	assert.Less(t, time.Since(start), 2*time.Second)

	// A table of cases must not wait for each one: once a function has
	// hung, calling it again fails at once, and says why.
	start = time.Now()
	r = record(t, func(tb testing.TB) {
		testkit.CallWithin(tb, time.Minute, "ParseIPv4", "loop until the buffer ends", func() { t.Error("a function that hung before was called again") })
	})
	assert.True(t, r.failed)
	assert.Equal(t, "ParseIPv4 did not return within 50ms when an earlier test called it, so it is not called again: loop until the buffer ends", r.msg)
	assert.Less(t, time.Since(start), time.Second)
}

func TestRunning_WaitsForReturnAndNamesAHang(t *testing.T) {
	stop := make(chan struct{})
	run := testkit.Go("Serve", func() error { <-stop; return errors.New("stopped") })
	assert.False(t, run.Returned())

	r := record(t, func(tb testing.TB) { run.Wait(tb, 20*time.Millisecond, "its ctx was cancelled", "close the listener") })
	assert.True(t, r.failed)
	assert.Equal(t, "Serve did not return within 20ms after its ctx was cancelled: close the listener", r.msg)

	close(stop)
	assert.EqualError(t, run.Wait(t, time.Second, "stop was closed", ""), "stopped")
	assert.True(t, run.Returned())
	assert.EqualError(t, run.Err(), "stopped")
}

func TestCall_TurnsAPanicIntoAFailure(t *testing.T) {
	r := record(t, func(tb testing.TB) {
		//lint:ignore SA5000 a runtime panic is what this test needs
		testkit.Call(tb, "ParseFrame", "", func() { var m map[string]int; m["x"] = 1 })
	})
	assert.True(t, r.failed)
	assert.Contains(t, r.msg, "ParseFrame panicked: assignment to entry in nil map")
	assert.Contains(t, r.msg, "bound_test.go", "the stack says where")
}
