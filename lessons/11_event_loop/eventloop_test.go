package eventloop

import (
	"runtime"
	"testing"
)

// The exercises, in the order the chapter builds them. epoll exists only on
// Linux, so each test's body is in a _linux_test.go file (the function of
// the same name in lower case); on other systems every test skips.

// New: new_linux_test.go.
func TestNew_ListensOnLoopbackWithNonBlockingFDs(t *testing.T) {
	onLinux(t, newListensOnLoopbackWithNonBlockingFDs)
}
func TestNew_RejectsBadAddressesWithoutLeakingFDs(t *testing.T) {
	onLinux(t, newRejectsBadAddressesWithoutLeakingFDs)
}

// flush, acceptAll and handleConn: conn_linux_test.go. These tests build
// the Loop themselves (newTestLoop), so they do not depend on your New.
func TestFlush_WritesUntilEAGAINAndKeepsTheRest(t *testing.T) {
	onLinux(t, flushWritesUntilEAGAINAndKeepsTheRest)
}
func TestFlush_WritesNothingWhenEmptyAndReturnsErrors(t *testing.T) {
	onLinux(t, flushWritesNothingWhenEmptyAndReturnsErrors)
}
func TestAcceptAll_AcceptsEveryWaitingClient(t *testing.T) {
	onLinux(t, acceptAllAcceptsEveryWaitingClient)
}
func TestHandleConn_EchoesAndWatchesOnlyForInput(t *testing.T) {
	onLinux(t, handleConnEchoesAndWatchesOnlyForInput)
}
func TestHandleConn_ClosesTheConnectionWhenTheClientLeaves(t *testing.T) {
	onLinux(t, handleConnClosesTheConnectionWhenTheClientLeaves)
}
func TestHandleConn_PendingOutputWaitsForEPOLLOUT(t *testing.T) {
	onLinux(t, handleConnPendingOutputWaitsForEPOLLOUT)
}
func TestHandleConn_OneBytePendingWaitsForEPOLLOUT(t *testing.T) {
	onLinux(t, handleConnOneBytePendingWaitsForEPOLLOUT)
}
func TestHandleConn_ClosesTheConnectionWhenEpollCtlFails(t *testing.T) {
	onLinux(t, handleConnClosesTheConnectionWhenEpollCtlFails)
}

// Run and Stop, through the API lesson 12 uses: run_linux_test.go.
func TestRun_EchoesAndClosesAfterEOF(t *testing.T) {
	onLinux(t, runEchoesAndClosesAfterEOF)
}
func TestRun_Echoes1MiBBursts(t *testing.T) {
	onLinux(t, runEchoes1MiBBursts)
}
func TestRun_SlowReaderGetsEveryByteInOrder(t *testing.T) {
	onLinux(t, runSlowReaderGetsEveryByteInOrder)
}
func TestRun_ServesAThousandClientsWithoutAGoroutineEach(t *testing.T) {
	onLinux(t, runServesAThousandClientsWithoutAGoroutineEach)
}
func TestRun_ClosesEveryFDWhenClientsLeave(t *testing.T) {
	onLinux(t, runClosesEveryFDWhenClientsLeave)
}
func TestRun_SleepsWhileNothingHappens(t *testing.T) {
	onLinux(t, runSleepsWhileNothingHappens)
}
func TestRun_ReturnsTheErrorThatEndsIt(t *testing.T) {
	onLinux(t, runReturnsTheErrorThatEndsIt)
}
func TestRun_UnlocksItsThreadWhenItReturns(t *testing.T) {
	onLinux(t, runUnlocksItsThreadWhenItReturns)
}
func TestStop_ReturnsPromptlyAndDisconnectsClients(t *testing.T) {
	onLinux(t, stopReturnsPromptlyAndDisconnectsClients)
}
func TestStop_IsIdempotentAndRunRefusesToRunTwice(t *testing.T) {
	onLinux(t, stopIsIdempotentAndRunRefusesToRunTwice)
}
func TestStop_WithoutRunClosesEveryFD(t *testing.T) {
	onLinux(t, stopWithoutRunClosesEveryFD)
}
func TestStop_AfterRunClosedItsFDsLeavesTheEventfdAlone(t *testing.T) {
	onLinux(t, stopAfterRunClosedItsFDsLeavesTheEventfdAlone)
}

// onLinux runs body, or skips the test with one line on any other system.
func onLinux(t *testing.T, body func(*testing.T)) {
	if runtime.GOOS != "linux" || body == nil {
		t.Skipf("%v: lesson 11 runs on Linux only (a Linux VM or container will do); see the chapter for kqueue", ErrNeedsLinux)
	}
	body(t)
}
