package layers

import (
	"errors"
	"io"
)

// ReadPcap reads a classic libpcap file from r: the 24-byte global header,
// then records until the end of the file. Each record is a 16-byte header
// (seconds, microseconds or nanoseconds, captured length, original length)
// followed by the captured bytes.
//
// The magic number, the first four bytes, tells the byte order of every
// other field and the unit of the timestamps: read as little-endian it is
// 0xa1b2c3d4 (microseconds) or 0xa1b23c4d (nanoseconds) in a little-endian
// file; a big-endian file has the same numbers byte-swapped. Any other
// magic number is ErrNotPcap.
//
// r may return fewer bytes than asked for in a Read (a network stream
// does): every header and record is read in full. The file ending exactly
// after a record is the normal end: ReadPcap returns the records and nil.
// The file ending anywhere else (inside the global header, an empty file
// included, or inside a record) is io.ErrUnexpectedEOF. A record whose
// captured length exceeds the header's SnapLen or MaxSnapLen is
// ErrRecordLength, found before any buffer is allocated for it. On an
// error, ReadPcap returns the header and the records read before it, so a
// capture cut short is still useful.
func ReadPcap(r io.Reader) (PcapHeader, []Record, error) {
	// TODO: io.ReadFull the 24-byte global header; the magic number (read
	// it as little-endian) picks the byte order and the timestamp unit.
	// Then loop: io.ReadFull a 16-byte record header, check the captured
	// length against SnapLen and MaxSnapLen before make([]byte, n), then
	// io.ReadFull the data.
	// io.EOF before a record is the end; io.EOF anywhere else is
	// io.ErrUnexpectedEOF. See "The pcap container" in the chapter.
	return PcapHeader{}, nil, errors.New("TODO: ReadPcap is not written yet")
}
