package websocket_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ws "netlings/lessons/16_websocket"
	"netlings/tools/testkit"
)

// The examples of RFC 6455 section 5.7, byte for byte.
var (
	rfcUnmaskedHello = []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}
	rfcMaskedHello   = []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	rfcFragment1     = []byte{0x01, 0x03, 0x48, 0x65, 0x6c}
	rfcFragment2     = []byte{0x80, 0x02, 0x6c, 0x6f}
	rfcPing          = []byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}
	rfcMaskedPong    = []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	rfcMaskKey       = [4]byte{0x37, 0xfa, 0x21, 0x3d}
)

func TestReadFrame_DecodesRFC6455Examples(t *testing.T) {
	cases := []struct {
		name  string
		wire  []byte
		frame ws.Frame
	}{
		{"unmasked text", rfcUnmaskedHello, ws.Frame{Fin: true, Opcode: ws.OpText, Payload: []byte("Hello")}},
		{"masked text", rfcMaskedHello, ws.Frame{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: rfcMaskKey, Payload: []byte("Hello")}},
		{"first fragment", rfcFragment1, ws.Frame{Fin: false, Opcode: ws.OpText, Payload: []byte("Hel")}},
		{"last fragment", rfcFragment2, ws.Frame{Fin: true, Opcode: ws.OpContinuation, Payload: []byte("lo")}},
		{"ping", rfcPing, ws.Frame{Fin: true, Opcode: ws.OpPing, Payload: []byte("Hello")}},
		{"masked pong", rfcMaskedPong, ws.Frame{Fin: true, Opcode: ws.OpPong, Masked: true, MaskKey: rfcMaskKey, Payload: []byte("Hello")}},
		{"256 bytes, 16-bit length", append([]byte{0x82, 0x7E, 0x01, 0x00}, make([]byte, 256)...),
			ws.Frame{Fin: true, Opcode: ws.OpBinary, Payload: make([]byte, 256)}},
		{"64 KiB, 64-bit length", append([]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, make([]byte, 65536)...),
			ws.Frame{Fin: true, Opcode: ws.OpBinary, Payload: make([]byte, 65536)}},
		{"empty payload", []byte{0x82, 0x00}, ws.Frame{Fin: true, Opcode: ws.OpBinary, Payload: []byte{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := readFrame(t, bytes.NewReader(tc.wire), 1<<20)
			require.NoError(t, err)
			require.Equal(t, tc.frame.Fin, f.Fin, "FIN is the top bit of the first byte")
			require.Equal(t, tc.frame.Opcode, f.Opcode, "the opcode is the low 4 bits of the first byte")
			require.Equal(t, tc.frame.Masked, f.Masked, "MASK is the top bit of the second byte")
			if tc.frame.Masked {
				require.Equal(t, tc.frame.MaskKey, f.MaskKey, "the mask key follows the length")
			}
			require.Equal(t, len(tc.frame.Payload), len(f.Payload), "payload length")
			require.True(t, bytes.Equal(tc.frame.Payload, f.Payload), "the payload must come back unmasked: %q", f.Payload)
		})
	}
	t.Run("two frames in a row", func(t *testing.T) {
		r := bytes.NewReader(append(append([]byte{}, rfcFragment1...), rfcFragment2...))
		f1, err := readFrame(t, r, 1<<20)
		require.NoError(t, err)
		f2, err := readFrame(t, r, 1<<20)
		require.NoError(t, err)
		require.Equal(t, "Hel", string(f1.Payload), "ReadFrame must read exactly one frame")
		require.Equal(t, "lo", string(f2.Payload), "ReadFrame must read exactly one frame")
	})
}

func TestReadFrame_RejectsFramesThatBreakTheProtocol(t *testing.T) {
	cases := []struct {
		name string
		wire []byte
		code uint16
	}{
		{"RSV1 set", []byte{0xC1, 0x00}, ws.CloseProtocolError},
		{"RSV2 set", []byte{0xA1, 0x00}, ws.CloseProtocolError},
		{"RSV3 set", []byte{0x91, 0x00}, ws.CloseProtocolError},
		{"reserved data opcode 0x3", []byte{0x83, 0x00}, ws.CloseProtocolError},
		{"reserved control opcode 0xB", []byte{0x8B, 0x00}, ws.CloseProtocolError},
		{"fragmented ping", []byte{0x09, 0x00}, ws.CloseProtocolError},
		{"ping of 126 bytes", append([]byte{0x89, 0x7E, 0x00, 0x7E}, make([]byte, 126)...), ws.CloseProtocolError},
		{"64-bit length with the top bit set", []byte{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1}, ws.CloseProtocolError},
		// Only the header is there: the length must be checked before the payload is read.
		{"length over the limit", []byte{0x82, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0}, ws.CloseMessageTooBig},
		{"16-bit length over the limit", []byte{0x82, 0x7E, 0x10, 0x01}, ws.CloseMessageTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readFrame(t, bytes.NewReader(tc.wire), 4096)
			var ce *ws.CloseError
			require.True(t, errors.As(err, &ce), "want a *CloseError with code %d, got %v", tc.code, err)
			require.Equal(t, tc.code, ce.Code, "wrong close code for a frame with %s", tc.name)
		})
	}
	t.Run("empty input is io.EOF", func(t *testing.T) {
		_, err := readFrame(t, bytes.NewReader(nil), 4096)
		require.ErrorIs(t, err, io.EOF)
	})
	t.Run("truncated frame is io.ErrUnexpectedEOF", func(t *testing.T) {
		for _, wire := range [][]byte{{0x81}, {0x81, 0x7E, 0x01}, {0x81, 0x85, 0x37, 0xfa}, {0x81, 0x05, 'H', 'e'}} {
			_, err := readFrame(t, bytes.NewReader(wire), 4096)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "a stream that ends inside a frame (% x)", wire)
		}
	})
	t.Run("a frame at the limit is fine", func(t *testing.T) {
		f, err := readFrame(t, bytes.NewReader(append([]byte{0x82, 0x7E, 0x10, 0x00}, make([]byte, 4096)...)), 4096)
		require.NoError(t, err, "the limit is inclusive")
		require.Len(t, f.Payload, 4096)
	})
}

