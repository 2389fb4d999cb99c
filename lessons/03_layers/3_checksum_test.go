package layers

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChecksum_FollowsRFC1071(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want uint16
		why  string
	}{
		{"RFC 1071's example", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0x220d,
			"RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 2ddf0, folded ddf2, complemented 220d"},
		{"an odd length", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x01}, 0x210d,
			"the odd last byte 01 is the word 0100 (the high byte, padded with a zero on the right): do not drop it"},
		{"one byte", []byte{0xab}, 0x54ff, "a single byte ab is the word ab00"},
		{"nothing", nil, 0xffff, "the sum of no words is 0, and its complement is ffff"},
		{"zeros", make([]byte, 20), 0xffff, "the sum of zero words is 0, and its complement is ffff"},
		{"a carry", []byte{0xff, 0xff, 0x00, 0x01}, 0xfffe,
			"ffff + 0001 = 10000: the carry out of bit 15 is added back in at the bottom (0000 + 1), so the sum is 0001"},
		{"a carry out of the fold", []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x01}, 0xfffe,
			"ffff + ffff + 0001 = 1ffff; folded once that is ffff + 1 = 10000, which carries again: fold until nothing is above bit 15"},
		{"an IPv4 header", []byte{
			0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
			0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}, 0xb861,
			"a header with its checksum field zeroed: the result is what the field must hold"},
		{"the same header, checksum filled in", []byte{
			0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
			0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}, 0x0000,
			"a header whose checksum field is right sums to ffff, whose complement is 0"},
		{"many words", bytes.Repeat([]byte{0xff, 0xfe}, 40000), 0x9c40,
			"40000 words of fffe: the sum grows far past 16 bits (use a uint32 or wider, and fold at the end)"},
	}
	for _, c := range cases {
		in := bytes.Clone(c.in)
		got := checksum(t, in)
		assert.Equal(t, hex4(c.want), hex4(got), "%s: Checksum(% x): %s", c.name, short(c.in), c.why)
		assert.Equal(t, c.in, in, "%s: Checksum must not change its argument", c.name)
	}
}

func TestChecksum_ValidIPv4HeaderSumsToZero(t *testing.T) {
	for i, f := range captureFrames(t) {
		header := bytes.Clone(f[14:34]) // 20 bytes: no options in this capture
		assert.Equal(t, hex4(0), hex4(checksum(t, header)),
			"packet %d: the IPv4 header as captured has a correct checksum, so Checksum over it must be 0", i+1)

		header[10], header[11] = 0, 0
		assert.Equal(t, hex4(golden[i].ipChecksum), hex4(checksum(t, header)),
			"packet %d: Checksum over the header with bytes 10-11 zeroed must give the checksum the kernel sent", i+1)
	}
}

// ANCHOR: tcpchecksum
func TestTCPChecksum_CoversThePseudoHeader(t *testing.T) {
	for i, f := range captureFrames(t) {
		segment := bytes.Clone(f[14+20 : 14+golden[i].ipTotalLen])
		// On loopback the kernel leaves the checksum unfinished (see the
		// chapter): compute it over the segment with the field zeroed and
		// compare with what tshark computes.
		segment[16], segment[17] = 0, 0
		want := golden[i].tcpChecksumRight
		assert.Equal(t, hex4(want), hex4(tcpChecksum(t, loopback, loopback, segment)),
			"packet %d (%d bytes of TCP): the checksum of the pseudo-header (127.0.0.1, 127.0.0.1, 0, 6, %d) and the segment, field zeroed",
			i+1, len(segment), len(segment))
		binary.BigEndian.PutUint16(segment[16:], want)
		assert.Equal(t, hex4(0), hex4(tcpChecksum(t, loopback, loopback, segment)),
			"packet %d: with the right checksum in its field, the segment sums to 0", i+1)
	}
}

// ANCHOR_END: tcpchecksum

func TestTCPChecksum_HandlesOddLengthsAndOtherAddresses(t *testing.T) {
	frames := captureFrames(t)

	t.Run("an odd length", func(t *testing.T) {
		// Packet 4 (the GET) without the last byte of its payload: 145
		// bytes. tshark computes the checksum 0x3ba4 for that segment.
		segment := bytes.Clone(frames[3][34 : 14+166-1])
		segment[16], segment[17] = 0, 0
		assert.Equal(t, hex4(0x3ba4), hex4(tcpChecksum(t, loopback, loopback, segment)),
			"a 145-byte segment: its last byte is the high byte of a word padded with zero, and the pseudo-header says 145")
	})
	t.Run("other addresses", func(t *testing.T) {
		src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.254")
		segment := buildTCP(tcpFields{src: 40000, dst: 80, seq: 1, offset: 5, flags: uint8(PSH | ACK), window: 512}, bytes.Repeat([]byte("x"), 1001))
		pseudo := append(append(src.AsSlice(), dst.AsSlice()...), 0, 6, byte(len(segment)>>8), byte(len(segment)))
		want := refChecksum(append(pseudo, segment...))
		assert.Equal(t, hex4(want), hex4(tcpChecksum(t, src, dst, segment)),
			"192.0.2.1 → 198.51.100.254, a 1021-byte segment: the pseudo-header holds both addresses, a zero byte, 6 and the length as two bytes (1021 is 03 fd)")
		swapped := refChecksum(append(append(append(dst.AsSlice(), src.AsSlice()...), pseudo[8:]...), segment...))
		assert.Equal(t, hex4(swapped), hex4(tcpChecksum(t, dst, src, segment)), "the same segment in the other direction")
	})
}

// hex4 prints a checksum the way tshark does, so that a failure reads well.
func hex4(v uint16) string { return "0x" + hexDigits(v) }

func hexDigits(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf]})
}

// short trims a long input for a failure message.
func short(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}
