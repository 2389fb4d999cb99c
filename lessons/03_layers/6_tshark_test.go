package layers

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tsharkFields are the fields the test asks tshark for, with how to print
// the same field of your ReadPcap's Record and Decode's Packet.
var tsharkFields = []struct {
	name string
	ours func(Record, Packet) string
}{
	{"frame.time_epoch", func(r Record, _ Packet) string { return fmt.Sprintf("%d.%09d", r.Time.Unix(), r.Time.Nanosecond()) }},
	{"frame.len", func(r Record, _ Packet) string { return strconv.Itoa(r.OrigLen) }},
	{"eth.dst", func(_ Record, p Packet) string { return p.Ethernet.Dst.String() }},
	{"eth.src", func(_ Record, p Packet) string { return p.Ethernet.Src.String() }},
	{"eth.type", func(_ Record, p Packet) string { return num(p.Ethernet.EtherType) }},
	{"ip.version", func(_ Record, p Packet) string { return num(p.IP.Version) }},
	{"ip.hdr_len", func(_ Record, p Packet) string { return num(p.IP.HeaderLen) }},
	{"ip.dsfield", func(_ Record, p Packet) string { return num(p.IP.TOS) }},
	{"ip.len", func(_ Record, p Packet) string { return num(p.IP.TotalLen) }},
	{"ip.id", func(_ Record, p Packet) string { return num(p.IP.ID) }},
	{"ip.flags", func(_ Record, p Packet) string { return num(p.IP.Flags) }},
	{"ip.ttl", func(_ Record, p Packet) string { return num(p.IP.TTL) }},
	{"ip.proto", func(_ Record, p Packet) string { return num(p.IP.Protocol) }},
	{"ip.checksum", func(_ Record, p Packet) string { return num(p.IP.Checksum) }},
	{"ip.src", func(_ Record, p Packet) string { return p.IP.Src.String() }},
	{"ip.dst", func(_ Record, p Packet) string { return p.IP.Dst.String() }},
	{"tcp.srcport", func(_ Record, p Packet) string { return num(p.TCP.SrcPort) }},
	{"tcp.dstport", func(_ Record, p Packet) string { return num(p.TCP.DstPort) }},
	{"tcp.seq_raw", func(_ Record, p Packet) string { return num(p.TCP.Seq) }},
	{"tcp.ack_raw", func(_ Record, p Packet) string { return num(p.TCP.Ack) }},
	{"tcp.hdr_len", func(_ Record, p Packet) string { return num(p.TCP.HeaderLen) }},
	{"tcp.flags", func(_ Record, p Packet) string { return num(uint8(p.TCP.Flags)) }},
	{"tcp.window_size_value", func(_ Record, p Packet) string { return num(p.TCP.Window) }},
	{"tcp.checksum", func(_ Record, p Packet) string { return num(p.TCP.Checksum) }},
	{"tcp.urgent_pointer", func(_ Record, p Packet) string { return num(p.TCP.Urgent) }},
	{"tcp.len", func(_ Record, p Packet) string { return num(len(p.TCP.Payload)) }},
	{"tcp.options", func(_ Record, p Packet) string { return hex.EncodeToString(p.TCP.Options) }},
	{"tcp.payload", func(_ Record, p Packet) string { return hex.EncodeToString(p.TCP.Payload) }},
}

// ANCHOR: tshark
func TestDecode_AgreesWithTshark(t *testing.T) {
	// Your ReadPcap, then your Decode, on every packet of the capture...
	file, err := os.ReadFile(capturePath)
	require.NoError(t, err)
	_, recs, err := readPcap(t, bytes.NewReader(file))
	require.NoError(t, err, "ReadPcap of %s", capturePath)
	require.NotEmpty(t, recs, "ReadPcap found no records in %s", capturePath)
	pkts := make([]Packet, len(recs))
	for i, r := range recs {
		pkts[i], err = decode(t, r.Data)
		require.NoError(t, err, "Decode of record %d", i+1)
	}

	// ...and tshark's reading of the same file, field by field.
	out := runTshark(t, needTshark(t))

	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	require.Equal(t, len(pkts), len(lines), "tshark sees %d packets, your ReadPcap %d", len(lines), len(pkts))
	for i, line := range lines {
		theirs := strings.Split(line, "\t")
		require.Len(t, theirs, len(tsharkFields), "tshark's line %d: %q", i+1, line)
		for j, f := range tsharkFields {
			assert.Equal(t, normalize(theirs[j]), normalize(f.ours(recs[i], pkts[i])),
				"packet %d, %s: tshark and your decoding disagree", i+1, f.name)
		}
	}
}

// ANCHOR_END: tshark

// tsharkOut caches tshark's output, which never changes, across -count runs:
// tshark takes a second to start.
var tsharkOut struct {
	sync.Mutex
	out []byte
}

// runTshark asks tshark for tsharkFields of every packet in the capture,
// one line per packet, the fields separated by tabs.
func runTshark(t *testing.T, tshark string) []byte {
	tsharkOut.Lock()
	defer tsharkOut.Unlock()
	if tsharkOut.out != nil {
		return tsharkOut.out
	}
	args := []string{"-r", capturePath, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f.name)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tshark, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "tshark %s failed: %s", strings.Join(args, " "), stderr.String())
	tsharkOut.out = out
	return out
}

// needTshark returns tshark's path. Without tshark the test is skipped
// locally, and fails in CI, which installs it.
func needTshark(t *testing.T) string {
	path, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("needs tshark, and CI installs it: is `make tools` part of the CI job?")
		}
		t.Skip("tshark is not installed: run `make tools` (apt-get install tshark)")
	}
	return path
}

// num prints a number in decimal.
func num[T ~int | ~uint8 | ~uint16 | ~uint32](v T) string { return strconv.FormatUint(uint64(v), 10) }

// normalize makes tshark's output and ours comparable: hex numbers
// (0x0800) become decimal, byte strings lose their colons and case.
func normalize(s string) string {
	if strings.HasPrefix(s, "0x") {
		if v, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
			return strconv.FormatUint(v, 10)
		}
	}
	if strings.Count(s, ":") == 5 && len(s) == 17 { // a MAC address
		return strings.ToLower(s)
	}
	if whole, frac, ok := strings.Cut(s, "."); ok && isDigits(whole) && isDigits(frac) { // a time in seconds
		return strings.TrimSuffix(whole+"."+strings.TrimRight(frac, "0"), ".")
	}
	return strings.ToLower(strings.ReplaceAll(s, ":", ""))
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
