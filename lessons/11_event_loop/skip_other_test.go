//go:build !linux

package eventloop

import "testing"

// Elsewhere than on Linux the test bodies do not exist: onLinux skips.
var (
	newListensOnLoopbackWithNonBlockingFDs           func(*testing.T)
	newRejectsBadAddressesWithoutLeakingFDs          func(*testing.T)
	flushWritesUntilEAGAINAndKeepsTheRest            func(*testing.T)
	flushWritesNothingWhenEmptyAndReturnsErrors      func(*testing.T)
	acceptAllAcceptsEveryWaitingClient               func(*testing.T)
	handleConnEchoesAndWatchesOnlyForInput           func(*testing.T)
	handleConnClosesTheConnectionWhenTheClientLeaves func(*testing.T)
	handleConnPendingOutputWaitsForEPOLLOUT          func(*testing.T)
	runEchoesAndClosesAfterEOF                       func(*testing.T)
	runEchoes1MiBBursts                              func(*testing.T)
	runSlowReaderGetsEveryByteInOrder                func(*testing.T)
	runServesAThousandClientsWithoutAGoroutineEach   func(*testing.T)
	runClosesEveryFDWhenClientsLeave                 func(*testing.T)
	runSleepsWhileNothingHappens                     func(*testing.T)
	stopReturnsPromptlyAndDisconnectsClients         func(*testing.T)
	stopIsIdempotentAndRunRefusesToRunTwice          func(*testing.T)
	stopWithoutRunClosesEveryFD                      func(*testing.T)
	handleConnOneBytePendingWaitsForEPOLLOUT         func(*testing.T)
	handleConnClosesTheConnectionWhenEpollCtlFails   func(*testing.T)
	runReturnsTheErrorThatEndsIt                     func(*testing.T)
	runUnlocksItsThreadWhenItReturns                 func(*testing.T)
	stopAfterRunClosedItsFDsLeavesTheEventfdAlone    func(*testing.T)
)
