package addresses

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
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
	"order.netlings.test.": {
		netip.MustParseAddr("192.0.2.10"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("192.0.2.9"),
		netip.MustParseAddr("192.0.2.9"), // the same A record twice
		netip.MustParseAddr("30.0.0.1"),
	},
}

func TestResolve_ReturnsSortedUniqueAddresses(t *testing.T) {
	r := resolverFor(startDNSServer(t, testZone))
	for _, tc := range []struct {
		name string
		r    *net.Resolver
		host string
		want []string
	}{
		{"shop.netlings.test", r, "shop.netlings.test", []string{"192.0.2.1", "192.0.2.10", "2001:db8::1", "2001:db8::2"}},
		{"v4only.netlings.test", r, "v4only.netlings.test", []string{"198.51.100.7"}},
		// Compare's order, not the text's: 30 < 192, and .9 < .10.
		{"order.netlings.test", r, "order.netlings.test", []string{"30.0.0.1", "192.0.2.9", "192.0.2.10", "2001:db8::1"}},
		{"192.0.2.77", r, "192.0.2.77", []string{"192.0.2.77"}}, // an IP address needs no DNS at all
		// No packet leaves the machine for an IP address, so the default
		// resolver can answer this one too.
		{"192.0.2.77 with a nil resolver", nil, "192.0.2.77", []string{"192.0.2.77"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := testkit.Returns2(t, "Resolve", "pass ctx to the resolver", func() ([]netip.Addr, error) { return Resolve(ctx, tc.r, tc.host) })
			if tc.r == nil {
				require.NoError(t, err, "Resolve(%q) with a nil resolver failed: a nil *net.Resolver is net.DefaultResolver (its methods accept a nil receiver)", tc.host)
			}
			require.NoError(t, err, "Resolve(%q) with the test's resolver failed: use the resolver you are given, r", tc.host)
			for i := 1; i < len(got); i++ {
				if slices.Contains(got[:i], got[i]) {
					t.Fatalf("Resolve(%q) returned %v twice (%v): remove every duplicate (slices.Compact after sorting)", tc.host, got[i], got)
				}
			}
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

	// resolveSilent calls Resolve with ctx, which ends after 100 ms.
	resolveSilent := func(t *testing.T, ctx context.Context) error {
		t.Helper()
		var addrs []netip.Addr
		var err error
		testkit.CallWithin(t, 3*time.Second, "Resolve", "it was still waiting 3s after its context was done: pass ctx to the resolver",
			func() { addrs, err = Resolve(ctx, r, "shop.netlings.test") })
		require.Error(t, err, "Resolve returned %v from a DNS server that never answers", addrs)
		return err
	}

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		err := resolveSilent(t, ctx)
		assert.True(t, errors.Is(err, context.Canceled),
			"after cancel, Resolve's error should wrap context.Canceled (pass ctx to the resolver, return its error); got %q", err)
	})

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err := resolveSilent(t, ctx)
		assert.True(t, errors.Is(err, context.DeadlineExceeded),
			"after ctx's deadline, Resolve's error should wrap context.DeadlineExceeded (return the resolver's error, or ctx.Err()); got %q", err)
	})
}

// addrStrings writes addresses as text, for comparisons a person can read.
func addrStrings(addrs []netip.Addr) []string {
	var out []string
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out
}
