package addresses

import "net/netip"

// ANCHOR: kinds

// Kind says what an IP address is for: which part of the address space it
// comes from (RFC 6890 keeps the list of special ranges).
type Kind int

// The kinds. Their ranges do not overlap: an address has exactly one kind.
const (
	Invalid     Kind = iota // the zero netip.Addr: no address at all
	Unspecified             // 0.0.0.0 or ::, "any address" when listening
	Loopback                // 127.0.0.0/8 or ::1: this machine only
	Multicast               // 224.0.0.0/4 or ff00::/8: a group, not a host
	LinkLocal               // 169.254.0.0/16 or fe80::/10: this link only, never routed
	Private                 // 10/8, 172.16/12, 192.168/16 or fc00::/7: private networks
	Global                  // everything else: reachable across the internet
)

// ANCHOR_END: kinds

var kindNames = [...]string{"invalid", "unspecified", "loopback", "multicast", "link-local", "private", "global"}

// String returns the kind's name, e.g. "link-local".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(?)"
	}
	return kindNames[k]
}

// Classify returns the kind of addr, for IPv4 and IPv6 alike. An
// IPv4-mapped IPv6 address (::ffff:10.0.0.1) is classified as the IPv4
// address it carries, and a zone (fe80::1%eth0) does not change the kind.
// The zero Addr is Invalid.
//
// Documentation, benchmarking and other rarely seen special ranges of RFC
// 6890 are not told apart: they come out Global.
func Classify(addr netip.Addr) Kind {
	// TODO: return the Kind whose range holds addr (the comments on the
	// constants above list them; netip.Prefix.Contains tests a range).
	// Look out for ::ffff:10.0.0.1 and fe80::1%eth0.
	return Invalid
}