// countingWriter counts Write calls.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestWriteFrame_UsesTheShortestLengthEncoding(t *testing.T) {
	cases := []struct {
		size   int
		header []byte // the bytes before the payload for an unmasked binary frame
	}{
		{0, []byte{0x82, 0x00}},
		{1, []byte{0x82, 0x01}},
		{125, []byte{0x82, 0x7D}},
		{126, []byte{0x82, 0x7E, 0x00, 0x7E}},
		{65535, []byte{0x82, 0x7E, 0xFF, 0xFF}},
		{65536, []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}},
	}
	for _, tc := range cases {
		payload := bytes.Repeat([]byte{'x'}, tc.size)
		var w countingWriter
		require.NoError(t, writeFrame(t, &w, ws.Frame{Fin: true, Opcode: ws.OpBinary, Payload: payload}))
		out := w.Bytes()
		require.GreaterOrEqual(t, len(out), len(tc.header), "a %d-byte frame is too short", tc.size)
		require.Equal(t, tc.header, out[:len(tc.header)],
			"header of a %d-byte frame: 7-bit length up to 125, 126 + 16 bits up to 65535, 127 + 64 bits beyond", tc.size)
		require.Equal(t, len(tc.header)+tc.size, len(out), "a %d-byte frame has the wrong total size", tc.size)
		require.Equal(t, 1, w.writes, "write a frame with one Write call, so frames from two writers can never interleave")
	}
}

