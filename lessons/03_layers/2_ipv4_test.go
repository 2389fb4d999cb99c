package layers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
)

// sample is an IPv4 header whose fields all have different bytes, so a
// field read from the wrong offset, or little-endian, shows.
var sample = ipv4Fields{
	version: 4, ihl: 5, tos: 0xb8, totalLen: 26, id: 0xbeef,
	flags: 0b001, fragOff: 0x1234, ttl: 63, proto: 17,
	src: [4]byte{192, 0, 2, 1}, dst: [4]byte{198, 51, 100, 7},
}

func TestParseIPv4_ReadsEveryField(t *testing.T) {
	b := buildIPv4(sample, []byte("abcdef"))
	ip, err := parseIPv4(t, b)
	require.NoError(t, err, "a valid 26-byte packet: 20 bytes of header, 6 of payload")

	assert.Equal(t, 4, ip.Version, "Version: the high nibble of byte 0")
	assert.Equal(t, 20, ip.HeaderLen, "HeaderLen: the IHL (low nibble of byte 0) is in 4-byte words: 5 × 4 = 20")
	assert.Equal(t, uint8(0xb8), ip.TOS, "TOS: byte 1")
	assert.Equal(t, 26, ip.TotalLen, "TotalLen: bytes 2-3, big-endian (00 1a is 26; read little-endian it would be 6656)")
	assert.Equal(t, hex4(0xbeef), hex4(ip.ID), "ID: bytes 4-5, big-endian")
	assert.Equal(t, uint8(0b001), ip.Flags, "Flags: the top 3 bits of bytes 6-7 (here MF, more fragments)")
	assert.Equal(t, uint16(0x1234), ip.FragOff, "FragOff: the low 13 bits of bytes 6-7, big-endian (bytes 32 34)")
	assert.Equal(t, uint8(63), ip.TTL, "TTL: byte 8")
	assert.Equal(t, uint8(17), ip.Protocol, "Protocol: byte 9")
	assert.Equal(t, hex4(binary.BigEndian.Uint16(b[10:])), hex4(ip.Checksum), "Checksum: bytes 10-11, big-endian, as on the wire")
	assert.Equal(t, netip.MustParseAddr("192.0.2.1"), ip.Src, "Src: bytes 12-15")
	assert.Equal(t, netip.MustParseAddr("198.51.100.7"), ip.Dst, "Dst: bytes 16-19")
	assert.Empty(t, ip.Options, "an IHL of 5 means no options")
	assert.Equal(t, "abcdef", string(ip.Payload), "Payload: the bytes after the header, up to TotalLen")
	if len(ip.Payload) > 0 {
		assert.Same(t, &b[20], &ip.Payload[0], "Payload must be a slice of b, not a copy")
	}

	t.Run("a wrong checksum is not ParseIPv4's business", func(t *testing.T) {
		bad := bytes.Clone(b)
		bad[10], bad[11] = 0x12, 0x34
		ip, err := parseIPv4(t, bad)
		require.NoError(t, err, "ParseIPv4 does not check the header checksum (Checksum does): a header with a wrong one still parses")
		assert.Equal(t, hex4(0x1234), hex4(ip.Checksum), "Checksum: bytes 10-11, as on the wire, even when wrong")
	})
	t.Run("flag and offset bits", func(t *testing.T) {
		for _, c := range []struct {
			flags uint8
			off   uint16
		}{{0b010, 0}, {0b001, 1}, {0b000, 0x1fff}, {0b011, 0x0100}, {0b100, 0}} {
			f := sample
			f.flags, f.fragOff = c.flags, c.off
			ip, err := parseIPv4(t, buildIPv4(f, []byte("abcdef")))
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("flags %03b offset %d", c.flags, c.off), fmt.Sprintf("flags %03b offset %d", ip.Flags, ip.FragOff),
				"bytes 6-7 are %04x: the flags are the top 3 bits (>> 13), the offset the other 13 (& 0x1fff)", uint16(c.flags)<<13|c.off)
		}
	})
}

