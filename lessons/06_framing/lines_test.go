package framing

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testMaxLine is the line limit these tests give SplitCRLF.
const testMaxLine = 32

// readerKinds are the ways a test feeds the Scanner: all at once, one byte
// per Read (so the split func sees every partial line, and a CR without
// its LF), half of what was asked, and io.EOF arriving with the last data.
var readerKinds = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"all at once", func(r io.Reader) io.Reader { return r }},
	{"iotest.OneByteReader", iotest.OneByteReader},
	{"iotest.HalfReader", iotest.HalfReader},
	{"iotest.DataErrReader", iotest.DataErrReader},
}

// ANCHOR: splitlines
func TestSplitCRLF_SplitsLinesAtCRLF(t *testing.T) {
	input := "HELO example.com\r\n" +
		"\r\n" + // an empty line is an empty token
		"a CR\ralone is data\r\n" +
		"last line\r\n"
	want := []string{"HELO example.com", "", "a CR\ralone is data", "last line"}

	for _, kind := range readerKinds {
		for _, bufSize := range []int{4, 64} {
			lines, err := scanLines(t, kind.wrap(strings.NewReader(input)), testMaxLine, bufSize)
			require.NoError(t, err,
				"scanning %q (%s, Scanner buffer of %d bytes): at the end, the input after the last CRLF is empty, so Scan should stop with Err() == nil", input, kind.name, bufSize)
			require.Equal(t, want, lines,
				"the lines of %q (%s, Scanner buffer of %d bytes): a token is the line without its CRLF; a lone CR is an ordinary byte", input, kind.name, bufSize)
		}
	}
}

// ANCHOR_END: splitlines

func TestSplitCRLF_BareLFIsAnError(t *testing.T) {
	for _, input := range []string{"bare\n", "ok\r\nbare LF\nrest\r\n", "\n"} {
		for _, kind := range readerKinds {
			lines, err := scanLines(t, kind.wrap(strings.NewReader(input)), testMaxLine, 16)
			require.ErrorIs(t, err, ErrBareLF,
				"%q has an LF without a CR before it (%s): that is ErrBareLF, not a line end and not data; got lines %q", input, kind.name, lines)
			if strings.HasPrefix(input, "ok\r\n") {
				assert.Equal(t, []string{"ok"}, lines, "the good line before the bare LF should still be returned")
			}
		}
	}
}

func TestSplitCRLF_LineCutShortAtEOFIsUnexpectedEOF(t *testing.T) {
	cases := []struct {
		input string
		lines []string
	}{
		{"no CRLF at all", []string{}},
		{"one\r\ntwo without end", []string{"one"}},
		{"one\r\nhalf a CRLF\r", []string{"one"}},
		{"\r", []string{}},
	}
	for _, c := range cases {
		for _, kind := range readerKinds {
			lines, err := scanLines(t, kind.wrap(strings.NewReader(c.input)), testMaxLine, 16)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF,
				"%q ends without a CRLF (%s): the last line was cut short, so at EOF return io.ErrUnexpectedEOF instead of a token; got lines %q", c.input, kind.name, lines)
			assert.Equal(t, c.lines, lines, "the complete lines of %q come first", c.input)
		}
	}
}

func TestSplitCRLF_MaxLenIsAllowedOneMoreIsNot(t *testing.T) {
	exact := strings.Repeat("x", testMaxLine)
	for _, kind := range readerKinds {
		lines, err := scanLines(t, kind.wrap(strings.NewReader(exact+"\r\n"+"next\r\n")), testMaxLine, 8)
		require.NoError(t, err,
			"a line of exactly maxLen (%d) bytes is allowed (%s); the CRLF does not count, and a CR at the end of the data so far may be half of the CRLF", testMaxLine, kind.name)
		require.Equal(t, []string{exact, "next"}, lines)

		lines, err = scanLines(t, kind.wrap(strings.NewReader("ok\r\n"+exact+"y\r\n")), testMaxLine, 8)
		require.ErrorIs(t, err, ErrLineTooLong, "a line of maxLen+1 (%d) bytes must be refused with ErrLineTooLong (%s)", testMaxLine+1, kind.name)
		assert.Equal(t, []string{"ok"}, lines, "the good line before the long one should still be returned")
	}

	// maxLen 0 allows empty lines only.
	lines, err := scanLines(t, iotest.OneByteReader(strings.NewReader("\r\n\r\n")), 0, 8)
	require.NoError(t, err, "SplitCRLF(0) allows empty lines")
	require.Equal(t, []string{"", ""}, lines)
	_, err = scanLines(t, strings.NewReader("\r\nx\r\n"), 0, 8)
	require.ErrorIs(t, err, ErrLineTooLong, "SplitCRLF(0) refuses a line of 1 byte")
}

// ANCHOR: endless
func TestSplitCRLF_LongLineFailsBeforeItsEnd(t *testing.T) {
	// A peer sends 'a' after 'a' and never a CRLF. The line is too long as
	// soon as testMaxLine+1 bytes of it are there; a split func that waits
	// for the line's end would buffer until memory runs out.
	r := &endlessReader{limit: testMaxLine + 64}
	_, err := scanLines(t, r, testMaxLine, 8)
	require.NotErrorIs(t, err, errTripped,
		"the split func kept asking for more after the line was already %d bytes long (limit %d): return ErrLineTooLong as soon as the line is too long, without waiting for its CRLF", r.given, testMaxLine)
	require.ErrorIs(t, err, ErrLineTooLong, "an endless line must end in ErrLineTooLong")
	assert.LessOrEqual(t, r.given, testMaxLine+2,
		"the Scanner read %d bytes of a line with a limit of %d before the split func refused it: refuse it at limit+1", r.given, testMaxLine)
}

// ANCHOR_END: endless
