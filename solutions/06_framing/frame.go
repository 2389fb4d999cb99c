// Package framing is lesson 06: TCP is a byte stream, so a protocol has to
// say where each message ends.
//
// Read book/06_framing.md first, then make the tests in this folder pass:
//
//	make check-lesson N=6
package framing

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ANCHOR: limits

// MaxFrame is the largest payload a frame may carry: 1 MiB. The length on
// the wire could say up to 4 GiB; a reader that believed it would let any
// peer make it reserve 4 GiB with four bytes.
const MaxFrame = 1 << 20

// ErrFrameTooLarge is the error, matched with errors.Is, for a frame whose
// payload is longer than MaxFrame, whether it is being read or written.
var ErrFrameTooLarge = errors.New("framing: frame larger than MaxFrame")

// ANCHOR_END: limits

// ANCHOR: write

// WriteFrame writes payload to w as one frame: its length as a 4-byte
// big-endian unsigned integer, then the payload itself.
//
//	+--------+--------+--------+--------+---------------------+
//	|   length (uint32, big-endian)     | payload (length B)  |
//	+--------+--------+--------+--------+---------------------+
//
// The frame goes out in a single w.Write call (length and payload in one
// buffer), so that a frame is never split across writes by WriteFrame
// and goroutines sharing a net.Conn never interleave half frames.
// WriteFrame does not modify payload. An empty payload is a valid frame
// (four zero bytes).
//
// A payload longer than MaxFrame is refused with an error that matches
// ErrFrameTooLarge, and nothing is written. An error from w is returned.
func WriteFrame(w io.Writer, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("%w: payload of %d bytes, the limit is %d", ErrFrameTooLarge, len(payload), MaxFrame)
	}
	// One buffer, one Write: two Writes (header, then payload) would be
	// two segments on the wire, and another goroutine's Write could land
	// between them.
	frame := make([]byte, 4, 4+len(payload))
	binary.BigEndian.PutUint32(frame, uint32(len(payload)))
	frame = append(frame, payload...)
	_, err := w.Write(frame)
	return err
}

// ANCHOR_END: write

// ANCHOR: read

// ReadFrame reads one frame (see WriteFrame) from r and returns its
// payload in a new slice; a frame with an empty payload gives an empty
// slice and a nil error.
//
// One Read may return less than a frame, or the end of one frame and the
// start of the next: ReadFrame reads until it has exactly the frame's
// bytes, and never reads past them, so the next call starts at the next
// frame. (Wrap a net.Conn in a bufio.Reader for fewer system calls; keep
// using the same bufio.Reader for every frame.)
//
// The errors say how the stream ended:
//
//   - io.EOF: r ended cleanly between two frames, before the first byte of
//     a length. There are no more frames; this is the normal end.
//   - io.ErrUnexpectedEOF: r ended inside a frame, in the length or in the
//     payload. The frame was cut short.
//   - ErrFrameTooLarge (matched with errors.Is): the length is over
//     MaxFrame. ReadFrame checks it before it allocates or reads anything
//     for the payload, so a hostile length costs nothing. The stream is
//     then out of step (the payload is not skipped): stop reading it.
//   - any other error from r is returned as it is (errors.Is finds it).
func ReadFrame(r io.Reader) ([]byte, error) {
	var header [4]byte
	// io.ReadFull loops over short reads. It returns io.EOF if nothing at
	// all was read and io.ErrUnexpectedEOF if the stream ended part way:
	// exactly the difference between a clean end and a cut-short frame.
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(header[:])
	if n > MaxFrame { // compare as uint32: no int overflow on 32-bit platforms
		return nil, fmt.Errorf("%w: length %d, the limit is %d", ErrFrameTooLarge, n, MaxFrame)
	}
	payload := make([]byte, n) // safe now: n <= MaxFrame
	if _, err := io.ReadFull(r, payload); err != nil {
		// The length promised n bytes: an EOF now, even before the first
		// payload byte, means the frame was cut short.
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return payload, nil
}

// ANCHOR_END: read