func TestParseIPv4_HonoursIHLWithOptions(t *testing.T) {
	for _, c := range []struct {
		name    string
		ihl     int
		options []byte
	}{
		{"router alert, IHL 6", 6, []byte{0x94, 0x04, 0x00, 0x00}},
		{"the longest header, IHL 15", 15, append(bytes.Repeat([]byte{0x01}, 39), 0x00)}, // 39 NOPs and an end of options
	} {
		t.Run(c.name, func(t *testing.T) {
			f := sample
			f.ihl, f.options = c.ihl, c.options
			f.totalLen = c.ihl*4 + 5
			b := buildIPv4(f, []byte("hello"))
			ip, err := parseIPv4(t, b)
			require.NoError(t, err)
			assert.Equal(t, c.ihl*4, ip.HeaderLen, "HeaderLen is IHL × 4")
			assert.Equal(t, c.options, ip.Options, "Options: the bytes from 20 up to IHL × 4")
			assert.Equal(t, "hello", string(ip.Payload), "Payload starts after the options, at IHL × 4, not at 20")
			assert.Equal(t, c.ihl*4+5, ip.TotalLen)
		})
	}
}

// ANCHOR: totallength
func TestParseIPv4_StopsAtTotalLength(t *testing.T) {
	// An Ethernet frame carries at least 46 bytes: a short packet is
	// padded with zeros that are not part of it.
	f := sample
	b := buildIPv4(f, []byte("abcdef"))
	padded := append(b, make([]byte, 20)...)
	ip, err := parseIPv4(t, padded)
	require.NoError(t, err)
	assert.Equal(t, "abcdef", string(ip.Payload),
		"the packet is TotalLen (26) bytes long: the 20 zero bytes after it are padding, not payload")

	f.totalLen = 20
	ip, err = parseIPv4(t, buildIPv4(f, nil))
	require.NoError(t, err, "a header of 20 bytes with a total length of 20: a packet with no payload")
	assert.Empty(t, ip.Payload)
}

// ANCHOR_END: totallength

func TestParseIPv4_RejectsBadHeaders(t *testing.T) {
	valid := buildIPv4(sample, []byte("abcdef"))
	with := func(change func(*ipv4Fields), payload string) []byte {
		f := sample
		change(&f)
		return buildIPv4(f, []byte(payload))
	}
	ipv6 := []byte{0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x40} // the start of a real IPv6 header
	ipv6 = append(ipv6, make([]byte, 32)...)
	cases := []struct {
		name string
		b    []byte
		want error
		why  string
	}{
		{"no bytes", nil, ErrShort, "nothing to parse"},
		{"19 bytes", valid[:19], ErrShort, "the fixed part of the header is 20 bytes"},
		{"an IPv6 header", ipv6, ErrVersion, "version 6: check the version before anything else"},
		{"version 5", with(func(f *ipv4Fields) { f.version = 5 }, "abcdef"), ErrVersion, "only version 4 is IPv4"},
		{"version 0", with(func(f *ipv4Fields) { f.version = 0 }, "abcdef"), ErrVersion, "only version 4 is IPv4"},
		{"IHL 4", with(func(f *ipv4Fields) { f.ihl = 4 }, "abcdef"), ErrIHL, "the header cannot be shorter than its 20 fixed bytes (IHL 5)"},
		{"IHL 0", with(func(f *ipv4Fields) { f.ihl = 0 }, "abcdef"), ErrIHL, "the header cannot be shorter than its 20 fixed bytes (IHL 5)"},
		{"IHL 6, 20 bytes", with(func(f *ipv4Fields) { f.ihl, f.totalLen = 6, 20 }, ""), ErrShort, "IHL 6 says 24 bytes of header, the buffer has 20"},
		{"IHL 15, 59 bytes", with(func(f *ipv4Fields) { f.ihl, f.options, f.totalLen = 15, make([]byte, 40), 60 }, "")[:59], ErrShort, "IHL 15 says 60 bytes of header, the buffer has 59"},
		{"total length past the buffer", with(func(f *ipv4Fields) { f.totalLen = 27 }, "abcdef"), ErrTotalLength, "TotalLen says 27 bytes, the buffer has 26: never trust a length from the wire"},
		{"total length far past the buffer", with(func(f *ipv4Fields) { f.totalLen = 65535 }, "abcdef"), ErrTotalLength, "TotalLen says 65535 bytes, the buffer has 26"},
		{"total length inside the header", with(func(f *ipv4Fields) { f.totalLen = 19 }, "abcdef"), ErrTotalLength, "TotalLen 19 is shorter than the 20-byte header"},
		{"total length inside the options", with(func(f *ipv4Fields) { f.ihl, f.options, f.totalLen = 6, make([]byte, 4), 23 }, "abcdef"), ErrTotalLength, "TotalLen 23 is shorter than the 24-byte header"},
	}
	for _, c := range cases {
		_, err := parseIPv4(t, c.b)
		assert.ErrorIs(t, err, c.want, "%s: %s", c.name, c.why)
	}
}

