// Package framing is lesson 06: TCP is a byte stream, so a protocol has to
// say where each message ends.
//
// Read book/06_framing.md first, then make the tests in this folder pass:
//
//	make check-lesson N=6
package framing

import (
	"errors"
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
	// TODO: refuse a payload over MaxFrame (wrap ErrFrameTooLarge with
	// fmt.Errorf's %w), then build ONE buffer: 4 bytes of length
	// (binary.BigEndian.PutUint32) followed by the payload, and write it
	// with a single w.Write.
	return errors.New("TODO: WriteFrame is not written yet")
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
	// TODO: read the 4-byte length with io.ReadFull (it loops over short
	// reads and tells io.EOF from io.ErrUnexpectedEOF), decode it with
	// binary.BigEndian.Uint32, refuse it if it is over MaxFrame BEFORE
	// make([]byte, n), then io.ReadFull the payload. An EOF inside the
	// payload is io.ErrUnexpectedEOF.
	return nil, errors.New("TODO: ReadFrame is not written yet")
}

// ANCHOR_END: read
