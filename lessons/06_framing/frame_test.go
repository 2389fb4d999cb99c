package framing

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"netlings/tools/testkit"
)

// ANCHOR: wire
func TestWriteFrame_WritesBigEndianLengthThenPayload(t *testing.T) {
	cases := []struct {
		payload []byte
		want    []byte
	}{
		{[]byte("hello"), []byte{0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'}},
		{[]byte{}, []byte{0, 0, 0, 0}}, // an empty frame is still a frame
		{bytes.Repeat([]byte{'x'}, 258), append([]byte{0, 0, 0x01, 0x02}, bytes.Repeat([]byte{'x'}, 258)...)},
		{bytes.Repeat([]byte{'y'}, 70000), append([]byte{0, 0x01, 0x11, 0x70}, bytes.Repeat([]byte{'y'}, 70000)...)},
	}
	for _, c := range cases {
		var w recordingWriter
		err := writeFrame(t, &w, c.payload)
		require.NoError(t, err, "WriteFrame of %d bytes", len(c.payload))
		got := w.all()
		require.GreaterOrEqual(t, len(got), 4, "WriteFrame of %d bytes wrote only % x: a frame starts with 4 bytes of length", len(c.payload), got)
		require.Equal(t, c.want[:4], got[:4],
			"the length prefix of a %d-byte payload: 4 bytes, big-endian (most significant byte first, binary.BigEndian.PutUint32)", len(c.payload))
		testkit.RequireSameBytes(t, c.want, got, fmt.Sprintf("the frame of a %d-byte payload", len(c.payload)))
	}
}

// ANCHOR_END: wire

func TestWriteFrame_MakesOneWriteCallPerFrame(t *testing.T) {
	payload := []byte("SET greeting hello world")
	var w recordingWriter
	require.NoError(t, writeFrame(t, &w, payload))
	require.Len(t, w.writes, 1,
		"WriteFrame called Write %d times: build the length and the payload in one buffer and call Write once, so a frame is one piece on the wire and two goroutines cannot interleave their halves", len(w.writes))
	assert.Equal(t, frameOf(string(payload)), w.writes[0])
	assert.Equal(t, "SET greeting hello world", string(payload), "WriteFrame changed the caller's payload")
}

func TestWriteFrame_RefusesPayloadOverMaxFrame(t *testing.T) {
	t.Run("MaxFrame bytes is allowed", func(t *testing.T) {
		var w recordingWriter
		err := writeFrame(t, &w, make([]byte, MaxFrame))
		require.NoError(t, err, "a payload of exactly MaxFrame bytes is allowed: refuse only lengths over MaxFrame")
		got := w.all()
		require.Equal(t, 4+MaxFrame, len(got), "the frame of a MaxFrame payload is 4+MaxFrame bytes")
		assert.Equal(t, header(MaxFrame), got[:4])
	})
	t.Run("MaxFrame+1 bytes is refused, nothing written", func(t *testing.T) {
		var w recordingWriter
		err := writeFrame(t, &w, make([]byte, MaxFrame+1))
		require.ErrorIs(t, err, ErrFrameTooLarge, "a payload of MaxFrame+1 bytes must be refused with ErrFrameTooLarge (wrap it: fmt.Errorf(\"%%w ...\", ErrFrameTooLarge))")
		assert.Empty(t, w.writes, "WriteFrame refused the payload but wrote %d bytes: check the size before writing anything", len(w.all()))
	})
}

func TestWriteFrame_ReturnsWriteErrors(t *testing.T) {
	err := writeFrame(t, failingWriter{}, []byte("hello"))
	require.ErrorIs(t, err, errBroken, "when w.Write fails, WriteFrame must return that error (errors.Is must find it)")
}

func TestReadFrame_ReadsBigEndianLengthThenPayload(t *testing.T) {
	payload := strings.Repeat("0123456789", 26)[:258] // length 00 00 01 02: little-endian would read 0x02010000
	r := bytes.NewReader(frameOf(payload))
	got, err := readFrame(t, r)
	require.NoError(t, err, "ReadFrame of one 258-byte frame (length bytes 00 00 01 02): the length is big-endian, binary.BigEndian.Uint32")
	require.Equal(t, len(payload), len(got), "the payload of a frame whose length bytes are 00 00 01 02")
	assert.Equal(t, payload, string(got))
}

// streamOfFrames is several frames back to back, an empty one among them,
// as they would arrive from one Write, and their payloads.
func streamOfFrames() ([]byte, []string) {
	payloads := []string{"first", "", "third: a bit longer, with spaces\r\nand CRLF", string(testkit.RandomBytes(3000)), "last"}
	var stream []byte
	for _, p := range payloads {
		stream = append(stream, frameOf(p)...)
	}
	return stream, payloads
}

// ANCHOR: shortreads
func TestReadFrame_ReadsFramesAcrossShortReads(t *testing.T) {
	stream, payloads := streamOfFrames()
	readers := []struct {
		name string
		r    func() io.Reader
	}{
		{"one Read returns everything", func() io.Reader { return bytes.NewReader(stream) }},
		{"iotest.OneByteReader: one byte per Read", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) }},
		{"iotest.HalfReader: half of what was asked", func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) }},
		{"iotest.DataErrReader: io.EOF with the last bytes", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) }},
	}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			r := rd.r()
			var all [][]byte
			for i, want := range payloads {
				got, err := readFrame(t, r)
				require.NoError(t, err,
					"frame %d of %d: one Read may return less than asked (or more than one frame's worth was sent at once): use io.ReadFull for the length and for the payload", i+1, len(payloads))
				require.Equal(t, len(want), len(got),
					"frame %d: the payload has the wrong length. A Read may return fewer bytes than asked, even of the 4-byte length: read until you have all of them (io.ReadFull)", i+1)
				testkit.RequireSameBytes(t, []byte(want), got, fmt.Sprintf("the payload of frame %d", i+1))
				all = append(all, got)
			}
			for i, want := range payloads {
				testkit.RequireSameBytes(t, []byte(want), all[i],
					fmt.Sprintf("the payload of frame %d, kept while the later frames were read (each payload must be a new slice, not a reused buffer)", i+1))
			}
			_, err := readFrame(t, r)
			require.ErrorIs(t, err, io.EOF, "after the last frame the stream ends cleanly: ReadFrame should return io.EOF")
		})
	}
}

