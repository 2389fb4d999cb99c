package layers

import "errors"

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
	// TODO: check the length and the data offset (b[12]>>4, in 4-byte
	// words), then read the fields big-endian; Flags is byte 13 as it is.
	return TCP{}, errors.New("TODO: ParseTCP is not written yet")
}

// String names the flags that are set, lowest bit first (FIN, SYN, RST,
// PSH, ACK, URG, ECE, CWR), joined by commas without spaces: SYN|ACK is
// "SYN,ACK", PSH|ACK is "PSH,ACK", FIN|ACK is "FIN,ACK". No flag at all
// is the empty string. This is the order Wireshark shows them in.
func (f TCPFlags) String() string {
	// TODO: for each bit from 0 (FIN) to 7 (CWR), if it is set in f, add
	// its name; strings.Join the names with ",".
	return ""
}
