package addresses

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"
)

// This file is not an exercise: it is the DNS server the Resolve tests talk
// to, so they never send a packet beyond 127.0.0.1.

// zone maps fully qualified, lower-case names ("shop.netlings.test.") to
// their addresses. IPv4 addresses are served as A records, IPv6 addresses
// (IPv4-mapped ones included) as AAAA records.
type zone map[string][]netip.Addr

// startDNSServer serves z on a UDP port of 127.0.0.1 until the test ends
// and returns the server's address. It answers every name in z
// (authoritatively, as if it owned the names) and NXDOMAIN, "no such
// name", for every other.
func startDNSServer(t *testing.T, z zone) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err, "the test could not start its DNS server")
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveDNS(pc, z)
	}()
	t.Cleanup(func() {
		pc.Close() // ends serveDNS's ReadFrom
		<-done
	})
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// serveDNS answers queries on pc, one UDP datagram each way, until pc is
// closed or nothing arrives for 30 seconds.
func serveDNS(pc net.PacketConn, z zone) {
	buf := make([]byte, 512) // RFC 1035: a UDP DNS message is at most 512 bytes without EDNS
	for {
		pc.SetDeadline(time.Now().Add(30 * time.Second))
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		reply, err := answer(buf[:n], z)
		if err != nil {
			continue // not a query we understand: drop it, as servers do
		}
		pc.WriteTo(reply, from)
	}
}

// ANCHOR: answer

// answer builds the response to one query: the same ID and question, then
// the records of the asked type, or RCODE NXDOMAIN for a name not in z.
func answer(query []byte, z zone) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	addrs, known := z[strings.ToLower(q.Name.String())]
	rcode := dnsmessage.RCodeSuccess
	if !known {
		rcode = dnsmessage.RCodeNameError // NXDOMAIN
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID:                 h.ID, // the client matches replies to queries by ID
		Response:           true,
		Authoritative:      true,
		RecursionDesired:   h.RecursionDesired,
		RecursionAvailable: true,
		RCode:              rcode,
	})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, a := range addrs {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		switch {
		case q.Type == dnsmessage.TypeA && a.Is4():
			err = b.AResource(rh, dnsmessage.AResource{A: a.As4()})
		case q.Type == dnsmessage.TypeAAAA && a.Is6():
			err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
		if err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// ANCHOR_END: answer

// ANCHOR: resolver

// resolverFor returns a resolver that sends every DNS query to server.
func resolverFor(server netip.AddrPort) *net.Resolver {
	return &net.Resolver{
		// Only Go's own resolver calls Dial; the system's (cgo) resolver
		// would ask the servers in /etc/resolv.conf instead.
		PreferGo: true,
		// Dial is called for each connection to "the DNS server": ignore
		// the address the resolver wants and connect to ours.
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			d := net.Dialer{Timeout: 5 * time.Second}
			return d.DialContext(ctx, "udp", server.String())
		},
	}
}

// ANCHOR_END: resolver
