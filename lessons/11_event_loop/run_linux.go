//go:build linux

package eventloop

import "errors"

// ANCHOR: run

// Run serves the echo until Stop is called, then returns nil. It is the
// whole server: one goroutine, locked to its thread (runtime.LockOSThread,
// unlocked when Run returns), which waits for events (l.wait) and
// dispatches each one:
//
//   - the eventfd: Stop was called, return;
//   - the listening socket: acceptAll;
//   - a client's fd: handleConn.
//
// It starts no goroutine. When it returns, for whatever reason, every fd
// of the loop is closed (closeAll) and l.done is closed; an error from
// wait or acceptAll is returned. Run returns ErrRunning at once while
// another Run is serving, and ErrStopped at once after Stop was called or
// an earlier Run has returned.
func (l *Loop) Run() error {
	// TODO: refuse a second Run (ErrRunning) or a Run after Stop
	// (ErrStopped) under l.mu, and set l.running. runtime.LockOSThread,
	// and defer runtime.UnlockOSThread.
	// When returning: set l.stopRequested under l.mu, l.closeAll(),
	// close(l.done). Loop: n, err := l.wait(events); for each event, by
	// int(ev.Fd): l.wakefd -> return nil; l.lfd -> l.acceptAll(); else
	// l.handleConn(l.conns[fd], ev.Events) if the conn is still there.
	return errors.New("TODO: Run is not written yet")
}

// ANCHOR_END: run

// ANCHOR: stop

// Stop stops the loop: it wakes a running Run through the eventfd and
// waits until Run has closed every fd, or, when Run never ran, closes them
// itself. Every client still connected sees its connection end. Stop
// returns nil, and so does every later call: it is idempotent, and safe
// to call from any goroutine, several at once.
func (l *Loop) Stop() error {
	// TODO: under l.mu: is this the first Stop? set l.stopRequested; if
	// Run is running, write an 8-byte 1 (binary.NativeEndian) to
	// l.wakefd. After unlocking: if first and Run never ran, l.closeAll()
	// and close(l.done). Then wait for <-l.done and return nil.
	return errors.New("TODO: Stop is not written yet")
}

// ANCHOR_END: stop
