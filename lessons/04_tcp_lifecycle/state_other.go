//go:build !linux

package tcplife

//netlings:given

import (
	"errors"
	"net"
)

// ErrNoTCPInfo is what State returns where the kernel has no TCP_INFO.
var ErrNoTCPInfo = errors.New("TCP_INFO is a Linux socket option: this system does not show a connection's TCP state to the program")

// State reads a connection's TCP state from the kernel. TCP_INFO is
// Linux's; elsewhere State returns ErrNoTCPInfo and the lesson's test skips.
func State(conn *net.TCPConn) (string, error) {
	return "", ErrNoTCPInfo
}