// ANCHOR_END: shortreads

func TestReadFrame_CleanEndBetweenFramesIsEOF(t *testing.T) {
	_, err := readFrame(t, bytes.NewReader(nil))
	require.Equal(t, io.EOF, err, "a stream that ends before a frame starts is a clean end: return io.EOF itself (io.ReadFull does), not an error that wraps it")

	r := iotest.OneByteReader(bytes.NewReader(frameOf("only")))
	_, err = readFrame(t, r)
	require.NoError(t, err)
	_, err = readFrame(t, r)
	require.Equal(t, io.EOF, err, "after the last frame, ReadFrame should return io.EOF")
}

// ANCHOR: cutshort
func TestReadFrame_FrameCutShortIsUnexpectedEOF(t *testing.T) {
	full := frameOf("hello, world")
	for _, cut := range []int{1, 2, 3, 4, 5, len(full) - 1} {
		for _, one := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(full[:cut])
			how := "in one Read"
			if one {
				r, how = iotest.OneByteReader(r), "one byte per Read"
			}
			_, err := readFrame(t, r)
			where := "in the 4-byte length"
			if cut >= 4 {
				where = "after the length, in the payload"
			}
			require.ErrorIs(t, err, io.ErrUnexpectedEOF,
				"the stream ended %s (%d of %d bytes, %s): a frame cut short is io.ErrUnexpectedEOF, not a clean io.EOF; got %v", where, cut, len(full), how, err)
		}
	}
}

// ANCHOR_END: cutshort

func TestReadFrame_ReturnsOtherReadErrors(t *testing.T) {
	r := io.MultiReader(bytes.NewReader(frameOf("hello")[:6]), iotest.ErrReader(errBroken))
	_, err := readFrame(t, r)
	require.ErrorIs(t, err, errBroken, "a read error in the middle of a frame that is not EOF must be returned as it is (errors.Is must find it)")
}

func TestReadFrame_MaxFrameIsAllowedOneMoreIsNot(t *testing.T) {
	block := make([]byte, 251) // no period of 256: a slip of one byte shows
	for i := range block {
		block[i] = byte(i)
	}
	payload := bytes.Repeat(block, MaxFrame/251+1)[:MaxFrame]
	got, err := readFrame(t, bytes.NewReader(append(header(MaxFrame), payload...)))
	require.NoError(t, err, "a frame of exactly MaxFrame bytes is allowed: refuse only lengths over MaxFrame")
	testkit.RequireSameBytes(t, payload, got, "the MaxFrame payload")

	r := &tripwireReader{data: header(MaxFrame + 1)}
	_, err = readFrame(t, r)
	require.ErrorIs(t, err, ErrFrameTooLarge, "a length of MaxFrame+1 must be refused with ErrFrameTooLarge (wrap it: fmt.Errorf(\"%%w ...\", ErrFrameTooLarge))")
}

// ANCHOR: huge
func TestReadFrame_RefusesHugeLengthBeforeAllocating(t *testing.T) {
	for _, n := range []uint32{MaxFrame + 1, 1 << 30, 0xFFFFFFFF} {
		// A peer sends four bytes that claim up to 4 GiB, and nothing else.
		r := &tripwireReader{data: header(n)}

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := readFrame(t, r)
		runtime.ReadMemStats(&after)

		allocated := after.TotalAlloc - before.TotalAlloc
		require.Less(t, allocated, uint64(MaxFrame),
			"ReadFrame allocated %d bytes for a frame that claims %d: check the length against MaxFrame BEFORE make([]byte, n), or every peer can make you reserve 4 GiB with four bytes", allocated, n)
		require.ErrorIs(t, err, ErrFrameTooLarge, "a length of %d is over MaxFrame (%d): refuse it with ErrFrameTooLarge", n, MaxFrame)
		require.Zero(t, r.tripped.Load(), "ReadFrame tried to read the payload of a frame whose length (%d) is over MaxFrame: refuse the length as soon as you have decoded it", n)
	}
}

// ANCHOR_END: huge