// ANCHOR: xnet
func TestParseIPv4_AgreesWithXNetIPv4(t *testing.T) {
	packets := map[string][]byte{}
	for i, f := range captureFrames(t) {
		packets[fmt.Sprintf("packet %d of the capture", i+1)] = f[14:]
	}
	packets["the sample header"] = buildIPv4(sample, []byte("abcdef"))
	withOptions := sample
	withOptions.ihl, withOptions.options, withOptions.totalLen = 7, []byte{0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00}, 28
	packets["a header with options"] = buildIPv4(withOptions, nil)

	for name, b := range packets {
		want, err := ipv4.ParseHeader(b)
		require.NoError(t, err, "x/net/ipv4 could not parse %s", name)
		got, err := parseIPv4(t, b)
		require.NoError(t, err, "ParseIPv4 of %s", name)

		assert.Equal(t, want.Version, got.Version, "%s: Version", name)
		assert.Equal(t, want.Len, got.HeaderLen, "%s: HeaderLen (x/net's Len)", name)
		assert.Equal(t, want.TOS, int(got.TOS), "%s: TOS", name)
		assert.Equal(t, want.ID, int(got.ID), "%s: ID", name)
		assert.Equal(t, want.TTL, int(got.TTL), "%s: TTL", name)
		assert.Equal(t, want.Protocol, int(got.Protocol), "%s: Protocol", name)
		assert.Equal(t, want.Checksum, int(got.Checksum), "%s: Checksum", name)
		assert.Equal(t, want.Src.String(), got.Src.String(), "%s: Src", name)
		assert.Equal(t, want.Dst.String(), got.Dst.String(), "%s: Dst", name)
		assert.Equal(t, len(want.Options), len(got.Options), "%s: Options", name)
		if xnetReadsNetworkOrder() {
			assert.Equal(t, want.TotalLen, got.TotalLen, "%s: TotalLen", name)
			assert.Equal(t, int(want.Flags), int(got.Flags), "%s: Flags", name)
			assert.Equal(t, want.FragOff, int(got.FragOff), "%s: FragOff", name)
		}
	}
}

// ANCHOR_END: xnet

// xnetReadsNetworkOrder reports whether x/net/ipv4.ParseHeader reads the
// total length and fragment fields as they are on the wire. On the BSDs
// and macOS it reads them as a raw socket of that system hands them over
// (in host byte order), which is not what a capture holds.
func xnetReadsNetworkOrder() bool {
	switch runtime.GOOS {
	case "darwin", "ios", "dragonfly", "netbsd", "freebsd":
		return false
	}
	return true
}
