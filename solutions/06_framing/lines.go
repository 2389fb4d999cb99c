package framing

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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
	return func(data []byte, atEOF bool) (advance int, token []byte, err error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			if i == 0 || data[i-1] != '\r' {
				return 0, nil, ErrBareLF
			}
			line := data[:i-1]
			if len(line) > maxLen {
				return 0, nil, ErrLineTooLong
			}
			return i + 1, line, nil
		}
		// No LF yet. A CR at the very end may be the first half of the
		// CRLF, so it does not count against the line.
		pending := len(data)
		if pending > 0 && data[pending-1] == '\r' {
			pending--
		}
		if pending > maxLen {
			return 0, nil, ErrLineTooLong
		}
		if atEOF && len(data) > 0 {
			return 0, nil, io.ErrUnexpectedEOF
		}
		return 0, nil, nil // ask the Scanner for more (or, at EOF with no data, stop)
	}
}

// ANCHOR_END: split
