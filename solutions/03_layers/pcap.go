package layers

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
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
	var g [24]byte
	if _, err := io.ReadFull(r, g[:]); err != nil {
		return PcapHeader{}, nil, noEOF(err)
	}
	h, err := parseGlobalHeader(g)
	if err != nil {
		return PcapHeader{}, nil, err
	}

	var recs []Record
	for {
		rec, err := readRecord(r, h)
		if err == io.EOF { // a clean end, between two records
			return h, recs, nil
		}
		if err != nil {
			return h, recs, fmt.Errorf("pcap record %d: %w", len(recs)+1, err)
		}
		recs = append(recs, rec)
	}
}

// parseGlobalHeader decodes the global header. The magic number is
// read as little-endian: if it comes out byte-swapped, the file was
// written big-endian.
func parseGlobalHeader(g [24]byte) (PcapHeader, error) {
	var h PcapHeader
	switch binary.LittleEndian.Uint32(g[0:4]) {
	case 0xa1b2c3d4:
		h.ByteOrder = binary.LittleEndian
	case 0xa1b23c4d:
		h.ByteOrder, h.Nanosecond = binary.LittleEndian, true
	case 0xd4c3b2a1:
		h.ByteOrder = binary.BigEndian
	case 0x4d3cb2a1:
		h.ByteOrder, h.Nanosecond = binary.BigEndian, true
	default:
		return PcapHeader{}, fmt.Errorf("%w: % x", ErrNotPcap, g[0:4])
	}
	o := h.ByteOrder
	h.VersionMajor = o.Uint16(g[4:6])
	h.VersionMinor = o.Uint16(g[6:8])
	// g[8:16] is the time zone offset and timestamp accuracy: always 0.
	h.SnapLen = o.Uint32(g[16:20])
	h.LinkType = o.Uint32(g[20:24])
	return h, nil
}

// readRecord reads one record. It returns io.EOF, unwrapped, only when r
// ends before the record's first byte.
func readRecord(r io.Reader, h PcapHeader) (Record, error) {
	var rh [16]byte
	if _, err := io.ReadFull(r, rh[:]); err != nil {
		return Record{}, err // io.EOF (clean end) or io.ErrUnexpectedEOF
	}
	o := h.ByteOrder
	sec, frac := int64(o.Uint32(rh[0:4])), int64(o.Uint32(rh[4:8]))
	capLen, origLen := o.Uint32(rh[8:12]), o.Uint32(rh[12:16])
	if capLen > h.SnapLen || capLen > MaxSnapLen {
		// Checked before make: a corrupt length must not allocate gigabytes.
		return Record{}, fmt.Errorf("%w: %d bytes, snap length %d (at most %d)", ErrRecordLength, capLen, h.SnapLen, MaxSnapLen)
	}
	if !h.Nanosecond {
		frac *= 1000 // microseconds to nanoseconds
	}
	rec := Record{
		Time:    time.Unix(sec, frac).UTC(),
		OrigLen: int(origLen),
		Data:    make([]byte, capLen),
	}
	if _, err := io.ReadFull(r, rec.Data); err != nil {
		return Record{}, noEOF(err)
	}
	return rec, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: where some bytes must
// follow, their absence is a truncated file, not a clean end.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
