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
	// TODO: add up the big-endian 16-bit words in a uint32 (or wider),
	// the odd last byte as the high byte of a word, fold the carries above
	// bit 15 back in until none are left, and return the complement (^).
	return 0
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
	// TODO: the checksum of the 12-byte pseudo-header (src, dst, 0, 6,
	// len(segment) as 16 bits) followed by the segment, as if they were one
	// buffer. src.As4() gives the four bytes of an address.
	return 0
}
