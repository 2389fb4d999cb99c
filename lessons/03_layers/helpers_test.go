package layers

import (
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// capturePath is the lesson's capture: one HTTP/1.1 request and its reply
// on loopback, handshake to close (see "The capture" in the chapter).
const capturePath = "testdata/http.pcap"

// captureFrames returns the Ethernet frames of the capture, read by the
// tests' own few lines of pcap reading (the capture is little-endian, in
// microseconds), so that the tests of ParseIPv4, ParseTCP and Decode do
// not depend on your ReadPcap.
func captureFrames(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile(capturePath)
	require.NoError(t, err, "the lesson's capture is missing: restore %s (git checkout)", capturePath)
	require.Equal(t, uint32(0xa1b2c3d4), binary.LittleEndian.Uint32(b), "%s is not the capture the tests expect", capturePath)
	var frames [][]byte
	for off := 24; off < len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		frames = append(frames, b[off+16:off+16+n])
		off += 16 + n
	}
	require.Len(t, frames, len(golden), "%s is not the capture the tests expect", capturePath)
	return frames
}

// golden is what tshark says about every packet of the capture, recorded
// once with
//
//	tshark -r testdata/http.pcap -o tcp.check_checksum:TRUE -T fields \
//	  -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw ...
//
// so that every test can compare against it, with or without tshark.
type goldenPacket struct {
	srcPort, dstPort uint16
	seq, ack         uint32
	tcpHeaderLen     int
	payloadLen       int
	flags            uint8
	flagsText        string
	window           uint16
	ipID             uint16
	ipTotalLen       int
	ipChecksum       uint16
	tcpChecksum      uint16 // as captured: on loopback, only the pseudo-header's sum
	tcpChecksumRight uint16 // what tshark computes the field should be (tcp.checksum_calculated)
	unixMicros       int64  // frame.time_epoch
}

const (
	clientPort = 51182
	serverPort = 8003
)

var golden = []goldenPacket{
	{clientPort, serverPort, 2568857852, 0, 40, 0, 0x02, "SYN", 65495, 0xda99, 60, 0x6220, 0xfe30, 0x779a, 1796011554650961},
	{serverPort, clientPort, 2800759192, 2568857853, 40, 0, 0x12, "SYN,ACK", 65483, 0x0000, 60, 0x3cba, 0xfe30, 0x7b32, 1796011554651028},
	{clientPort, serverPort, 2568857853, 2800759193, 32, 0, 0x10, "ACK", 64, 0xda9a, 52, 0x6227, 0xfe28, 0xa3b1, 1796011554651044},
	{clientPort, serverPort, 2568857853, 2800759193, 32, 114, 0x18, "PSH,ACK", 64, 0xda9b, 166, 0x61b4, 0xfe9a, 0x3b99, 1796011554651635},
	{serverPort, clientPort, 2800759193, 2568857967, 32, 0, 0x10, "ACK", 64, 0x0e65, 52, 0x2e5d, 0xfe28, 0xa33f, 1796011554651653},
	{serverPort, clientPort, 2800759193, 2568857967, 32, 136, 0x18, "PSH,ACK", 64, 0x0e66, 188, 0x2dd4, 0xfeb0, 0xf8ce, 1796011554652314},
	{clientPort, serverPort, 2568857967, 2800759329, 32, 0, 0x10, "ACK", 64, 0xda9c, 52, 0x6225, 0xfe28, 0xa2b5, 1796011554652324},
	{serverPort, clientPort, 2800759329, 2568857967, 32, 0, 0x11, "FIN,ACK", 64, 0x0e67, 52, 0x2e5b, 0xfe28, 0xa2b4, 1796011554652365},
	{clientPort, serverPort, 2568857967, 2800759330, 32, 0, 0x11, "FIN,ACK", 64, 0xda9d, 52, 0x6224, 0xfe28, 0xa2b3, 1796011554652443},
	{serverPort, clientPort, 2800759330, 2568857968, 32, 0, 0x10, "ACK", 64, 0x0e68, 52, 0x2e5a, 0xfe28, 0xa2b3, 1796011554652455},
}

var loopback = netip.MustParseAddr("127.0.0.1")

// Every call into your code goes through these, so a function that never
// returns is reported by name within seconds (testkit.Returns2).

func readPcap(t testing.TB, r io.Reader) (PcapHeader, []Record, error) {
	t.Helper()
	return returns3(t, "ReadPcap", func() (PcapHeader, []Record, error) { return ReadPcap(r) })
}

func parseIPv4(t testing.TB, b []byte) (IPv4, error) {
	t.Helper()
	return testkit.Returns2(t, "ParseIPv4", "", func() (IPv4, error) { return ParseIPv4(b) })
}

