// Package testkit holds the test helpers that more than one of netlings'
// test suites needs: the lessons' tests (the learner's spec) and the tools'
// tests. Each helper exists here once, so a fix reaches every lesson.
//
// The helpers are test peers and checks, never code under test:
//
//   - bound.go: every call into the learner's code is bounded on its own,
//     so a function that never returns is reported by name within
//     seconds (Call, Returns, Returns2 for calls; Go and Running.Wait for
//     servers that run until they are told to stop).
//   - bytes.go: reproducible payloads and a byte comparison that names the
//     first difference (RandomBytes, RequireSameBytes).
//   - buffer.go: a buffer that goroutines can share (SyncBuffer).
//   - tcp.go: loopback listeners, dials and small test servers, every one
//     with a deadline and cleaned up when the test ends (Listen, DialTCP,
//     StartTCPServer, StartSilentServer, BrokenListener).
//   - slowclose.go: a listener whose connections' failed Reads linger, to
//     judge whether a server waits for its connection goroutines
//     (SlowCloseListener).
//   - stuck.go: a listener whose connections can be made to stop taking
//     writes, as if the peer had stopped reading, so a write deadline can
//     be judged to the millisecond (StuckListener, StuckConn).
//   - acceptloop.go: the checks every accept loop must pass, ServeEcho's
//     and ServeTLSEcho's alike: stop quietly when the listener is closed,
//     return any other Accept error (RequireStopOnClosedListener,
//     RequireAcceptErrorReturned).
//   - wsraw.go: a tiny WebSocket client written from RFC 6455, which sends
//     exactly the bytes a test wants, broken ones included, and checks
//     exactly the bytes a server sends back (DialWS, WSClient, Frame).
//   - chromium.go: headless Chromium with a fresh profile, for tests that
//     drive a real browser over the Chrome DevTools Protocol
//     (StartChromium, ChromiumPath).
//
// Every helper that takes a testing.TB fails that test itself, with a
// message in the learner's terms, and registers its own cleanup with
// t.Cleanup: callers never close what a helper opened.
package testkit

import "time"

// IOTimeout bounds every single dial, read and write that a helper does,
// so that nothing waits forever, even when the code under test is wrong.
const IOTimeout = 5 * time.Second
