package layers

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadPcap_ReadsTheCapture(t *testing.T) {
	file, err := os.ReadFile(capturePath)
	require.NoError(t, err)
	h, recs, err := readPcap(t, bytes.NewReader(file))
	require.NoError(t, err, "ReadPcap of %s, a little-endian capture in microseconds", capturePath)

	assert.Equal(t, binary.LittleEndian, h.ByteOrder, "the magic number d4 c3 b2 a1 is 0xa1b2c3d4 read as little-endian: the file is little-endian")
	assert.False(t, h.Nanosecond, "magic 0xa1b2c3d4 means microsecond timestamps")
	assert.Equal(t, [2]uint16{2, 4}, [2]uint16{h.VersionMajor, h.VersionMinor}, "the version: bytes 4-5 and 6-7 of the global header")
	assert.EqualValues(t, 262144, h.SnapLen, "SnapLen: bytes 16-19 of the global header")
	assert.EqualValues(t, 1, h.LinkType, "LinkType: bytes 20-23 of the global header; 1 is Ethernet")

	frames := captureFrames(t)
	require.Equal(t, len(frames), len(recs), "the capture holds %d records, one per packet", len(frames))
	for i, rec := range recs {
		want := time.UnixMicro(golden[i].unixMicros).UTC()
		assert.True(t, want.Equal(rec.Time), "record %d: Time is %v, tshark says %v: seconds + microseconds×1000 ns", i+1, rec.Time, want)
		assert.Equal(t, time.UTC, rec.Time.Location(), "record %d: Time should be in UTC (time.Unix(...).UTC())", i+1)
		assert.Equal(t, len(frames[i]), rec.OrigLen, "record %d: OrigLen, the last field of the record header", i+1)
		assert.Equal(t, frames[i], rec.Data, "record %d: Data", i+1)
	}
}

// ANCHOR: byteorders
func TestReadPcap_ReadsBothByteOrdersAndNanoseconds(t *testing.T) {
	at := time.Date(2024, 2, 29, 12, 34, 56, 123456789, time.UTC)
	cut := bytes.Repeat([]byte{0xab}, 64) // a frame cut at the snap length: 64 of 1514 bytes
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, nano := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v nanoseconds=%v", order, nano), func(t *testing.T) {
				file := writePcap(order, nano, 64, 101,
					Record{Time: at, OrigLen: 3, Data: []byte("abc")},
					Record{Time: at.Add(time.Second), OrigLen: 1514, Data: cut})
				h, recs, err := readPcap(t, bytes.NewReader(file))
				require.NoError(t, err, "the magic number % x starts a valid file", file[:4])

				assert.Equal(t, order, h.ByteOrder, "ByteOrder, from the magic number % x", file[:4])
				assert.Equal(t, nano, h.Nanosecond, "Nanosecond: magic 0xa1b23c4d means nanoseconds, 0xa1b2c3d4 microseconds")
				assert.Equal(t, [2]uint16{2, 4}, [2]uint16{h.VersionMajor, h.VersionMinor}, "the version, read in the file's byte order")
				assert.EqualValues(t, 64, h.SnapLen, "SnapLen, read in the file's byte order")
				assert.EqualValues(t, 101, h.LinkType, "LinkType, read in the file's byte order")
				require.Equal(t, 2, len(recs))

				want := at
				if !nano {
					want = at.Truncate(time.Microsecond) // a microsecond file cannot hold more
				}
				assert.True(t, want.Equal(recs[0].Time), "record 1: Time is %v, want %v", recs[0].Time, want)
				assert.Equal(t, "abc", string(recs[0].Data))
				assert.Equal(t, 3, recs[0].OrigLen)
				assert.Equal(t, cut, recs[1].Data, "record 2: a record of exactly SnapLen bytes is fine")
				assert.Equal(t, 1514, recs[1].OrigLen, "record 2: OrigLen is the length on the wire, larger than the 64 bytes captured")
			})
		}
	}
}

// ANCHOR_END: byteorders

func TestReadPcap_ReadsWholeHeadersFromShortReads(t *testing.T) {
	file, err := os.ReadFile(capturePath)
	require.NoError(t, err)
	readers := map[string]func(io.Reader) io.Reader{
		"one byte per Read":          iotest.OneByteReader,
		"half of what is asked for":  iotest.HalfReader,
		"io.EOF with the last bytes": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			_, recs, err := readPcap(t, wrap(bytes.NewReader(file)))
			require.NoError(t, err, "a Read may return fewer bytes than asked for: read every header and record with io.ReadFull")
			require.Equal(t, len(golden), len(recs), "the number of records: a Read may return fewer bytes than asked for, so read each header with io.ReadFull")
			for i, f := range captureFrames(t) {
				assert.Equal(t, f, recs[i].Data, "record %d", i+1)
			}
		})
	}
}

