// Package layers is lesson 03: the TCP/IP stack, byte by byte.
//
// A captured packet is a stack of headers, one per layer: an Ethernet
// frame (link) carries an IPv4 packet (internet), which carries a TCP
// segment (transport), which carries the bytes of an HTTP request
// (application). This lesson decodes them from a real capture, one field
// at a time.
//
// Read book/03_layers.md first, then make the tests in this folder pass
// by editing pcap.go, checksum.go, ipv4.go, tcp.go and decode.go:
//
//	make check-lesson N=3
//
// This file holds the types and errors the exercises share: you need not
// change it.
//
//netlings:given
package layers

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"time"
)

// The errors of this lesson. The functions return them (or wrap them), so
// callers and tests tell them apart with errors.Is.
var (
	// ErrNotPcap: the file does not start with a libpcap magic number.
	ErrNotPcap = errors.New("not a libpcap file: unknown magic number")
	// ErrRecordLength: a pcap record claims more bytes than the snap
	// length or MaxSnapLen.
	ErrRecordLength = errors.New("pcap record longer than the snap length")

	// ErrShort: the buffer ends before the header it should hold does.
	ErrShort = errors.New("buffer too short for the header")
	// ErrVersion: an IP header whose version field is not 4.
	ErrVersion = errors.New("not an IPv4 header: version is not 4")
	// ErrIHL: an IPv4 header length (IHL) below 5 words, 20 bytes.
	ErrIHL = errors.New("IPv4 header length (IHL) below 5")
	// ErrTotalLength: an IPv4 total length shorter than the header or
	// longer than the buffer.
	ErrTotalLength = errors.New("IPv4 total length does not fit the header and the buffer")
	// ErrDataOffset: a TCP data offset below 5 words or past the segment.
	ErrDataOffset = errors.New("TCP data offset below 5 or past the segment")

	// ErrNotIPv4: an Ethernet frame whose EtherType is not 0x0800.
	ErrNotIPv4 = errors.New("the frame does not carry IPv4")
	// ErrNotTCP: an IPv4 packet whose protocol is not 6.
	ErrNotTCP = errors.New("the packet does not carry TCP")
	// ErrFragment: an IPv4 fragment (more fragments, or an offset).
	ErrFragment = errors.New("the packet is an IPv4 fragment")
)

// ANCHOR: pcaptypes

// MaxSnapLen is the largest snap length libpcap writes (256 KiB): no
// record of a sane capture is longer, whatever its header claims.
const MaxSnapLen = 262144

// PcapHeader is the global header at the start of a classic libpcap file.
type PcapHeader struct {
	ByteOrder    binary.ByteOrder // the order of every field, told by the magic number
	Nanosecond   bool             // timestamps count nanoseconds (magic 0xa1b23c4d), not microseconds
	VersionMajor uint16           // 2
	VersionMinor uint16           // 4
	SnapLen      uint32           // no record holds more bytes than this
	LinkType     uint32           // what each record holds: 1 is an Ethernet frame
}

// Record is one captured packet.
type Record struct {
	Time    time.Time // when it was captured, in UTC
	OrigLen int       // its length on the wire: more than len(Data) if cut at the snap length
	Data    []byte    // the bytes captured: one link-layer frame
}

// ANCHOR_END: pcaptypes

// ANCHOR: ipv4type

// IPv4 is a parsed IPv4 header (RFC 791), with the bytes it carries.
type IPv4 struct {
	Version   int    // 4
	HeaderLen int    // IHL × 4: 20 bytes, up to 60 with options
	TOS       uint8  // type of service (DSCP and ECN bits)
	TotalLen  int    // header and payload, in bytes
	ID        uint16 // identification, shared by the fragments of one packet
	Flags     uint8  // the 3 flag bits: 0b010 is DF (don't fragment), 0b001 MF (more fragments)
	FragOff   uint16 // fragment offset, in units of 8 bytes (13 bits)
	TTL       uint8  // time to live: hops left
	Protocol  uint8  // what the payload is: 6 TCP, 17 UDP, 1 ICMP
	Checksum  uint16 // the header checksum, as on the wire
	Src, Dst  netip.Addr
	Options   []byte // bytes 20 up to HeaderLen; empty without options
	Payload   []byte // bytes HeaderLen up to TotalLen: the transport layer's segment
}

// IPv4 flag bits, as in IPv4.Flags.
const (
	IPv4MoreFragments uint8 = 0b001
	IPv4DontFragment  uint8 = 0b010
)

// ANCHOR_END: ipv4type

// ANCHOR: tcptype

// TCP is a parsed TCP header (RFC 9293), with the bytes it carries.
type TCP struct {
	SrcPort, DstPort uint16
	Seq              uint32   // the sequence number of the first payload byte (of the SYN itself in a SYN)
	Ack              uint32   // the next sequence number expected from the peer, when ACK is set
	HeaderLen        int      // data offset × 4: 20 bytes, up to 60 with options
	Flags            TCPFlags // the 8 flag bits of byte 13
	Window           uint16   // how many more bytes the sender can receive (before scaling)
	Checksum         uint16   // as on the wire
	Urgent           uint16   // the urgent pointer
	Options          []byte   // bytes 20 up to HeaderLen; empty without options
	Payload          []byte   // the bytes after the header: the application's data
}

// TCPFlags are the control bits in byte 13 of a TCP header.
type TCPFlags uint8

// The TCP flags, lowest bit first, as byte 13 holds them.
const (
	FIN TCPFlags = 1 << iota // no more data from the sender
	SYN                      // synchronize sequence numbers: the first segment each way
	RST                      // reset the connection
	PSH                      // push: deliver to the application now
	ACK                      // the Ack field is valid
	URG                      // the Urgent field is valid
	ECE                      // ECN echo
	CWR                      // congestion window reduced
)

// ANCHOR_END: tcptype

// ANCHOR: packettype

// Ethernet is an Ethernet II header: 14 bytes in front of the packet.
type Ethernet struct {
	Dst, Src  net.HardwareAddr // 6 bytes each; all zero on Linux's loopback
	EtherType uint16           // what follows: 0x0800 is IPv4, 0x86dd IPv6
}

// Packet is a frame decoded down to the application's bytes, one layer
// per field: link, internet, transport. The application layer is
// TCP.Payload.
type Packet struct {
	Ethernet Ethernet
	IP       IPv4
	TCP      TCP
}

// ANCHOR_END: packettype
