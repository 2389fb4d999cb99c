package layers

import "net/netip"

// Checksum returns the Internet checksum of b (RFC 1071): the ones'
// complement of the ones' complement sum of b read as big-endian 16-bit
// words. When len(b) is odd, the last byte is the high byte of a final
// word whose low byte is zero.
//
// Over a header whose checksum field holds the right value, Checksum
// returns 0; over the same header with that field set to zero, it returns
// the value the field must hold. So one function both computes and checks.
func Checksum(b []byte) uint16 {
	return ^fold(sum(0, b))
}

// sum adds b's big-endian 16-bit words to acc. A uint64 does not overflow
// for any buffer that fits in memory, so the carries are left to pile up
// above bit 15 and folded back in once, at the end.
func sum(acc uint64, b []byte) uint64 {
	for len(b) >= 2 {
		acc += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8 // the odd byte is padded on the right
	}
	return acc
}

// fold adds the carries above bit 15 back in at the bottom (the "end-around
// carry" of ones' complement), until none are left: a fold can itself carry.
func fold(acc uint64) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

// TCPChecksum returns the checksum of a TCP segment (header and payload)
// sent from src to dst, which are IPv4 addresses: the Internet checksum of
// a 12-byte pseudo-header (source address, destination address, a zero
// byte, the protocol 6, the segment's length as 16 bits) followed by the
// segment. The pseudo-header is never sent; it ties the segment to its
// addresses.
//
// As with Checksum: a segment whose checksum field is right gives 0, and a
// segment with the field set to zero gives the value to put there.
func TCPChecksum(src, dst netip.Addr, segment []byte) uint16 {
	s, d := src.As4(), dst.As4()
	pseudo := []byte{
		s[0], s[1], s[2], s[3],
		d[0], d[1], d[2], d[3],
		0, 6, // zero, protocol TCP
		byte(len(segment) >> 8), byte(len(segment)),
	}
	return ^fold(sum(sum(0, pseudo), segment))
}