func TestReadPcap_RejectsBadFiles(t *testing.T) {
	capture, err := os.ReadFile(capturePath)
	require.NoError(t, err)
	const recs12 = 24 + 16 + 74 + 16 + 74 // the global header and the first two records

	t.Run("an empty file", func(t *testing.T) {
		_, recs, err := readPcap(t, bytes.NewReader(nil))
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "a pcap file has at least a 24-byte global header: none at all is io.ErrUnexpectedEOF, not io.EOF")
		assert.Empty(t, recs)
	})
	t.Run("a global header cut short", func(t *testing.T) {
		_, _, err := readPcap(t, bytes.NewReader(capture[:23]))
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "23 bytes of a 24-byte global header")
	})
	t.Run("an unknown magic number", func(t *testing.T) {
		for _, magic := range [][]byte{{0x0a, 0x0d, 0x0d, 0x0a}, {0xa1, 0xb2, 0xc3, 0xd5}, []byte("GET ")} {
			file := append(append([]byte{}, magic...), capture[4:]...)
			_, _, err := readPcap(t, bytes.NewReader(file))
			assert.ErrorIs(t, err, ErrNotPcap, "magic number % x (0a 0d 0d 0a starts a pcapng file, which is another format)", magic)
		}
	})
	t.Run("a record header cut short", func(t *testing.T) {
		h, recs, err := readPcap(t, bytes.NewReader(capture[:recs12+15]))
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "15 bytes of a 16-byte record header: the file was cut, this is not a clean end")
		assert.Equal(t, 2, len(recs), "the two records before the cut are returned with the error")
		assert.EqualValues(t, 1, h.LinkType, "the global header is returned with the error")
	})
	t.Run("a record header and no data", func(t *testing.T) {
		_, recs, err := readPcap(t, bytes.NewReader(capture[:recs12+16]))
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "a record header that promises 66 bytes, then the end of the file: io.ReadFull returns io.EOF when it reads nothing, but here that is a cut, io.ErrUnexpectedEOF")
		assert.Equal(t, 2, len(recs), "the two records before the cut are returned with the error")
	})
	t.Run("record data cut short", func(t *testing.T) {
		_, recs, err := readPcap(t, bytes.NewReader(capture[:recs12+16+65]))
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "65 bytes of a 66-byte record: the file was cut, this is not a clean end")
		assert.Equal(t, 2, len(recs), "the two records before the cut are returned with the error")
	})
	t.Run("a record longer than the snap length", func(t *testing.T) {
		file := writePcap(binary.BigEndian, false, 64, 1, Record{Data: make([]byte, 64)}, Record{Data: make([]byte, 65)})
		_, recs, err := readPcap(t, bytes.NewReader(file))
		assert.ErrorIs(t, err, ErrRecordLength, "a record of 65 bytes in a file whose SnapLen is 64")
		assert.Equal(t, 1, len(recs), "the record before it is returned with the error")
	})
	t.Run("a record longer than MaxSnapLen", func(t *testing.T) {
		file := writePcap(binary.LittleEndian, false, 0xffffffff, 1)
		file = binary.LittleEndian.AppendUint32(file, 0)            // seconds
		file = binary.LittleEndian.AppendUint32(file, 0)            // microseconds
		file = binary.LittleEndian.AppendUint32(file, MaxSnapLen+1) // captured length
		file = binary.LittleEndian.AppendUint32(file, MaxSnapLen+1) // original length
		file = append(file, make([]byte, MaxSnapLen+1)...)
		_, _, err := readPcap(t, bytes.NewReader(file))
		assert.ErrorIs(t, err, ErrRecordLength, "a record of MaxSnapLen+1 bytes, even though this header's SnapLen allows it")
	})
	t.Run("a record of exactly MaxSnapLen bytes", func(t *testing.T) {
		file := writePcap(binary.LittleEndian, false, 0xffffffff, 1, Record{Data: make([]byte, MaxSnapLen)})
		_, recs, err := readPcap(t, bytes.NewReader(file))
		require.NoError(t, err, "a record of exactly MaxSnapLen bytes is allowed: ErrRecordLength is for a length that exceeds it")
		require.Len(t, recs, 1)
		assert.Len(t, recs[0].Data, MaxSnapLen)
	})
	t.Run("a corrupt length allocates nothing", func(t *testing.T) {
		file := writePcap(binary.LittleEndian, false, 0xffffffff, 1)
		file = binary.LittleEndian.AppendUint32(file, 0)
		file = binary.LittleEndian.AppendUint32(file, 0)
		file = binary.LittleEndian.AppendUint32(file, 64<<20) // 64 MiB claimed...
		file = binary.LittleEndian.AppendUint32(file, 64<<20)
		file = append(file, "...and 3 bytes sent"[:3]...)
		allocated := bytesAllocated(func() {
			_, _, err = readPcap(t, bytes.NewReader(file))
		})
		assert.ErrorIs(t, err, ErrRecordLength, "a record that claims 64 MiB")
		assert.Less(t, allocated, uint64(16<<20),
			"ReadPcap allocated %d MiB for a record that claims 64 MiB and is refused: check the length before make([]byte, n)", allocated>>20)
	})
}

// writePcap returns a pcap file in order with the given records. The
// records' Time is written in microseconds or nanoseconds, as nano says.
func writePcap(order byteOrder, nano bool, snapLen, linkType uint32, recs ...Record) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	var b []byte
	b = order.AppendUint32(b, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0) // time zone
	b = order.AppendUint32(b, 0) // timestamp accuracy
	b = order.AppendUint32(b, snapLen)
	b = order.AppendUint32(b, linkType)
	for _, r := range recs {
		frac := r.Time.Nanosecond()
		if !nano {
			frac /= 1000
		}
		b = order.AppendUint32(b, uint32(r.Time.Unix()))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(len(r.Data)))
		b = order.AppendUint32(b, uint32(r.OrigLen))
		b = append(b, r.Data...)
	}
	return b
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// bytesAllocated returns how many bytes the heap grew by while f ran.
func bytesAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
