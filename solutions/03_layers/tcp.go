package layers

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// ParseTCP parses the TCP segment in b (RFC 9293, section 3.1): the header,
// then the payload, which is everything after the header up to the end of
// b (the IP layer said where the segment ends). Fields are big-endian.
//
// The header is data offset × 4 bytes long (the data offset is the high
// nibble of byte 12): 20 bytes, or more with options such as the MSS in a
// SYN. The flags are byte 13. Options and Payload are slices of b, not
// copies.
//
// The errors: fewer than 20 bytes is ErrShort; a data offset below 5, or
// one that puts the end of the header past the end of b, is ErrDataOffset.
func ParseTCP(b []byte) (TCP, error) {
	if len(b) < 20 {
		return TCP{}, fmt.Errorf("TCP header: %w: %d bytes, the fixed part is 20", ErrShort, len(b))
	}
	hlen := int(b[12]>>4) * 4
	if hlen < 20 || hlen > len(b) {
		return TCP{}, fmt.Errorf("%w: %d bytes of header, %d in the segment", ErrDataOffset, hlen, len(b))
	}
	be := binary.BigEndian
	return TCP{
		SrcPort:   be.Uint16(b[0:2]),
		DstPort:   be.Uint16(b[2:4]),
		Seq:       be.Uint32(b[4:8]),
		Ack:       be.Uint32(b[8:12]),
		HeaderLen: hlen,
		Flags:     TCPFlags(b[13]),
		Window:    be.Uint16(b[14:16]),
		Checksum:  be.Uint16(b[16:18]),
		Urgent:    be.Uint16(b[18:20]),
		Options:   b[20:hlen],
		Payload:   b[hlen:],
	}, nil
}

// String names the flags that are set, lowest bit first (FIN, SYN, RST,
// PSH, ACK, URG, ECE, CWR), joined by commas without spaces: SYN|ACK is
// "SYN,ACK", PSH|ACK is "PSH,ACK", FIN|ACK is "FIN,ACK". No flag at all
// is the empty string. This is the order Wireshark shows them in.
func (f TCPFlags) String() string {
	var names []string
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return strings.Join(names, ",")
}

// flagNames is indexed by bit number: bit 0 (0x01) is FIN.
var flagNames = [8]string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}
