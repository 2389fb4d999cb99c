package deadlines

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fullBacklog returns the address of a loopback listener that never
// accepts and whose accept queue is full, so the kernel drops every new
// SYN: a connect to it hangs, retrying, as one to a busy or firewalled
// server does. net.Listen cannot choose the backlog, so the socket is made
// by hand with a backlog of 0 (Linux then queues one connection), and
// filled with connections that stay open until the test ends.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		unix.Close(fd)
		t.Fatalf("listen: %v", err)
	}
	f := os.NewFile(uintptr(fd), "full-backlog")
	ln, err := net.FileListener(f) // a copy of fd
	f.Close()
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	addr := ln.Addr().String()

	for range 16 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return addr // the queue is full: connects now hang
			}
			t.Skipf("a connect to a full backlog failed with %v instead of hanging (net.ipv4.tcp_abort_on_overflow=1?): skipping the real-connect check", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("could not fill the listener's backlog: skipping the real-connect check")
	return ""
}