func TestWriteFrame_MatchesRFC6455Examples(t *testing.T) {
	cases := []struct {
		name  string
		frame ws.Frame
		wire  []byte
	}{
		{"unmasked text", ws.Frame{Fin: true, Opcode: ws.OpText, Payload: []byte("Hello")}, rfcUnmaskedHello},
		{"masked text", ws.Frame{Fin: true, Opcode: ws.OpText, Masked: true, MaskKey: rfcMaskKey, Payload: []byte("Hello")}, rfcMaskedHello},
		{"first fragment", ws.Frame{Opcode: ws.OpText, Payload: []byte("Hel")}, rfcFragment1},
		{"last fragment", ws.Frame{Fin: true, Opcode: ws.OpContinuation, Payload: []byte("lo")}, rfcFragment2},
		{"masked pong", ws.Frame{Fin: true, Opcode: ws.OpPong, Masked: true, MaskKey: rfcMaskKey, Payload: []byte("Hello")}, rfcMaskedPong},
		{"RSV bits", ws.Frame{Fin: true, RSV: 0b101, Opcode: ws.OpBinary}, []byte{0xD2, 0x00}},
		{"RSV1", ws.Frame{Fin: true, RSV: 0b100, Opcode: ws.OpBinary}, []byte{0xC2, 0x00}},
		{"RSV2", ws.Frame{Fin: true, RSV: 0b010, Opcode: ws.OpBinary}, []byte{0xA2, 0x00}},
		{"RSV3", ws.Frame{Fin: true, RSV: 0b001, Opcode: ws.OpBinary}, []byte{0x92, 0x00}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := append([]byte(nil), tc.frame.Payload...)
			var w bytes.Buffer
			require.NoError(t, writeFrame(t, &w, tc.frame))
			if tc.frame.RSV != 0 && len(w.Bytes()) > 0 {
				require.Equal(t, tc.wire[0], w.Bytes()[0], "first byte of a frame with RSV 0b%03b: RSV1 is 0b100 and goes to "+
					"bit 0x40 of the first byte, RSV2 0b010 to 0x20, RSV3 0b001 to 0x10: shift f.RSV left by 4", tc.frame.RSV)
			}
			require.Equal(t, tc.wire, w.Bytes())
			require.Equal(t, payload, tc.frame.Payload, "WriteFrame must not mask the caller's payload in place")
		})
	}
	t.Run("round trip through ReadFrame", func(t *testing.T) {
		for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
			payload := make([]byte, size)
			for i := range payload {
				payload[i] = byte(i * 7)
			}
			in := ws.Frame{Fin: size%2 == 0, Opcode: ws.OpBinary, Masked: true, MaskKey: [4]byte{1, 2, 3, 4}, Payload: payload}
			var w bytes.Buffer
			require.NoError(t, writeFrame(t, &w, in))
			out, err := readFrame(t, &w, 1<<20)
			require.NoError(t, err)
			assert.Equal(t, in.Fin, out.Fin, "size %d", size)
			assert.True(t, bytes.Equal(payload, out.Payload), "a %d-byte payload changed on its way through WriteFrame and ReadFrame", size)
		}
	})
}

func TestReadFrame_AcceptsControlFramesOf125Bytes(t *testing.T) {
	// 125 is the largest legal control payload: "more than 125" is the
	// error, not "125 or more".
	payload := bytes.Repeat([]byte{'p'}, ws.MaxControlPayload)
	for _, op := range []byte{0x8, 0x9, 0xA} {
		for _, masked := range []bool{false, true} {
			wire := testkit.Frame{Fin: true, Op: op, Masked: masked, Payload: payload}.Encode()
			f, err := readFrame(t, bytes.NewReader(wire), 4096)
			require.NoError(t, err, "a %s frame of 125 bytes (masked: %v) is legal: only more than 125 bytes is a protocol error",
				ws.Opcode(op), masked)
			require.Equal(t, ws.Opcode(op), f.Opcode)
			require.True(t, bytes.Equal(payload, f.Payload), "the 125-byte %s payload came back changed", ws.Opcode(op))
		}
	}
}

func TestReadFrame_StreamEndingBetweenFieldsIsUnexpectedEOF(t *testing.T) {
	// Each of these ends exactly where the next field would start: io.ReadFull
	// of that field reads nothing and says io.EOF, which inside a frame is
	// io.ErrUnexpectedEOF.
	cases := []struct {
		name string
		wire []byte
	}{
		{"after the header, before the payload", []byte{0x81, 0x05}},
		{"after the header, before the mask key", []byte{0x81, 0x85}},
		{"after the header, before the 16-bit length", []byte{0x81, 0x7E}},
		{"after the header, before the 64-bit length", []byte{0x82, 0x7F}},
		{"after the 16-bit length, before the mask key", []byte{0x82, 0xFE, 0x00, 0x7E}},
		{"after the 16-bit length, before the payload", []byte{0x82, 0x7E, 0x00, 0x7E}},
		{"after the 64-bit length, before the payload", []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x01, 0x00}},
		{"after the mask key, before the payload", []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}},
		{"after the first byte", []byte{0x81}},
		{"inside the payload", []byte{0x81, 0x05, 'H', 'e'}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// One byte per Read: a frame does not arrive in one piece.
			_, err := readFrame(t, iotest.OneByteReader(bytes.NewReader(tc.wire)), 4096)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF,
				"a stream that ends inside a frame (% x) is io.ErrUnexpectedEOF, also when it ends exactly between two fields: "+
					"every io.ReadFull after the first one must turn io.EOF into io.ErrUnexpectedEOF", tc.wire)
		})
	}
}
