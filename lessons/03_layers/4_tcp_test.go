package layers

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTCP_ReadsEveryField(t *testing.T) {
	b := buildTCP(tcpFields{
		src: 51182, dst: 443, seq: 0xdeadbeef, ack: 0x0badf00d, offset: 5,
		flags: 0x18, window: 0x1234, checksum: 0xabcd, urgent: 0x0102,
	}, []byte("hello"))
	tcp, err := parseTCP(t, b)
	require.NoError(t, err, "a valid segment: 20 bytes of header, 5 of payload")

	assert.Equal(t, uint16(51182), tcp.SrcPort, "SrcPort: bytes 0-1, big-endian (c7 ee)")
	assert.Equal(t, uint16(443), tcp.DstPort, "DstPort: bytes 2-3, big-endian (01 bb)")
	assert.Equal(t, uint32(0xdeadbeef), tcp.Seq, "Seq: bytes 4-7, big-endian")
	assert.Equal(t, uint32(0x0badf00d), tcp.Ack, "Ack: bytes 8-11, big-endian")
	assert.Equal(t, 20, tcp.HeaderLen, "HeaderLen: the data offset (high nibble of byte 12) × 4")
	assert.Equal(t, uint8(PSH|ACK), uint8(tcp.Flags), "Flags: byte 13 as it is: 0x18 is PSH (0x08) and ACK (0x10)")
	assert.Equal(t, uint16(0x1234), tcp.Window, "Window: bytes 14-15, big-endian")
	assert.Equal(t, uint16(0xabcd), tcp.Checksum, "Checksum: bytes 16-17, big-endian")
	assert.Equal(t, uint16(0x0102), tcp.Urgent, "Urgent: bytes 18-19, big-endian")
	assert.Empty(t, tcp.Options, "a data offset of 5 means no options")
	assert.Equal(t, "hello", string(tcp.Payload), "Payload: everything after the header")
	if len(tcp.Payload) > 0 {
		assert.Same(t, &b[20], &tcp.Payload[0], "Payload must be a slice of b, not a copy")
	}
}

func TestParseTCP_HonoursDataOffsetWithOptions(t *testing.T) {
	synOptions := []byte{ // from the SYN in the capture: MSS, SACK permitted, timestamps, NOP, window scale
		0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0x8e, 0x1b, 0x20, 0xfd,
		0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a}
	cases := []struct {
		name     string
		f        tcpFields
		payload  string
		wantFlag TCPFlags
	}{
		{"a SYN with 20 bytes of options", tcpFields{offset: 10, flags: 0x02, options: synOptions}, "", SYN},
		{"timestamps and data", tcpFields{offset: 8, flags: 0x18, options: synOptions[4:16]}, "GET / HTTP/1.1\r\n", PSH | ACK},
		{"the longest header", tcpFields{offset: 15, flags: 0x11, options: bytes.Repeat([]byte{0x01}, 40)}, "x", FIN | ACK},
		{"the reserved bits and NS set", tcpFields{offset: 5, flags: 0x10, reserved4: 0x0f}, "data", ACK},
	}
	for _, c := range cases {
		b := buildTCP(c.f, []byte(c.payload))
		tcp, err := parseTCP(t, b)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.f.offset*4, tcp.HeaderLen, "%s: HeaderLen is the data offset, the high nibble of byte 12 (%02x), × 4", c.name, b[12])
		assert.Equal(t, len(c.f.options), len(tcp.Options), "%s: Options are the bytes from 20 up to the data offset × 4", c.name)
		if len(c.f.options) > 0 {
			assert.Equal(t, c.f.options, tcp.Options, "%s: Options", c.name)
		}
		assert.Equal(t, c.payload, string(tcp.Payload), "%s: Payload starts after the options", c.name)
		assert.Equal(t, uint8(c.wantFlag), uint8(tcp.Flags), "%s: Flags is byte 13 (%02x), and nothing of byte 12", c.name, b[13])
	}
}

// ANCHOR: flags
func TestTCPFlags_StringNamesTheSetFlags(t *testing.T) {
	for _, c := range []struct {
		flags TCPFlags
		want  string
	}{
		{0, ""},
		{0x02, "SYN"},
		{0x12, "SYN,ACK"},
		{0x10, "ACK"},
		{0x18, "PSH,ACK"},
		{0x11, "FIN,ACK"},
		{0x04, "RST"},
		{0x14, "RST,ACK"},
		{0x01, "FIN"},
		{0x20, "URG"},
		{0xc2, "SYN,ECE,CWR"},
		{0xff, "FIN,SYN,RST,PSH,ACK,URG,ECE,CWR"},
	} {
		assert.Equal(t, c.want, flagsText(t, c.flags),
			"TCPFlags(%#02x).String(): the names of the set bits, lowest first (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80), joined by \",\"", uint8(c.flags))
	}
}

// ANCHOR_END: flags

func TestParseTCP_RejectsBadSegments(t *testing.T) {
	valid := buildTCP(tcpFields{src: 1, dst: 2, offset: 5, flags: 0x10}, nil)
	cases := []struct {
		name string
		b    []byte
		want error
		why  string
	}{
		{"no bytes", nil, ErrShort, "nothing to parse"},
		{"19 bytes", valid[:19], ErrShort, "the fixed part of a TCP header is 20 bytes"},
		{"data offset 4", buildTCP(tcpFields{offset: 4}, []byte("abcd")), ErrDataOffset, "the header cannot be shorter than 20 bytes (data offset 5)"},
		{"data offset 0", buildTCP(tcpFields{offset: 0}, nil), ErrDataOffset, "the header cannot be shorter than 20 bytes (data offset 5)"},
		{"data offset 6, 20 bytes", buildTCP(tcpFields{offset: 6}, nil), ErrDataOffset, "data offset 6 says 24 bytes of header, the segment has 20"},
		{"data offset 15, 59 bytes", buildTCP(tcpFields{offset: 15}, make([]byte, 39)), ErrDataOffset, "data offset 15 says 60 bytes of header, the segment has 59"},
	}
	for _, c := range cases {
		_, err := parseTCP(t, c.b)
		assert.ErrorIs(t, err, c.want, "%s: %s", c.name, c.why)
	}

	tcp, err := parseTCP(t, buildTCP(tcpFields{offset: 6}, make([]byte, 4)))
	require.NoError(t, err, "data offset 6 with exactly 24 bytes: a header with options and no payload")
	assert.Empty(t, tcp.Payload)
	assert.Len(t, tcp.Options, 4)
}
