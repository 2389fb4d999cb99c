package websocket

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Opcode says what a frame carries (RFC 6455, section 5.2).
type Opcode byte

// The opcodes RFC 6455 defines. 0x3-0x7 and 0xB-0xF are reserved: a peer
// that receives one must fail the connection.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode: the high bit of the
// four is set (close, ping, pong and the reserved 0xB-0xF).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// IsReserved reports whether RFC 6455 leaves op undefined.
func (op Opcode) IsReserved() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("reserved(0x%X)", byte(op))
}

// Frame is one WebSocket frame. Payload always holds the unmasked bytes:
// ReadFrame unmasks, WriteFrame masks on the wire when Masked is set.
type Frame struct {
	Fin     bool   // last frame of a message
	RSV     byte   // the three reserved bits: RSV1 = 0b100, RSV2 = 0b010, RSV3 = 0b001
	Opcode  Opcode // what the payload is
	Masked  bool   // the payload is masked on the wire (every client-to-server frame)
	MaskKey [4]byte
	Payload []byte
}

// MaxControlPayload is the largest payload of a close, ping or pong frame.
const MaxControlPayload = 125

// Close codes (RFC 6455, section 7.4.1) used by this lesson and the next.
const (
	CloseNormal          uint16 = 1000
	CloseGoingAway       uint16 = 1001
	CloseProtocolError   uint16 = 1002
	CloseUnsupportedData uint16 = 1003
	CloseNoStatus        uint16 = 1005 // never sent: "the close frame had no code"
	CloseAbnormal        uint16 = 1006 // never sent: "the TCP connection just ended"
	CloseInvalidPayload  uint16 = 1007
	ClosePolicyViolation uint16 = 1008
	CloseMessageTooBig   uint16 = 1009
	CloseMandatoryExt    uint16 = 1010
	CloseInternalError   uint16 = 1011
)

// CloseError is a reason to fail the connection (or a close frame the peer
// sent): Code is the close code to send, Reason a short text for humans.
type CloseError struct {
	Code   uint16
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket: close %d: %s", e.Code, e.Reason)
}

func protocolError(reason string) error {
	return &CloseError{Code: CloseProtocolError, Reason: reason}
}

// ANCHOR: readframe

// ReadFrame reads one frame from r and returns it with the payload unmasked.
//
// limit is the largest payload ReadFrame accepts. The length is checked
// before the payload is read, so a hostile header claiming 2^63 bytes costs
// nothing: it gets a *CloseError with CloseMessageTooBig (1009).
//
// A frame that breaks RFC 6455 for any peer gets a *CloseError with
// CloseProtocolError (1002): RSV bits set (no extension is ever negotiated
// here), a reserved opcode, a control frame that is fragmented or carries
// more than 125 bytes, a 64-bit length with its top bit set.
//
// ReadFrame returns io.EOF if r ends before the first byte, and
// io.ErrUnexpectedEOF if it ends inside a frame. It does not check masking:
// whether a frame must be masked depends on who sent it (see Conn.ReadFrame).
func ReadFrame(r io.Reader, limit int64) (Frame, error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:2]); err != nil {
		return Frame{}, err
	}
	f := Frame{
		Fin:    h[0]&0x80 != 0,
		RSV:    (h[0] >> 4) & 0x7,
		Opcode: Opcode(h[0] & 0x0F),
		Masked: h[1]&0x80 != 0,
	}
	length, err := readLength(r, h[1]&0x7F)
	if err != nil {
		return Frame{}, err
	}
	if err := checkHeader(f, length, limit); err != nil {
		return Frame{}, err
	}
	if f.Masked {
		if _, err := io.ReadFull(r, f.MaskKey[:]); err != nil {
			return Frame{}, noEOF(err)
		}
	}
	f.Payload = make([]byte, length)
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		return Frame{}, noEOF(err)
	}
	if f.Masked {
		maskBytes(f.MaskKey, f.Payload)
	}
	return f, nil
}

// ANCHOR_END: readframe

