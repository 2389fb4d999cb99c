//go:build linux

package tcplife

import (
	"errors"
	"net"
)

// tcpStates names the values of tcp_info's state byte, in the order of
// the Linux kernel's include/net/tcp_states.h (TCP_ESTABLISHED is 1).
var tcpStates = [...]string{
	1:  "ESTABLISHED",
	2:  "SYN_SENT",
	3:  "SYN_RECV",
	4:  "FIN_WAIT1",
	5:  "FIN_WAIT2",
	6:  "TIME_WAIT",
	7:  "CLOSE",
	8:  "CLOSE_WAIT",
	9:  "LAST_ACK",
	10: "LISTEN",
	11: "CLOSING",
	12: "NEW_SYN_RECV",
}

// ANCHOR: state

// State asks the kernel which state of TCP's state machine conn is in,
// and returns its name as in tcpStates: "ESTABLISHED", "FIN_WAIT2",
// "CLOSE_WAIT"... A state number missing from tcpStates comes back as
// "STATE(n)". On a closed conn State returns an error.
func State(conn *net.TCPConn) (string, error) {
	// TODO: raw, err := conn.SyscallConn(); inside raw.Control(func(fd
	// uintptr) {...}) call unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP,
	// unix.TCP_INFO) from golang.org/x/sys/unix; look the State byte of the
	// result up in tcpStates. Check every error: SyscallConn's, Control's
	// and getsockopt's.
	return "", errors.New("TODO: State is not written yet")
}

// ANCHOR_END: state
