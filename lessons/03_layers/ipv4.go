package layers

import "errors"

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
	// TODO: check the length, the version (b[0]>>4), the IHL (b[0]&0x0f)
	// and the total length (bytes 2-3) in the order above, then read every
	// field big-endian (binary.BigEndian). Flags are the top 3 bits of
	// bytes 6-7, the fragment offset the low 13. See the header picture in
	// the chapter.
	return IPv4{}, errors.New("TODO: ParseIPv4 is not written yet")
}
