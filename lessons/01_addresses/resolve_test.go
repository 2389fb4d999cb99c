package addresses

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// testZone is what the test DNS server knows. Names under .test are
// reserved for testing (RFC 6761) and never exist on the internet.
var testZone = zone{
	"shop.netlings.test.": {
		netip.MustParseAddr("192.0.2.10"),
		netip.MustParseAddr("2001:db8::2"),
		netip.MustParseAddr("192.0.2.1"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("::ffff:192.0.2.1"), // an AAAA record holding 192.0.2.1 again
	},
	"v4only.netlings.test.": {
		netip.MustParseAddr("198.51.100.7"),
	},
}

func TestResolve_ReturnsSortedUniqueAddresses(t *testing.T) {
	r := resolverFor(startDNSServer(t, testZone))
	for _, tc := range []struct {
		host string
		want []string
	}{
		{"shop.netlings.test", []string{"192.0.2.1", "192.0.2.10", "2001:db8::1", "2001:db8::2"}},
		{"v4only.netlings.test", []string{"198.51.100.7"}},
		{"192.0.2.77", []string{"192.0.2.77"}}, // an IP address needs no DNS at all
	} {
		t.Run(tc.host, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := testkit.Returns2(t, "Resolve", "pass ctx to the resolver", func() ([]netip.Addr, error) { return Resolve(ctx, r, tc.host) })
			require.NoError(t, err, "Resolve(%q) with the test's resolver failed: use the resolver you are given, r", tc.host)
			// Compared as text, so a failure reads 2001:db8::1, not netip's insides.
			assert.Equal(t, tc.want, addrStrings(got),
				"Resolve(%q): want the addresses unmapped (::ffff:192.0.2.1 is 192.0.2.1), sorted with netip.Addr.Compare, each once", tc.host)
		})
	}
}

func TestResolve_ReportsAMissingNameAsNotFound(t *testing.T) {
	r := resolverFor(startDNSServer(t, testZone))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	got, err := testkit.Returns2(t, "Resolve", "pass ctx to the resolver", func() ([]netip.Addr, error) { return Resolve(ctx, r, "missing.netlings.test") })
	require.Error(t, err, "Resolve of a name the DNS server does not know returned %v and no error", got)
	assert.Empty(t, got, "Resolve failed but returned addresses")
	var dnsErr *net.DNSError
	require.True(t, errors.As(err, &dnsErr),
		"Resolve's error %q (%T) should be, or wrap with %%w, the resolver's *net.DNSError", err, err)
	assert.True(t, dnsErr.IsNotFound,
		"the DNS server said NXDOMAIN, so the *net.DNSError should have IsNotFound set; got %q", err)
}

func TestResolve_GivesUpWhenTheContextIsCancelled(t *testing.T) {
	// A DNS server that never answers: a UDP socket nobody reads.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { silent.Close() })
	r := resolverFor(silent.LocalAddr().(*net.UDPAddr).AddrPort())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)

	type result struct {
		addrs []netip.Addr
		err   error
	}
	done := make(chan result, 1)
	go func() {
		addrs, err := Resolve(ctx, r, "shop.netlings.test")
		done <- result{addrs, err}
	}()

	select {
	case res := <-done:
		require.Error(t, res.err, "Resolve returned %v from a DNS server that never answers", res.addrs)
		assert.True(t, errors.Is(res.err, context.Canceled),
			"after cancel, Resolve's error should wrap context.Canceled (pass ctx to the resolver, return its error); got %q", res.err)
	case <-time.After(3 * time.Second):
		t.Fatal("Resolve was still waiting 3s after its context was cancelled: pass ctx to the resolver")
	}
}

// addrStrings writes addresses as text, for comparisons a person can read.
func addrStrings(addrs []netip.Addr) []string {
	var out []string
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out
}
