package addresses

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

func TestParseEndpoint_AcceptsIPv4AndBracketedIPv6(t *testing.T) {
	for _, tc := range []struct {
		in   string
		addr string // the address part, as netip.ParseAddr writes it
		port uint16
	}{
		{"127.0.0.1:80", "127.0.0.1", 80},
		{"192.168.1.10:65535", "192.168.1.10", 65535},
		{"10.9.9.9:9", "10.9.9.9", 9},
		{"127.0.0.1:1990", "127.0.0.1", 1990},
		{"0.0.0.0:0", "0.0.0.0", 0},
		{"[::1]:443", "::1", 443},
		{"[::]:8080", "::", 8080},
		{"[2001:db8::53]:53", "2001:db8::53", 53},
		{"[fe80::1%eth0]:22", "fe80::1%eth0", 22},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := testkit.Returns2(t, "ParseEndpoint", "", func() (netip.AddrPort, error) { return ParseEndpoint(tc.in) })
			require.NoError(t, err, "ParseEndpoint(%q) should accept this endpoint", tc.in)
			want := netip.AddrPortFrom(netip.MustParseAddr(tc.addr), tc.port)
			assert.Equal(t, want.Addr(), got.Addr(),
				"ParseEndpoint(%q): wrong address (for IPv6, the address is what is inside the brackets, zone included)", tc.in)
			assert.Equal(t, want.Port(), got.Port(), "ParseEndpoint(%q): wrong port", tc.in)
		})
	}
}

func TestParseEndpoint_RejectsMalformedEndpointsWithAReadableError(t *testing.T) {
	for _, tc := range []struct {
		in      string
		mention []string // the error must contain one of these (any case)
		why     string
	}{
		{"127.0.0.1", []string{"port"}, "no port at all"},
		{"127.0.0.1:", []string{"port"}, "an empty port"},
		{"[::1]", []string{"port"}, "no port after the brackets"},
		{"[::1]:", []string{"port"}, "an empty port after the brackets"},
		{"127.0.0.1:65536", []string{"port"}, "a port is 16 bits: 65535 is the largest"},
		{"[::1]:99999", []string{"port"}, "a port is 16 bits: 65535 is the largest"},
		{"127.0.0.1:+80", notANumber, "a port is digits only: no sign (strconv.Atoi would take +80); say it is not a number, not that it is out of range"},
		{"127.0.0.1:-1", []string{"port"}, "ports are never negative"},
		{"127.0.0.1:http", notANumber, "service names are not port numbers here: say the port is not a (decimal) number, not that it is out of range"},
		{"127.0.0.1: 80", notANumber, "no spaces in a port: say the port is not a number"},
		{"[::1]:8o", notANumber, "a letter o is not a digit 0: say the port is not a number"},
		{"::1:443", []string{"bracket"}, "a bare IPv6 address: is it ::1 port 443 or ::1:443 with no port?"},
		{"2001:db8::1", []string{"bracket"}, "a bare IPv6 address needs brackets and a port"},
		{"fe80::1%eth0:22", []string{"bracket"}, "a bare IPv6 address with a zone needs brackets too"},
		{"[::1:443", []string{"]", "bracket"}, "the closing bracket is missing"},
		{"[::1]443", []string{"port"}, "the colon between ']' and the port is missing"},
		{"[::1]x:80", []string{"port"}, "nothing may stand between ']' and ':'"},
		{"[::1]]:80", []string{"port", "]"}, "one closing bracket, then ':'"},
		{"[127.0.0.1]:80", []string{"bracket", "IPv6"}, "brackets are for IPv6 addresses only (RFC 3986)"},
		{":80", []string{"host"}, "the host is empty"},
		{"[]:80", []string{"host"}, "the host between the brackets is empty"},
		{"localhost:80", []string{"IP"}, "a name is not an IP address: that needs Resolve"},
		{"256.1.1.1:80", []string{"IP"}, "256 does not fit in an IPv4 byte"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := testkit.Returns2(t, "ParseEndpoint", "", func() (netip.AddrPort, error) { return ParseEndpoint(tc.in) })
			require.Error(t, err, "ParseEndpoint(%q) returned %v, but should fail: %s", tc.in, got, tc.why)
			assert.Equal(t, netip.AddrPort{}, got, "ParseEndpoint(%q) failed but returned %v: return the zero AddrPort with an error", tc.in, got)
			msg := err.Error()
			assert.True(t, mentionsAny(msg, tc.mention),
				"ParseEndpoint(%q) error %q should say what is wrong (%s): mention \"%s\"", tc.in, msg, tc.why, strings.Join(tc.mention, `" or "`))
			assert.Contains(t, msg, tc.in,
				"ParseEndpoint(%q) error %q should quote the input, so a reader sees which endpoint was bad", tc.in, msg)
			if slices.Equal(tc.mention, notANumber) {
				assert.False(t, mentionsAny(msg, []string{"range"}),
					"ParseEndpoint(%q) error %q says \"range\": the port is not a number at all, say so", tc.in, msg)
			}
		})
	}

	// One message that lists every rule passes each case above: the
	// reader still has to work out which rule was broken.
	t.Run("each cause has its own error", func(t *testing.T) {
		causes := []string{"127.0.0.1:65536", "::1:443", ":80", "localhost:80", "127.0.0.1:http"}
		seen := map[string]string{} // what is left of the error -> the input
		for _, in := range causes {
			_, err := testkit.Returns2(t, "ParseEndpoint", "", func() (netip.AddrPort, error) { return ParseEndpoint(in) })
			require.Error(t, err, "ParseEndpoint(%q) should fail", in)
			// Leave out the input and its two halves, which every error
			// may quote: what remains is what the error says is wrong.
			rest := strings.ReplaceAll(err.Error(), in, "")
			i := strings.LastIndexByte(in, ':')
			for _, part := range []string{in[:i], in[i+1:]} {
				if part != "" {
					rest = strings.ReplaceAll(rest, part, "")
				}
			}
			if other, ok := seen[rest]; ok {
				t.Fatalf("ParseEndpoint gives the same error for %q and %q (%q): say what is wrong with each, the port, the host or the brackets", other, in, err)
			}
			seen[rest] = in
		}
	})
}

