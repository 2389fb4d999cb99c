package addresses

import (
	"errors"
	"net"
	"net/netip"
)

// ListenLocal opens a TCP listener on a free port of the IPv4 loopback
// address, 127.0.0.1, and returns it with the address it listens on (the
// real port the kernel picked, never 0). Only programs on this machine can
// connect to it. The caller closes the listener.
func ListenLocal() (net.Listener, netip.AddrPort, error) {
	// TODO: listen with net.Listen on the loopback address and port 0 (the
	// kernel picks a free port), then read the address back from the
	// listener: ln.Addr() is a *net.TCPAddr, which has an AddrPort method.
	return nil, netip.AddrPort{}, errors.New("TODO: implement ListenLocal")
}
