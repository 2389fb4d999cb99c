package addresses

import "net/netip"

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

var kindNames = [...]string{"invalid", "unspecified", "loopback", "multicast", "link-local", "private", "global"}

// String returns the kind's name, e.g. "link-local".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(?)"
	}
	return kindNames[k]
}

// specialRanges lists the prefixes Classify knows, IPv4 and IPv6 side by
// side. Anything outside them is Global.
var specialRanges = []struct {
	prefix netip.Prefix
	kind   Kind
}{
	{netip.MustParsePrefix("0.0.0.0/32"), Unspecified},
	{netip.MustParsePrefix("::/128"), Unspecified},
	{netip.MustParsePrefix("127.0.0.0/8"), Loopback},
	{netip.MustParsePrefix("::1/128"), Loopback},
	{netip.MustParsePrefix("224.0.0.0/4"), Multicast},
	{netip.MustParsePrefix("ff00::/8"), Multicast},
	{netip.MustParsePrefix("169.254.0.0/16"), LinkLocal},
	{netip.MustParsePrefix("fe80::/10"), LinkLocal},
	{netip.MustParsePrefix("10.0.0.0/8"), Private},
	{netip.MustParsePrefix("172.16.0.0/12"), Private},
	{netip.MustParsePrefix("192.168.0.0/16"), Private},
	{netip.MustParsePrefix("fc00::/7"), Private},
}

// Classify returns the kind of addr, for IPv4 and IPv6 alike. An
// IPv4-mapped IPv6 address (::ffff:10.0.0.1) is classified as the IPv4
// address it carries, and a zone (fe80::1%eth0) does not change the kind.
// The zero Addr is Invalid.
//
// Documentation, benchmarking and other rarely seen special ranges of RFC
// 6890 are not told apart: they come out Global.
func Classify(addr netip.Addr) Kind {
	if !addr.IsValid() {
		return Invalid
	}
	// Prefix.Contains is strict: an IPv4 prefix never contains an IPv6
	// address (not even ::ffff:10.0.0.1), and no prefix contains an
	// address with a zone. So strip both first.
	addr = addr.Unmap().WithZone("")
	for _, r := range specialRanges {
		if r.prefix.Contains(addr) {
			return r.kind
		}
	}
	// netip.Addr has the same checks as methods (IsLoopback, IsPrivate,
	// ...); the table above shows what they test.
	return Global
}