func parseTCP(t testing.TB, b []byte) (TCP, error) {
	t.Helper()
	return testkit.Returns2(t, "ParseTCP", "", func() (TCP, error) { return ParseTCP(b) })
}

func decode(t testing.TB, frame []byte) (Packet, error) {
	t.Helper()
	return testkit.Returns2(t, "Decode", "", func() (Packet, error) { return Decode(frame) })
}

func checksum(t testing.TB, b []byte) uint16 {
	t.Helper()
	return testkit.Returns(t, "Checksum", "", func() uint16 { return Checksum(b) })
}

func tcpChecksum(t testing.TB, src, dst netip.Addr, seg []byte) uint16 {
	t.Helper()
	return testkit.Returns(t, "TCPChecksum", "", func() uint16 { return TCPChecksum(src, dst, seg) })
}

func flagsText(t testing.TB, f TCPFlags) string {
	t.Helper()
	return testkit.Returns(t, "TCPFlags.String", "", func() string { return f.String() })
}

// returns3 is testkit.Returns2 for a function with three results.
func returns3[A, B, C any](t testing.TB, name string, f func() (A, B, C)) (A, B, C) {
	t.Helper()
	var a A
	var b B
	var c C
	testkit.Call(t, name, "", func() { a, b, c = f() })
	return a, b, c
}

// mustDecodeCapture decodes every frame of the capture with your Decode.
func mustDecodeCapture(t testing.TB) []Packet {
	t.Helper()
	var pkts []Packet
	for i, f := range captureFrames(t) {
		p, err := decode(t, f)
		require.NoError(t, err, "Decode of packet %d of the capture (a TCP segment in IPv4 in Ethernet) failed", i+1)
		pkts = append(pkts, p)
	}
	return pkts
}

// ipv4Fields are the values of a hand-built IPv4 header.
type ipv4Fields struct {
	version, ihl int // ihl in 4-byte words
	tos          uint8
	totalLen     int
	id           uint16
	flags        uint8
	fragOff      uint16
	ttl, proto   uint8
	src, dst     [4]byte
	options      []byte // len must be (ihl-5)*4
}

// buildIPv4 returns the header described by f, with its checksum filled
// in (computed here, by the tests, not by your Checksum), followed by
// payload.
func buildIPv4(f ipv4Fields, payload []byte) []byte {
	h := make([]byte, 20, 20+len(f.options)+len(payload))
	h[0] = byte(f.version<<4 | f.ihl&0x0f)
	h[1] = f.tos
	binary.BigEndian.PutUint16(h[2:], uint16(f.totalLen))
	binary.BigEndian.PutUint16(h[4:], f.id)
	binary.BigEndian.PutUint16(h[6:], uint16(f.flags)<<13|f.fragOff)
	h[8], h[9] = f.ttl, f.proto
	copy(h[12:], f.src[:])
	copy(h[16:], f.dst[:])
	h = append(h, f.options...)
	binary.BigEndian.PutUint16(h[10:], refChecksum(h))
	return append(h, payload...)
}

// refChecksum is the tests' own RFC 1071 checksum, to build frames with.
func refChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// tcpFields are the values of a hand-built TCP header.
type tcpFields struct {
	src, dst  uint16
	seq, ack  uint32
	offset    int // in 4-byte words
	flags     uint8
	window    uint16
	checksum  uint16
	urgent    uint16
	options   []byte
	reserved4 uint8 // the low nibble of byte 12 (reserved bits and NS)
}

func buildTCP(f tcpFields, payload []byte) []byte {
	h := make([]byte, 20, 20+len(f.options)+len(payload))
	binary.BigEndian.PutUint16(h[0:], f.src)
	binary.BigEndian.PutUint16(h[2:], f.dst)
	binary.BigEndian.PutUint32(h[4:], f.seq)
	binary.BigEndian.PutUint32(h[8:], f.ack)
	h[12] = byte(f.offset<<4) | f.reserved4&0x0f
	h[13] = f.flags
	binary.BigEndian.PutUint16(h[14:], f.window)
	binary.BigEndian.PutUint16(h[16:], f.checksum)
	binary.BigEndian.PutUint16(h[18:], f.urgent)
	h = append(h, f.options...)
	return append(h, payload...)
}

// ethernet returns a 14-byte Ethernet header with etherType, then payload.
func ethernet(etherType uint16, payload []byte) []byte {
	f := []byte{
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // destination MAC
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // source MAC
		byte(etherType >> 8), byte(etherType),
	}
	return append(f, payload...)
}
