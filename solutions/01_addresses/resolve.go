package addresses

import (
	"context"
	"net"
	"net/netip"
	"slices"
)

// Resolve looks up the IPv4 and IPv6 addresses of host with r (a nil r is
// net.DefaultResolver) and returns them sorted with netip.Addr.Compare
// (IPv4 first), without duplicates, and with IPv4-mapped IPv6 addresses
// unmapped (::ffff:192.0.2.1 becomes 192.0.2.1).
//
// Resolve gives up when ctx is done, returning an error that wraps the
// context's error. A name that does not exist gives a *net.DNSError with
// IsNotFound set.
func Resolve(ctx context.Context, r *net.Resolver, host string) ([]netip.Addr, error) {
	// "ip" asks for both families: an A and an AAAA query.
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// The *net.DNSError already names the host and the server;
		// returning it as is keeps errors.As working for the caller.
		return nil, err
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	// The resolver orders addresses for dialing (RFC 6724), which depends
	// on this machine's routes; sort so the answer does not.
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs), nil
}
