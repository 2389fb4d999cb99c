package addresses

import (
	"fmt"
	"net"
	"net/netip"
)

// ListenLocal opens a TCP listener on a free port of the IPv4 loopback
// address, 127.0.0.1, and returns it with the address it listens on (the
// real port the kernel picked, never 0). Only programs on this machine can
// connect to it. The caller closes the listener.
func ListenLocal() (net.Listener, netip.AddrPort, error) {
	// Port 0 asks the kernel for any free port; 127.0.0.1 keeps the
	// listener off the network (":0" would listen on every interface).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("listen on loopback: %w", err)
	}
	// Only now is the port known: ask the listener, not the string we
	// passed in.
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	// net.TCPAddr may hold an IPv4 address in 16 bytes, which netip reads
	// as ::ffff:127.0.0.1; Unmap gives back plain 127.0.0.1.
	return ln, netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port()), nil
}
