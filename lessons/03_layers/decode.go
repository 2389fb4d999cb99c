package layers

import "errors"

// Decode peels one Ethernet frame, as Linux captures it (on loopback too),
// layer by layer: the 14-byte Ethernet header (destination MAC, source
// MAC, EtherType), the IPv4 packet it carries (ParseIPv4), and the TCP
// segment the packet carries (ParseTCP on the IPv4 payload, so IP options
// and padding after the packet are skipped).
//
// The errors: a frame shorter than 14 bytes is ErrShort; an EtherType
// other than 0x0800 is ErrNotIPv4; a protocol other than 6 is ErrNotTCP;
// a fragment (MF set or a fragment offset) is ErrFragment, since one
// fragment does not hold a whole segment; ParseIPv4's and ParseTCP's
// errors are returned as they are (or wrapped). Decode checks no
// checksum: on loopback the TCP checksums are never finished (see the
// chapter).
func Decode(frame []byte) (Packet, error) {
	// TODO: read the Ethernet header (MACs, EtherType at bytes 12-13),
	// then ParseIPv4(frame[14:]), check the protocol and the fragment bits,
	// then ParseTCP on the IPv4 payload.
	return Packet{}, errors.New("TODO: Decode is not written yet")
}
