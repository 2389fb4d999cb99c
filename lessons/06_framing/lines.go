package framing

import (
	"bufio"
	"errors"
)

// ANCHOR: lineerrors

// ErrLineTooLong is the error for a line longer than the limit given to
// SplitCRLF.
var ErrLineTooLong = errors.New("framing: line too long")

// ErrBareLF is the error for a line feed that is not preceded by a
// carriage return.
var ErrBareLF = errors.New("framing: bare LF: lines must end in CRLF")

// ANCHOR_END: lineerrors

// ANCHOR: split

// SplitCRLF returns a bufio.SplitFunc for a bufio.Scanner that splits its
// input into lines ending in CRLF ("\r\n"), as in SMTP, FTP, Redis's
// inline commands and HTTP/1.1's header lines.
//
//   - Each token is one line without its CRLF; an empty line ("\r\n") is
//     an empty token.
//   - A line may hold at most maxLen bytes, not counting the CRLF (maxLen
//     >= 0). A longer line is ErrLineTooLong, reported as soon as maxLen+1
//     bytes of it have arrived, without waiting for its end: a peer that
//     never sends CRLF cannot make the Scanner buffer without limit.
//   - An LF that does not follow a CR (a bare LF) is ErrBareLF: the two
//     ends of a connection must agree on where a line ends, or a line can
//     be smuggled past one of them. A CR that is not followed by LF is an
//     ordinary byte of the line.
//   - At the end of the input, everything up to the last CRLF is returned
//     line by line; then an empty rest is a clean end (Scan returns false,
//     Err returns nil), while bytes without their CRLF (even a lone "\r")
//     are a line cut short: io.ErrUnexpectedEOF.
//
// Give the Scanner a buffer of at least maxLen+2 bytes (Scanner.Buffer),
// or its own bufio.ErrTooLong comes first.
func SplitCRLF(maxLen int) bufio.SplitFunc {
	// TODO: return a func(data []byte, atEOF bool) (advance int, token
	// []byte, err error). Look for the first '\n' (bytes.IndexByte): no CR
	// before it is ErrBareLF; otherwise the token is the line without the
	// CRLF, if it is not longer than maxLen. Without a '\n' yet, check the
	// length so far (a trailing '\r' may be half of the CRLF), then ask for
	// more data with (0, nil, nil), unless atEOF with bytes left over.
	return func(data []byte, atEOF bool) (int, []byte, error) {
		return 0, nil, errors.New("TODO: SplitCRLF is not written yet")
	}
}

// ANCHOR_END: split
