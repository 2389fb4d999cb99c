package addresses

import (
	"net/netip"
	"testing"

	"netlings/tools/testkit"
)

func TestClassify_KnowsTheSpecialRangesOfIPv4AndIPv6(t *testing.T) {
	// The failures below name kinds with String (given in classify.go).
	t.Run("Kind.String", func(t *testing.T) {
		for _, tc := range []struct {
			k    Kind
			want string
		}{
			{Invalid, "invalid"}, {Unspecified, "unspecified"}, {Loopback, "loopback"}, {Multicast, "multicast"},
			{LinkLocal, "link-local"}, {Private, "private"}, {Global, "global"}, {-1, "Kind(?)"}, {7, "Kind(?)"},
		} {
			if got := tc.k.String(); got != tc.want {
				t.Errorf("Kind(%d).String() = %q, want %q: String was given in classify.go, put it back", int(tc.k), got, tc.want)
			}
		}
	})
	for _, tc := range []struct {
		addr string // "" is the zero netip.Addr
		want Kind
	}{
		{"", Invalid},

		{"0.0.0.0", Unspecified},
		{"::", Unspecified},
		{"::ffff:0.0.0.0", Unspecified},
		{"0.1.2.3", Global},
		{"0.255.255.255", Global},

		{"127.0.0.1", Loopback},
		{"127.255.255.254", Loopback},
		{"::1", Loopback},
		{"::ffff:127.0.0.1", Loopback},
		{"::1%lo", Loopback},

		{"224.0.0.251", Multicast},
		{"239.255.255.250", Multicast},
		{"ff02::1", Multicast},
		{"ff05::fb", Multicast},
		{"ff02::1%eth0", Multicast},
		{"::ffff:224.0.0.251", Multicast},
		{"::ffff:239.255.255.250", Multicast},
		{"240.0.0.1", Global},
		{"255.255.255.254", Global},

		{"169.254.0.1", LinkLocal},
		{"169.254.169.254", LinkLocal},
		{"fe80::1", LinkLocal},
		{"fe80::1%eth0", LinkLocal},
		{"febf:ffff::1", LinkLocal},
		{"::ffff:169.254.1.1", LinkLocal},
		{"fe7f:ffff::1", Global},
		{"fec0::1", Global},
		{"fe00::1", Global},

		{"10.0.0.1", Private},
		{"10.255.255.255", Private},
		{"172.16.0.1", Private},
		{"172.31.255.255", Private},
		{"192.168.0.1", Private},
		{"192.168.255.255", Private},
		{"fc00::1", Private},
		{"fd12:3456:789a::1", Private},
		{"fd12::1%eth0", Private},
		{"fbff:ffff::1", Global},
		{"f800::1", Global},
		{"::ffff:10.0.0.1", Private},
		{"::ffff:192.168.1.1", Private},

		{"8.8.8.8", Global},
		{"1.1.1.1", Global},
		{"9.255.255.255", Global},
		{"11.0.0.0", Global},
		{"126.255.255.255", Global},
		{"128.0.0.0", Global},
		{"169.255.0.1", Global},
		{"172.15.255.255", Global},
		{"172.32.0.0", Global},
		{"192.169.0.0", Global},
		{"223.255.255.255", Global},
		{"2606:4700:4700::1111", Global},
		{"2001:4860:4860::8888", Global},
		{"::ffff:8.8.8.8", Global},
		{"192.0.2.1", Global},
		{"198.51.100.7", Global},
		{"198.18.0.1", Global},
		{"100.64.0.1", Global},
		{"2001:db8::1", Global},
		{"255.255.255.255", Global},
	} {
		name := tc.addr
		if name == "" {
			name = "zero_Addr"
		}
		t.Run(name, func(t *testing.T) {
			var addr netip.Addr
			if tc.addr != "" {
				addr = netip.MustParseAddr(tc.addr)
			}
			got := testkit.Returns(t, "Classify", "", func() Kind { return Classify(addr) })
			if got == tc.want {
				return
			}
			why := "see the ranges listed on the Kind constants"
			switch {
			case classifyHints[tc.addr] != "":
				why = classifyHints[tc.addr]
			case addr.Is4In6():
				why = "an IPv4-mapped IPv6 address is the IPv4 address inside it (netip.Addr.Unmap); an IPv4 prefix never contains an IPv6 address"
			case addr.Zone() != "":
				why = "a zone is allowed on any IPv6 address, e.g. ff02::1%eth0, and does not change the kind; but netip.Prefix.Contains is false for any address with a zone (netip.Addr.WithZone)"
			case !addr.IsValid():
				why = "the zero netip.Addr is no address at all"
			}
			// %v writes a Kind's name, so a failure reads "link-local", not 4.
			t.Errorf("Classify(%s) = %v, want %v: %s", name, got, tc.want, why)
		})
	}
}

// Why the addresses just outside a special range are Global: a range
// written one bit too wide, or a test by hand, takes them in.
const (
	notUnspecified = `only 0.0.0.0 and :: are "any address"; the rest of 0.0.0.0/8 is a rarely seen range, Global`
	notMulticast   = "multicast is 224.0.0.0/4, 224 to 239; 240 and up is reserved, Global"
	notLinkLocalV6 = "link-local is fe80::/10, fe80:: to febf:ffff:...; private is fc00::/7, fc00:: to fdff:ffff:...; " +
		"the addresses around them (fec0::/10 is the retired site-local range) are Global"
	rareRange = "documentation, benchmarking, shared, reserved and broadcast ranges are not told apart: they are Global (see Classify's doc)"
)

// classifyHints holds the reason for the cases that need their own.
var classifyHints = map[string]string{
	"0.1.2.3": notUnspecified, "0.255.255.255": notUnspecified,
	"240.0.0.1": notMulticast, "255.255.255.254": notMulticast,
	"fe7f:ffff::1": notLinkLocalV6, "fec0::1": notLinkLocalV6, "fe00::1": notLinkLocalV6,
	"fbff:ffff::1": notLinkLocalV6, "f800::1": notLinkLocalV6,
	"192.0.2.1": rareRange, "198.51.100.7": rareRange, "198.18.0.1": rareRange, "100.64.0.1": rareRange,
	"2001:db8::1": rareRange, "255.255.255.255": rareRange,
}
