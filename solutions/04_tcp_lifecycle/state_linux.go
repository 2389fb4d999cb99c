//go:build linux

package tcplife

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
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
	// The socket's file descriptor belongs to Go's runtime poller: borrow
	// it with Control, which keeps it open while the function runs.
	raw, err := conn.SyscallConn()
	if err != nil {
		return "", err
	}
	var info *unix.TCPInfo
	var infoErr error
	err = raw.Control(func(fd uintptr) {
		info, infoErr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if err != nil {
		return "", err // the conn is closed: there is no socket to ask
	}
	if infoErr != nil {
		return "", fmt.Errorf("getsockopt TCP_INFO: %w", infoErr)
	}
	return stateName(info.State), nil
}

// ANCHOR_END: state

func stateName(s uint8) string {
	if int(s) < len(tcpStates) && tcpStates[s] != "" {
		return tcpStates[s]
	}
	return fmt.Sprintf("STATE(%d)", s)
}
