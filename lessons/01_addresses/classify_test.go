package addresses

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassify_KnowsTheSpecialRangesOfIPv4AndIPv6(t *testing.T) {
	for _, tc := range []struct {
		addr string // "" is the zero netip.Addr
		want Kind
	}{
		{"", Invalid},

		{"0.0.0.0", Unspecified},
		{"::", Unspecified},
		{"::ffff:0.0.0.0", Unspecified},

		{"127.0.0.1", Loopback},
		{"127.255.255.254", Loopback},
		{"::1", Loopback},
		{"::ffff:127.0.0.1", Loopback},

		{"224.0.0.251", Multicast},
		{"239.255.255.250", Multicast},
		{"ff02::1", Multicast},
		{"ff05::fb", Multicast},

		{"169.254.0.1", LinkLocal},
		{"169.254.169.254", LinkLocal},
		{"fe80::1", LinkLocal},
		{"fe80::1%eth0", LinkLocal},
		{"febf:ffff::1", LinkLocal},
		{"::ffff:169.254.1.1", LinkLocal},

		{"10.0.0.1", Private},
		{"10.255.255.255", Private},
		{"172.16.0.1", Private},
		{"172.31.255.255", Private},
		{"192.168.0.1", Private},
		{"192.168.255.255", Private},
		{"fc00::1", Private},
		{"fd12:3456:789a::1", Private},
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
			got := Classify(addr)
			if got == tc.want {
				return
			}
			why := "see the ranges listed on the Kind constants"
			switch {
			case addr.Is4In6():
				why = "an IPv4-mapped IPv6 address is the IPv4 address inside it (netip.Addr.Unmap); an IPv4 prefix never contains an IPv6 address"
			case addr.Zone() != "":
				why = "a zone does not change the kind, but netip.Prefix.Contains is false for any address with a zone (netip.Addr.WithZone)"
			case !addr.IsValid():
				why = "the zero netip.Addr is no address at all"
			}
			// Compare the names, so a failure reads "link-local", not 4.
			assert.Equal(t, tc.want.String(), got.String(), "Classify(%s) = %v, want %v: %s", name, got, tc.want, why)
		})
	}
}