// notANumber is what an error for a port with a character other than a
// decimal digit must mention (one of them, any case): the port is "not a
// decimal number", "must be digits", "not numeric"...
var notANumber = []string{"decimal", "digit", "number", "numeric"}

// mentionsAny reports whether msg contains one of words, ignoring case.
func mentionsAny(msg string, words []string) bool {
	for _, w := range words {
		if strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func TestJoinHostPort_PutsIPv6HostsInBrackets(t *testing.T) {
	for _, tc := range []struct {
		host string
		port uint16
		want string
	}{
		{"127.0.0.1", 80, "127.0.0.1:80"},
		{"example.com", 443, "example.com:443"},
		{"localhost", 0, "localhost:0"},
		{"", 8080, ":8080"}, // net.Listen reads an empty host as "every address"
		{"::1", 443, "[::1]:443"},
		{"2001:db8::1", 65535, "[2001:db8::1]:65535"},
		{"fe80::1%eth0", 22, "[fe80::1%eth0]:22"},
		{"::ffff:10.0.0.1", 8080, "[::ffff:10.0.0.1]:8080"},
		{"2001:DB8:0:0::1", 80, "[2001:DB8:0:0::1]:80"},
		{"::FFFF:10.0.0.1", 1, "[::FFFF:10.0.0.1]:1"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			got := testkit.Returns(t, "JoinHostPort", "", func() string { return JoinHostPort(tc.host, tc.port) })
			why := "host, a colon, the port"
			if strings.Contains(tc.host, ":") {
				why = "an IPv6 host has colons of its own, so it goes in brackets (the zone too)"
			}
			if a, err := netip.ParseAddr(tc.host); err == nil && a.String() != tc.host {
				why = "write host exactly as given, do not parse and re-format it"
			}
			require.Equal(t, tc.want, got, "JoinHostPort(%q, %d): %s", tc.host, tc.port, why)

			// What JoinHostPort writes, net.SplitHostPort must read back.
			host, port, err := net.SplitHostPort(got)
			require.NoError(t, err, "net.SplitHostPort cannot read %q back", got)
			assert.Equal(t, tc.host, host, "net.SplitHostPort(%q) gives a different host", got)
			assert.Equal(t, strconv.Itoa(int(tc.port)), port, "net.SplitHostPort(%q) gives a different port", got)
		})
	}
}
