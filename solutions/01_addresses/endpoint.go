package addresses

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseEndpoint parses an endpoint written as "IP:port": an IPv4 address
// ("127.0.0.1:80") or an IPv6 address in square brackets ("[::1]:443"),
// optionally with a zone ("[fe80::1%eth0]:22"), then a colon and a decimal
// port from 0 to 65535.
//
// Host names are not accepted: "localhost:80" needs a resolver (see
// Resolve). On failure the error quotes s and says what is wrong with it:
// a missing or bad port, a missing host, an IPv6 address without brackets.
func ParseEndpoint(s string) (netip.AddrPort, error) {
	host, port, err := splitEndpoint(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("parse endpoint %q: %w", s, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("parse endpoint %q: host %q is not an IP address (a name needs Resolve)", s, host)
	}
	if addr.Is4() && strings.HasPrefix(s, "[") {
		// RFC 3986 keeps brackets for IPv6: "[127.0.0.1]:80" is a typo.
		return netip.AddrPort{}, fmt.Errorf("parse endpoint %q: brackets are only for IPv6 addresses; write %s:%s", s, host, port)
	}
	p, err := parsePort(port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("parse endpoint %q: %w", s, err)
	}
	return netip.AddrPortFrom(addr, p), nil
}

// splitEndpoint cuts s into host and port at the colon before the port.
// An IPv6 address is full of colons of its own, so it must come in
// brackets; without them there is no telling where the address ends.
func splitEndpoint(s string) (host, port string, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		host, after, ok := strings.Cut(rest, "]")
		switch {
		case !ok:
			return "", "", errors.New("missing ']' after the IPv6 address")
		case host == "":
			return "", "", errors.New("missing host between the brackets")
		case after == "":
			return "", "", errors.New("missing port: write [addr]:port")
		case after[0] != ':':
			return "", "", fmt.Errorf("unexpected %q after ']': write [addr]:port", after)
		}
		return host, after[1:], nil
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", errors.New("missing port: write ip:port, e.g. 127.0.0.1:80")
	}
	host, port = s[:i], s[i+1:]
	if strings.Contains(host, ":") {
		return "", "", errors.New("an IPv6 address needs brackets around it: write [addr]:port")
	}
	if host == "" {
		return "", "", errors.New("missing host before the ':'")
	}
	return host, port, nil
}

// parsePort parses a decimal port number in 0..65535. Signs, spaces and
// service names ("http") are refused: a port in an endpoint is digits only.
func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("missing port after the ':'")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q is not a decimal number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil { // only digits, so the one way to fail is too many of them
		return 0, fmt.Errorf("port %s is out of range: a port is 16 bits, 0 to 65535", s)
	}
	return uint16(n), nil
}

// JoinHostPort writes host and port as one endpoint string, the inverse of
// net.SplitHostPort: "127.0.0.1:80", "example.com:443", and for an IPv6
// host, which has colons of its own, "[::1]:443" or "[fe80::1%eth0]:22".
// host is written as given; it is not checked.
func JoinHostPort(host string, port uint16) string {
	p := strconv.FormatUint(uint64(port), 10)
	// A colon in the host can only be IPv6 (names and IPv4 have none).
	// This is the same rule net.JoinHostPort uses.
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + p
	}
	return host + ":" + p
}
