package layers

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ANCHOR: http
func TestDecode_ReadsTheHTTPExchangeOutOfTheCapture(t *testing.T) {
	pkts := mustDecodeCapture(t)

	request := string(pkts[3].TCP.Payload)
	assert.True(t, strings.HasPrefix(request, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8003\r\n"),
		"packet 4 carries the request: its TCP payload should start with the request line, got %q", short([]byte(request)))
	response := string(pkts[5].TCP.Payload)
	assert.True(t, strings.HasPrefix(response, "HTTP/1.1 200 OK\r\n"),
		"packet 6 carries the response: its TCP payload should start with the status line, got %q", short([]byte(response)))
	assert.True(t, strings.HasSuffix(response, "\r\n\r\nHello, layers!\n"), "the response ends with its body, got %q", response)
}

// ANCHOR_END: http

func TestDecode_MatchesEveryFieldOfTheCapture(t *testing.T) {
	pkts := mustDecodeCapture(t)
	zeroMAC := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	for i, p := range pkts {
		g := golden[i]
		n := i + 1
		assert.Equal(t, zeroMAC, p.Ethernet.Src, "packet %d: Ethernet source, bytes 6-11 (all zero on loopback)", n)
		assert.Equal(t, zeroMAC, p.Ethernet.Dst, "packet %d: Ethernet destination, bytes 0-5 (all zero on loopback)", n)
		assert.Equal(t, uint16(0x0800), p.Ethernet.EtherType, "packet %d: EtherType, bytes 12-13", n)

		assert.Equal(t, loopback, p.IP.Src, "packet %d: IP source", n)
		assert.Equal(t, loopback, p.IP.Dst, "packet %d: IP destination", n)
		assert.Equal(t, g.ipTotalLen, p.IP.TotalLen, "packet %d: IP total length", n)
		assert.Equal(t, hex4(g.ipID), hex4(p.IP.ID), "packet %d: IP ID", n)
		assert.Equal(t, uint8(64), p.IP.TTL, "packet %d: TTL", n)
		assert.Equal(t, IPv4DontFragment, p.IP.Flags, "packet %d: IP flags (DF, don't fragment)", n)
		assert.Equal(t, hex4(g.ipChecksum), hex4(p.IP.Checksum), "packet %d: IP checksum", n)

		assert.Equal(t, g.srcPort, p.TCP.SrcPort, "packet %d: TCP source port", n)
		assert.Equal(t, g.dstPort, p.TCP.DstPort, "packet %d: TCP destination port", n)
		assert.Equal(t, g.seq, p.TCP.Seq, "packet %d: sequence number", n)
		assert.Equal(t, g.ack, p.TCP.Ack, "packet %d: acknowledgment number", n)
		assert.Equal(t, g.tcpHeaderLen, p.TCP.HeaderLen, "packet %d: TCP header length", n)
		assert.Equal(t, g.flags, uint8(p.TCP.Flags), "packet %d: TCP flags (tshark says %s)", n, g.flagsText)
		assert.Equal(t, g.window, p.TCP.Window, "packet %d: window", n)
		assert.Equal(t, hex4(g.tcpChecksum), hex4(p.TCP.Checksum), "packet %d: TCP checksum as captured", n)
		assert.Equal(t, g.payloadLen, len(p.TCP.Payload), "packet %d: TCP payload length", n)
	}
}

// ANCHOR: handshake
func TestDecode_FollowsTheHandshakeBySequenceNumbers(t *testing.T) {
	pkts := mustDecodeCapture(t)
	syn, synAck, ack := pkts[0].TCP, pkts[1].TCP, pkts[2].TCP

	require.Equal(t, uint8(SYN), uint8(syn.Flags), "packet 1 opens the connection: SYN alone")
	require.Equal(t, uint8(SYN|ACK), uint8(synAck.Flags), "packet 2 answers: SYN and ACK")
	require.Equal(t, uint8(ACK), uint8(ack.Flags), "packet 3 completes the handshake: ACK alone")
	assert.Equal(t, [2]uint16{syn.DstPort, syn.SrcPort}, [2]uint16{synAck.SrcPort, synAck.DstPort}, "the SYN-ACK goes back the other way")
	assert.Equal(t, syn.Seq+1, synAck.Ack, "the SYN-ACK acknowledges the SYN: a SYN counts as one byte, so Ack = the SYN's Seq + 1")
	assert.Equal(t, syn.Seq+1, ack.Seq, "the client's next segment is numbered after its SYN")
	assert.Equal(t, synAck.Seq+1, ack.Ack, "the ACK acknowledges the server's SYN: Ack = the SYN-ACK's Seq + 1")

	// After the handshake, every byte of payload, and a FIN, takes one
	// sequence number. Each side's Ack is the next number it expects.
	next := map[uint16]uint32{} // by source port: the next sequence number
	for i, p := range pkts {
		s := p.TCP
		if want, ok := next[s.SrcPort]; ok {
			assert.Equal(t, want, s.Seq, "packet %d (%s): Seq should be the previous Seq of this side plus its payload, SYN and FIN", i+1, golden[i].flagsText)
		}
		if s.Flags&ACK != 0 {
			assert.Equal(t, next[s.DstPort], s.Ack, "packet %d (%s): Ack should be the next sequence number of the other side", i+1, golden[i].flagsText)
		}
		n := s.Seq + uint32(len(s.Payload))
		if s.Flags&(SYN|FIN) != 0 {
			n++
		}
		next[s.SrcPort] = n
	}
}

// ANCHOR_END: handshake

func TestDecode_SkipsIPOptionsAndPadding(t *testing.T) {
	segment := buildTCP(tcpFields{src: 8003, dst: 51182, seq: 7, ack: 9, offset: 8, flags: 0x18, window: 64,
		options: []byte{0x01, 0x01, 0x08, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8}}, []byte("hi"))
	f := sample
	f.proto, f.flags, f.fragOff = 6, IPv4DontFragment, 0
	f.ihl, f.options = 6, []byte{0x94, 0x04, 0x00, 0x00}
	f.totalLen = 24 + len(segment)
	frame := ethernet(0x0800, buildIPv4(f, segment))
	frame = append(frame, 0, 0, 0, 0) // padding after the packet

	p, err := decode(t, frame)
	require.NoError(t, err, "a TCP segment in an IPv4 packet with 4 bytes of options, in a padded Ethernet frame: parse TCP from IP.Payload, not from frame[34:]")
	assert.Equal(t, net.HardwareAddr{2, 0, 0, 0, 0, 1}, p.Ethernet.Dst, "Ethernet destination: bytes 0-5")
	assert.Equal(t, net.HardwareAddr{2, 0, 0, 0, 0, 2}, p.Ethernet.Src, "Ethernet source: bytes 6-11")
	assert.Equal(t, netip.MustParseAddr("198.51.100.7"), p.IP.Dst)
	assert.Equal(t, 24, p.IP.HeaderLen)
	assert.Equal(t, uint16(8003), p.TCP.SrcPort, "the TCP header starts after the IP options: parse IP.Payload, not frame[34:]")
	assert.Equal(t, uint32(7), p.TCP.Seq)
	assert.Equal(t, "hi", string(p.TCP.Payload), "the TCP payload ends where the IP packet ends, before the frame's padding")
}

func TestDecode_RejectsWhatIsNotTCPOverIPv4(t *testing.T) {
	tcp := buildTCP(tcpFields{src: 1, dst: 2, offset: 5, flags: 0x10}, []byte("data"))
	packet := func(change func(*ipv4Fields), payload []byte) []byte {
		f := sample
		f.proto, f.flags, f.fragOff, f.totalLen = 6, 0, 0, 20+len(payload)
		if change != nil {
			change(&f)
		}
		return buildIPv4(f, payload)
	}
	good := ethernet(0x0800, packet(nil, tcp))
	_, err := decode(t, good)
	require.NoError(t, err, "the frame the bad cases below are made from should decode")

	cases := []struct {
		name  string
		frame []byte
		want  error
		why   string
	}{
		{"13 bytes", good[:13], ErrShort, "an Ethernet header is 14 bytes"},
		{"only an Ethernet header", good[:14], ErrShort, "ParseIPv4's error for a packet of 0 bytes"},
		{"only an Ethernet header, of ARP", ethernet(0x0806, nil), ErrNotIPv4, "14 bytes are a whole Ethernet header: shorter than 14 is ErrShort, 14 is not; EtherType 0x0806 is ARP"},
		{"IPv6", ethernet(0x86dd, packet(nil, tcp)), ErrNotIPv4, "EtherType 0x86dd is IPv6"},
		{"ARP", ethernet(0x0806, make([]byte, 28)), ErrNotIPv4, "EtherType 0x0806 is ARP"},
		{"UDP", ethernet(0x0800, packet(func(f *ipv4Fields) { f.proto = 17 }, tcp)), ErrNotTCP, "protocol 17 is UDP"},
		{"a first fragment", ethernet(0x0800, packet(func(f *ipv4Fields) { f.flags = IPv4MoreFragments }, tcp)), ErrFragment, "MF set: more fragments follow"},
		{"a later fragment", ethernet(0x0800, packet(func(f *ipv4Fields) { f.fragOff = 3 }, tcp)), ErrFragment, "a fragment offset of 3 (24 bytes in)"},
		{"a bad IHL", ethernet(0x0800, packet(func(f *ipv4Fields) { f.ihl = 4 }, tcp)), ErrIHL, "ParseIPv4's error, returned or wrapped"},
		{"a total length past the frame", ethernet(0x0800, packet(func(f *ipv4Fields) { f.totalLen = 100 }, tcp)), ErrTotalLength, "ParseIPv4's error, returned or wrapped"},
		{"a bad data offset", ethernet(0x0800, packet(nil, buildTCP(tcpFields{offset: 4}, []byte("data")))), ErrDataOffset, "ParseTCP's error, returned or wrapped"},
		{"a TCP header cut short", ethernet(0x0800, packet(nil, tcp[:12])), ErrShort, "ParseTCP's error for 12 bytes, returned or wrapped"},
	}
	for _, c := range cases {
		_, err := decode(t, c.frame)
		assert.ErrorIs(t, err, c.want, "%s: %s", c.name, c.why)
	}
}
