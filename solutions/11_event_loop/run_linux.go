//go:build linux

package eventloop

import (
	"encoding/binary"
	"runtime"

	"golang.org/x/sys/unix"
)

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
	if err := l.start(); err != nil {
		return err
	}
	// One loop, one thread: the loop's state needs no lock, and the thread
	// is the unit the kernel schedules, as in C.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer l.finish()

	events := make([]unix.EpollEvent, maxEvents)
	for {
		n, err := l.wait(events)
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			switch fd := int(ev.Fd); fd {
			case l.wakefd:
				return nil // Stop: finish closes everything
			case l.lfd:
				if err := l.acceptAll(); err != nil {
					return err
				}
			default:
				// A fd closed earlier in this batch may be gone (or even
				// reused by a new client: then a spurious event, which
				// the new connection answers with EAGAIN, harmless).
				if c := l.conns[fd]; c != nil {
					l.handleConn(c, ev.Events)
				}
			}
		}
	}
}

// start marks the loop running, or says why it cannot run.
func (l *Loop) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.stopRequested:
		return ErrStopped
	case l.running:
		return ErrRunning
	}
	l.running = true
	return nil
}

// finish is Run's way out: no Stop may write to the eventfd from now on
// (stopRequested, under the lock), then every fd is closed.
func (l *Loop) finish() {
	l.mu.Lock()
	l.stopRequested = true
	l.mu.Unlock()
	l.closeAll()
	close(l.done)
}

// ANCHOR_END: run

// ANCHOR: stop

// Stop stops the loop: it wakes a running Run through the eventfd and
// waits until Run has closed every fd, or, when Run never ran, closes them
// itself. Every client still connected sees its connection end. Stop
// returns nil, and so does every later call: it is idempotent, and safe
// to call from any goroutine, several at once.
func (l *Loop) Stop() error {
	l.mu.Lock()
	first := !l.stopRequested
	l.stopRequested = true
	running := l.running
	if first && running {
		// Under the lock, so Run's finish cannot close wakefd meanwhile.
		// Adding 1 to the eventfd's counter makes it readable: EpollWait
		// returns. (EAGAIN would mean the counter is full, awake anyway.)
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(l.wakefd, one[:])
	}
	l.mu.Unlock()

	if first && !running {
		l.closeAll()
		close(l.done)
	}
	<-l.done
	return nil
}

// ANCHOR_END: stop
