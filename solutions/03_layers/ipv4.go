package layers

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ParseIPv4 parses the IPv4 header at the start of b (RFC 791, section
// 3.1). Every multi-byte field is big-endian ("network byte order").
//
// The header is IHL × 4 bytes long (IHL is the low nibble of byte 0):
// 20 bytes, or more when options follow the fixed part. The packet is
// Total Length bytes long (bytes 2–3), header included; what follows it in
// b (an Ethernet frame's padding, say) is not part of the packet, so
// Payload is b[HeaderLen:TotalLen]. Options and Payload are slices of b,
// not copies.
//
// The errors, checked in this order: fewer than 20 bytes is ErrShort; a
// version other than 4 is ErrVersion, whatever the rest says; an IHL
// below 5 is ErrIHL; a header longer than b is ErrShort; a total length
// below the header length or past the end of b is ErrTotalLength.
// ParseIPv4 does not check the header checksum: Checksum does.
func ParseIPv4(b []byte) (IPv4, error) {
	if len(b) < 20 {
		return IPv4{}, fmt.Errorf("IPv4 header: %w: %d bytes, the fixed part is 20", ErrShort, len(b))
	}
	if v := b[0] >> 4; v != 4 {
		return IPv4{}, fmt.Errorf("%w: version %d", ErrVersion, v)
	}
	ihl := int(b[0] & 0x0f)
	if ihl < 5 {
		return IPv4{}, fmt.Errorf("%w: IHL %d", ErrIHL, ihl)
	}
	hlen := ihl * 4
	if hlen > len(b) {
		return IPv4{}, fmt.Errorf("IPv4 header: %w: IHL says %d bytes, the buffer has %d", ErrShort, hlen, len(b))
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < hlen || total > len(b) {
		// Never trust a length from the wire: slicing with it would panic,
		// or hand out bytes that are not the packet's.
		return IPv4{}, fmt.Errorf("%w: %d bytes, header %d, buffer %d", ErrTotalLength, total, hlen, len(b))
	}
	flagsFrag := binary.BigEndian.Uint16(b[6:8])
	return IPv4{
		Version:   4,
		HeaderLen: hlen,
		TOS:       b[1],
		TotalLen:  total,
		ID:        binary.BigEndian.Uint16(b[4:6]),
		Flags:     uint8(flagsFrag >> 13), // the top 3 bits
		FragOff:   flagsFrag & 0x1fff,     // the low 13
		TTL:       b[8],
		Protocol:  b[9],
		Checksum:  binary.BigEndian.Uint16(b[10:12]),
		Src:       netip.AddrFrom4([4]byte(b[12:16])),
		Dst:       netip.AddrFrom4([4]byte(b[16:20])),
		Options:   b[20:hlen],
		Payload:   b[hlen:total],
	}, nil
}