// readLength decodes the 7-bit length and, for 126 and 127, the 16- or
// 64-bit extended length that follows it.
func readLength(r io.Reader, len7 byte) (uint64, error) {
	var b [8]byte
	switch len7 {
	case 126:
		if _, err := io.ReadFull(r, b[:2]); err != nil {
			return 0, noEOF(err)
		}
		return uint64(binary.BigEndian.Uint16(b[:2])), nil
	case 127:
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, noEOF(err)
		}
		n := binary.BigEndian.Uint64(b[:])
		if n>>63 != 0 {
			return 0, protocolError("64-bit length with the most significant bit set")
		}
		return n, nil
	}
	return uint64(len7), nil
}

// checkHeader applies the rules every peer enforces on a frame header.
func checkHeader(f Frame, length uint64, limit int64) error {
	switch {
	case f.RSV != 0:
		return protocolError("RSV bits set without a negotiated extension")
	case f.Opcode.IsReserved():
		return protocolError("reserved opcode " + f.Opcode.String())
	case f.Opcode.IsControl() && !f.Fin:
		return protocolError("fragmented control frame")
	case f.Opcode.IsControl() && length > MaxControlPayload:
		return protocolError("control frame payload over 125 bytes")
	case length > uint64(limit):
		return &CloseError{Code: CloseMessageTooBig, Reason: fmt.Sprintf("frame of %d bytes is over the limit of %d", length, limit)}
	}
	return nil
}

// noEOF turns a clean io.EOF in the middle of a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ANCHOR: mask

// maskBytes XORs b with the 4-byte key, repeated (RFC 6455, section 5.3).
// Masking twice with the same key gives back the original bytes.
//
// It works a machine word at a time: the key repeated twice is 8 bytes, so
// XORing 8 payload bytes with it is one load, one XOR and one store instead
// of eight of each. 8 is a multiple of 4, so the bytes left over at the end
// start at key[0] again.
func maskBytes(key [4]byte, b []byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k8 := k<<32 | k
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k8)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i%4]
	}
}

// ANCHOR_END: mask

// ANCHOR: writeframe

// WriteFrame writes f to w with a single Write call: the header with the
// shortest length encoding that fits (7 bits up to 125, 16 bits up to 65535,
// 64 bits beyond), the mask key if f.Masked, then the payload, masked with
// f.MaskKey if f.Masked. f.Payload itself is left unchanged.
//
// WriteFrame does not check the frame against the rules ReadFrame enforces:
// the caller decides what to send.
func WriteFrame(w io.Writer, f Frame) error {
	buf := appendHeader(make([]byte, 0, 14+len(f.Payload)), f)
	start := len(buf)
	buf = append(buf, f.Payload...)
	if f.Masked {
		maskBytes(f.MaskKey, buf[start:])
	}
	_, err := w.Write(buf)
	return err
}

// appendHeader appends f's header to buf: the first byte, the length in
// the shortest encoding that fits, and the mask key if f.Masked.
func appendHeader(buf []byte, f Frame) []byte {
	n := len(f.Payload)
	b0 := f.RSV<<4 | byte(f.Opcode)&0x0F
	if f.Fin {
		b0 |= 0x80
	}
	var maskBit byte
	if f.Masked {
		maskBit = 0x80
	}
	switch {
	case n <= 125:
		buf = append(buf, b0, maskBit|byte(n))
	case n <= 0xFFFF:
		buf = append(buf, b0, maskBit|126)
		buf = binary.BigEndian.AppendUint16(buf, uint16(n))
	default:
		buf = append(buf, b0, maskBit|127)
		buf = binary.BigEndian.AppendUint64(buf, uint64(n))
	}
	if f.Masked {
		buf = append(buf, f.MaskKey[:]...)
	}
	return buf
}

// ANCHOR_END: writeframe

// ClosePayload builds the payload of a close frame: the code as two bytes,
// big-endian, then the UTF-8 reason (RFC 6455, section 5.5.1).
func ClosePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}
